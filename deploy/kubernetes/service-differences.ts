import type { RelayServiceName } from '@relay/contracts';

/**
 * What deliberately differs between the services' manifests beyond what the topology gives (name,
 * ports, group, topics, Kafka login): data for templates/service.yaml. A service not listed here
 * gets the defaults (one instance at least, scaled on its group's lag alone), so a new service
 * needs no entry.
 */
export interface ServiceDeployDifferences {
  /** What the service does, for the manifest's first comment. */
  readonly summary?: string;
  /** Its ScaledObject's minReplicaCount. */
  readonly minReplicaCount?: number;
  /** Why its ScaledObject scales as it does; replaces the comment derived from its topics. */
  readonly scalingComment?: readonly string[];
  /** Triggers after the kafka ones, as YAML lines of the `triggers:` list. */
  readonly extraTriggers?: readonly string[];
}

export const DEFAULT_MIN_REPLICA_COUNT = 1;

export const SERVICE_DEPLOY_DIFFERENCES: Partial<Record<RelayServiceName, ServiceDeployDifferences>> = {
  orders: {
    summary: 'the REST API (POST/GET /orders)',
    minReplicaCount: 2,
    scalingComment: [
      'orders has two loads: HTTP requests and the events of its group. One ScaledObject carries both',
      '(kafka triggers + a cpu trigger); KEDA turns it into one HPA that takes the largest of the',
      'replica counts the triggers ask for. A separate HPA on the same Deployment would fight KEDA\'s.',
      'The cap of 6 (partitions) applies to the HTTP side too, because the consumer runs in the same',
      'process; if HTTP ever needs more, the consumer needs its own Deployment (a code change) or the',
      'topics more partitions (which, for an existing topic, moves keys: a migration, not a setting).',
      'Two instances at least: the API stays up while one pod restarts or moves.',
    ],
    extraTriggers: [
      '# HTTP load: 70 % of the 250m CPU request on average (needs the resource requests above).',
      '- type: cpu',
      '  metricType: Utilization',
      '  metadata:',
      '    value: "70"',
    ],
  },
  inventory: { summary: 'stock levels and reservations' },
  delivery: { summary: 'delivery slots and routes' },
};
