/**
 * The key layout of a cluster in etcd, relative to its prefix (docs/cluster.md, "What lives in
 * etcd"). One place, so the controller, the cache and the tests agree.
 */
export const BROKERS = 'brokers/';
export const CONTROLLER = 'controller';
export const TOPICS = 'topics/';
export const PARTITIONS = 'partitions/';
/** `shutdown/<id>`: a broker asking for a controlled shutdown, held under its own lease. */
export const SHUTDOWN = 'shutdown/';
/** `broker-epochs/<id>`: the registration the controller last accepted for a broker (no lease). */
export const BROKER_EPOCHS = 'broker-epochs/';
/** `reassignments/<topic>/<p>`: a partition reassignment in progress (KIP-455). */
export const REASSIGNMENTS = 'reassignments/';
/** `cluster-id`: the cluster's id, created once by the first broker (Kafka's /cluster/id znode); each folder records it in meta.properties. */
export const CLUSTER_ID = 'cluster-id';
/** `producer-ids`: the first producer id no broker has been given yet (KIP-730's block allocation, no lease). */
export const PRODUCER_IDS = 'producer-ids';

export const brokerKey = (nodeId: number): string => `${BROKERS}${nodeId}`;
export const shutdownKey = (nodeId: number): string => `${SHUTDOWN}${nodeId}`;
export const brokerEpochKey = (nodeId: number): string => `${BROKER_EPOCHS}${nodeId}`;
export const topicKey = (topic: string): string => `${TOPICS}${topic}`;
export const partitionsOf = (topic: string): string => `${PARTITIONS}${topic}/`;
export const partitionKey = (topic: string, partition: number): string => `${PARTITIONS}${topic}/${partition}`;
export const reassignmentsOf = (topic: string): string => `${REASSIGNMENTS}${topic}/`;
export const reassignmentKey = (topic: string, partition: number): string => `${REASSIGNMENTS}${topic}/${partition}`;

/** `<base><topic>/<p>` → [topic, p]; topic names never contain '/'. */
function parseTopicPartitionKey(base: string, key: string): [string, number] | undefined {
  if (!key.startsWith(base)) return undefined;
  const rest = key.slice(base.length);
  const slash = rest.lastIndexOf('/');
  const partition = Number(rest.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(partition) || partition < 0) return undefined;
  return [rest.slice(0, slash), partition];
}

/** `partitions/<topic>/<p>` → [topic, p]. */
export function parsePartitionKey(key: string): [string, number] | undefined {
  return parseTopicPartitionKey(PARTITIONS, key);
}

/** `reassignments/<topic>/<p>` → [topic, p]. */
export function parseReassignmentKey(key: string): [string, number] | undefined {
  return parseTopicPartitionKey(REASSIGNMENTS, key);
}

/** `<base><id>` → id, for the per-broker keys. */
export function parseNodeKey(base: string, key: string): number | undefined {
  if (!key.startsWith(base)) return undefined;
  const id = Number(key.slice(base.length));
  return Number.isInteger(id) && id >= 0 ? id : undefined;
}
