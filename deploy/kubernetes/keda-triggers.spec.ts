import { readFileSync } from 'node:fs';
import { RELAY_SERVICES } from '@relay/contracts';
import { baseKafkaBrokers, baseManifestFile, kafkaTriggersBlock, REGENERATE_KEDA_TRIGGERS, withGeneratedTriggers } from './keda-triggers';

describe('the KEDA kafka triggers generated from ServiceTopology', () => {
  it.each(RELAY_SERVICES)('are what base/%s.yaml commits', (service) => {
    const committed = readFileSync(baseManifestFile(service), 'utf8');
    const generated = withGeneratedTriggers(committed, service, baseKafkaBrokers());
    if (generated !== committed) throw new Error(`${baseManifestFile(service)} differs from what ServiceTopology.${service} gives: run \`${REGENERATE_KEDA_TRIGGERS}\` and commit the result`);
  });

  it('replaces only the block between the markers, and refuses a manifest without them', () => {
    const manifest = ['spec:', '  triggers:', kafkaTriggersBlock('inventory', 'old:9092'), '    - type: cpu', ''].join('\n');
    const regenerated = withGeneratedTriggers(manifest, 'inventory', 'new:9092');
    expect(regenerated).toBe(manifest.replace('old:9092', 'new:9092'));
    expect(regenerated.match(/- type: kafka/g)).toHaveLength(1);
    expect(() => withGeneratedTriggers('spec:\n  triggers: []\n', 'inventory', 'new:9092')).toThrow(/no generated kafka triggers block/);
  });
});
