import { parseAllDocuments } from 'yaml';
import { obsoleteGeneratedFiles, REGENERATE_DEPLOY, staleFilesMessage } from '../generation/generated-file';
import { BASE_DIR, baseKafkaBrokers } from './keda-triggers';
import { kubernetesFiles } from './kubernetes-files';
import { serviceManifest } from './service-manifest';

describe('deploy/kubernetes files generated from ServiceTopology', () => {
  it('are what is committed', () => {
    const message = staleFilesMessage(kubernetesFiles());
    if (message) throw new Error(message);
  });

  it('leave no manifest of a service the topology no longer has', () => {
    const obsolete = obsoleteGeneratedFiles(BASE_DIR, kubernetesFiles());
    if (obsolete.length > 0) throw new Error(`${obsolete.join(', ')}: no such service in ServiceTopology; \`${REGENERATE_DEPLOY}\` deletes them`);
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
