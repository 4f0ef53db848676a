import { parseAllDocuments } from 'yaml';
import { staleFilesMessage } from '../generation/generated-file';
import { baseKafkaBrokers } from './keda-triggers';
import { kubernetesFiles } from './kubernetes-files';
import { serviceManifest } from './service-manifest';

describe('deploy/kubernetes files generated from ServiceTopology', () => {
  it('are what is committed', () => {
    const message = staleFilesMessage(kubernetesFiles());
    if (message) throw new Error(message);
  });

  it('keeps orders\' deliberate differences: two instances at least and a cpu trigger beside the kafka ones', () => {
    const scaledObject = (service: 'orders' | 'inventory') =>
      parseAllDocuments(serviceManifest(service, baseKafkaBrokers()).content)
        .map((document) => document.toJS() as { kind: string; spec: { minReplicaCount: number; triggers: { type: string }[] } })
        .find((document) => document.kind === 'ScaledObject')!.spec;
    expect([scaledObject('orders').minReplicaCount, scaledObject('orders').triggers.at(-1)?.type]).toEqual([2, 'cpu']);
    expect([scaledObject('inventory').minReplicaCount, scaledObject('inventory').triggers.map((trigger) => trigger.type)]).toEqual([1, ['kafka']]);
  });
});
