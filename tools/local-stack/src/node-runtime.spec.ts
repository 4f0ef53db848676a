import { SUPPORTED_NODE_MAJOR, unsupportedNodeReason } from './node-runtime';

describe('unsupportedNodeReason', () => {
  it('accepts any release of the supported line, and newer lines', () => {
    expect(unsupportedNodeReason(`${SUPPORTED_NODE_MAJOR}.0.0`)).toBeUndefined();
    expect(unsupportedNodeReason(`${SUPPORTED_NODE_MAJOR}.22.3`)).toBeUndefined();
    expect(unsupportedNodeReason(`${SUPPORTED_NODE_MAJOR + 2}.1.0`)).toBeUndefined();
  });

  it('refuses an older line, naming the version found, the binary and the way out', () => {
    const reason = unsupportedNodeReason('20.20.2', '/usr/bin/node');
    expect(reason).toContain('Node.js 20.20.2 (/usr/bin/node)');
    expect(reason).toContain(`Node.js ${SUPPORTED_NODE_MAJOR} LTS`);
    expect(reason).toContain('npm ci');
    expect(unsupportedNodeReason(`${SUPPORTED_NODE_MAJOR - 1}.9.0`)).toContain(`Node.js ${SUPPORTED_NODE_MAJOR - 1}.9.0`);
  });

  it('is satisfied by the Node.js the tests run on: npm test runs on the pinned runtime', () => {
    expect(Number(process.versions.node.split('.')[0])).toBe(SUPPORTED_NODE_MAJOR);
    expect(unsupportedNodeReason()).toBeUndefined();
  });
});
