import { randomUUID } from 'node:crypto';
import { Partitioners } from 'kafkajs';
import { javaCompatiblePartitioner, murmur2 } from './java-compatible.partitioner';

describe('javaCompatiblePartitioner', () => {
  it("hashes as Kafka's Java client does (the cases of its UtilsTest.testMurmur2)", () => {
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of cases) expect([key, murmur2(Buffer.from(key))]).toEqual([key, hash]);
  });

  it('takes the positive part of the hash, as the Java client does before the modulo', () => {
    // -973932308 & 0x7fffffff
    expect(javaCompatiblePartitioner({}, Buffer.from('21'))).toBe(1173551340);
    expect(javaCompatiblePartitioner({}, Buffer.from('abc'))).toBe(479470107);
  });

  it('hashes keys of every length modulo 4 (the last bytes are mixed in separately)', () => {
    const key = Buffer.from('0123456789abcdef');
    const hashes = [13, 14, 15, 16].map((length) => murmur2(key.subarray(0, length)));
    expect(new Set(hashes).size).toBe(4);
    expect(murmur2(Buffer.alloc(0))).toBe(275646681);
  });

  it("puts every key on the partition kafkajs's default partitioner picks, so a group can mix both clients", () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const keys = [...Array.from({ length: 500 }, () => randomUUID()), 'a', 'ab', 'abc', 'Zoë-李-🚚'];
    for (const partitionCount of [1, 3, 12, 100]) {
      const partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      const ours = keys.map((key) => javaCompatiblePartitioner({}, Buffer.from(key)) % partitionCount);
      const theirs = keys.map((key) => kafkajs({ topic: 't', partitionMetadata, message: { key: Buffer.from(key), value: null } }));
      expect(ours).toEqual(theirs);
    }
  });

  it('sends a keyless record to partition 0', () => {
    expect(javaCompatiblePartitioner({}, undefined)).toBe(0);
  });
});
