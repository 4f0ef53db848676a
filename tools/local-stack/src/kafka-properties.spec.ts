import { parseKafkaNodeCount, renderServerProperties, replicationForNodes } from './kafka-properties';
import { parseQuorumStatus } from './kafka-cluster';

function parse(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('replicationForNodes', () => {
  it.each([
    [1, 1, 1],
    [2, 2, 1],
    [3, 3, 2],
    [5, 3, 2],
  ])('%i node(s): replication factor %i, min ISR %i', (nodes, replicationFactor, minInsyncReplicas) => {
    expect(replicationForNodes(nodes)).toEqual({ replicationFactor, minInsyncReplicas });
  });

  it('refuses a cluster without nodes', () => {
    expect(() => replicationForNodes(0)).toThrow(/1 node or more/);
    expect(() => replicationForNodes(1.5)).toThrow(/1 node or more/);
  });
});

describe('renderServerProperties', () => {
  const voters = [
    { nodeId: 1, controllerPort: 19001 },
    { nodeId: 2, controllerPort: 19002 },
    { nodeId: 3, controllerPort: 19003 },
  ];

  it('secured: SASL_SSL clients and replication, mutual-TLS controllers, deny unless an ACL allows', () => {
    const security = {
      keystoreFile: '/sec/broker.p12',
      truststoreFile: '/sec/truststore.p12',
      storePassword: 'store-pw',
      interBroker: { username: 'admin', password: 'admin-pw' },
      brokerCertificateDn: 'CN=relay-broker',
    };
    const properties = parse(renderServerProperties({ nodeId: 2, logDirs: '/data/node-2/logs', port: 9093, voters, security }));
    expect(Object.fromEntries(properties)).toEqual(
      expect.objectContaining({
        listeners: 'CLIENT://127.0.0.1:9093,CONTROLLER://127.0.0.1:19002',
        'advertised.listeners': 'CLIENT://127.0.0.1:9093',
        'listener.security.protocol.map': 'CLIENT:SASL_SSL,CONTROLLER:SSL',
        'inter.broker.listener.name': 'CLIENT',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
        'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
        'listener.name.client.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="admin-pw";',
        'listener.name.controller.ssl.client.auth': 'required',
        'ssl.keystore.location': '/sec/broker.p12',
        'ssl.truststore.location': '/sec/truststore.p12',
        'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
        'allow.everyone.if.no.acl.found': 'false',
        'super.users': 'User:admin;User:CN=relay-broker',
      }),
    );
    expect([...properties.values()].some((value) => value.includes('PLAINTEXT'))).toBe(false);
  });

  it('renders one node of three: every node a voter, its own listeners, replication 3 and min ISR 2 everywhere', () => {
    const properties = parse(renderServerProperties({ nodeId: 2, logDirs: '/data/node-2/logs', port: 9093, voters }));
    expect(Object.fromEntries(properties)).toEqual(
      expect.objectContaining({
        'process.roles': 'broker,controller',
        'node.id': '2',
        'controller.quorum.voters': '1@127.0.0.1:19001,2@127.0.0.1:19002,3@127.0.0.1:19003',
        listeners: 'PLAINTEXT://127.0.0.1:9093,CONTROLLER://127.0.0.1:19002',
        'advertised.listeners': 'PLAINTEXT://127.0.0.1:9093',
        'auto.create.topics.enable': 'false',
        'default.replication.factor': '3',
        'min.insync.replicas': '2',
        'unclean.leader.election.enable': 'false',
        'offsets.topic.replication.factor': '3',
        'transaction.state.log.replication.factor': '3',
        'transaction.state.log.min.isr': '2',
        'share.coordinator.state.topic.replication.factor': '3',
        'share.coordinator.state.topic.min.isr': '2',
        'log.dirs': '/data/node-2/logs',
      }),
    );
  });

  it('renders a single node with one replica of everything', () => {
    const properties = parse(renderServerProperties({ nodeId: 1, logDirs: '/data/logs', port: 9092, voters: [{ nodeId: 1, controllerPort: 19001 }] }));
    expect([
      'controller.quorum.voters',
      'default.replication.factor',
      'min.insync.replicas',
      'offsets.topic.replication.factor',
      'transaction.state.log.min.isr',
      'share.coordinator.state.topic.replication.factor',
    ].map((key) => properties.get(key))).toEqual(['1@127.0.0.1:19001', '1', '1', '1', '1', '1']);
  });

  it('lets overrides replace generated values and add new ones, each key once', () => {
    const text = renderServerProperties({ nodeId: 1, logDirs: '/d', port: 9092, voters, overrides: { 'broker.session.timeout.ms': 6000, 'min.insync.replicas': 1 } });
    const keys = text.split('\n').filter((line) => line.includes('=')).map((line) => line.split('=')[0]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(parse(text).get('broker.session.timeout.ms')).toBe('6000');
    expect(parse(text).get('min.insync.replicas')).toBe('1');
  });

  it('escapes backslashes for java.util.Properties', () => {
    expect(parse(renderServerProperties({ nodeId: 1, logDirs: 'C:\\relay\\logs', port: 9092, voters })).get('log.dirs')).toBe('C:\\\\relay\\\\logs');
  });

  it('refuses a node that is not a voter', () => {
    expect(() => renderServerProperties({ nodeId: 4, logDirs: '/d', port: 9092, voters })).toThrow(/node 4 is not among the voters 1, 2, 3/);
  });
});

describe('parseQuorumStatus', () => {
  it('reads the leader, its epoch and the voters (Kafka 4 output)', () => {
    const output = [
      'ClusterId:              q1Sh-9_ISia_zwGINzRvyQ',
      'LeaderId:               2',
      'LeaderEpoch:            7',
      'HighWatermark:          1043',
      'MaxFollowerLag:         0',
      'MaxFollowerLagTimeMs:   0',
      'CurrentVoters:          [{"id": 1, "directoryId": null, "endpoints": ["CONTROLLER://127.0.0.1:19001"]}, {"id": 3, "directoryId": null, "endpoints": ["CONTROLLER://127.0.0.1:19003"]}, {"id": 2, "directoryId": null, "endpoints": ["CONTROLLER://127.0.0.1:19002"]}]',
      'CurrentObservers:       []',
      '',
    ].join('\n');
    expect(parseQuorumStatus(output)).toEqual({ leaderId: 2, leaderEpoch: 7, highWatermark: 1043, voters: [1, 2, 3] });
  });

  it('reads the older list form of the voters', () => {
    expect(parseQuorumStatus('LeaderId: 1\nLeaderEpoch: 3\nHighWatermark: 10\nCurrentVoters: [1,2,3]\n').voters).toEqual([1, 2, 3]);
  });

  it('refuses output that is not a quorum status', () => {
    expect(() => parseQuorumStatus('Error while executing: TimeoutException')).toThrow(/not a quorum status/);
  });
});

describe('parseKafkaNodeCount', () => {
  it('takes 1 when not given, and 1 or 3', () => {
    expect(parseKafkaNodeCount('--brokers', undefined)).toBe(1);
    expect(parseKafkaNodeCount('--brokers', '1')).toBe(1);
    expect(parseKafkaNodeCount('--brokers', '3')).toBe(3);
  });

  it.each(['2', '0', '5', 'three', '', '3.0x'])('refuses "%s", naming the flag and the choices', (given) => {
    expect(() => parseKafkaNodeCount('--brokers', given)).toThrow(`--brokers takes 1 or 3 (one Kafka node, or a 3-node cluster: replication 3, min ISR 2), got "${given}"`);
  });
});
