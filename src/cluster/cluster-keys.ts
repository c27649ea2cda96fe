/**
 * The key layout of a cluster in etcd, relative to its prefix (docs/cluster.md, "What lives in
 * etcd"). One place, so the controller, the cache and the tests agree.
 */
export const BROKERS = 'brokers/';
export const CONTROLLER = 'controller';
export const TOPICS = 'topics/';
export const PARTITIONS = 'partitions/';

export const brokerKey = (nodeId: number): string => `${BROKERS}${nodeId}`;
export const topicKey = (topic: string): string => `${TOPICS}${topic}`;
export const partitionsOf = (topic: string): string => `${PARTITIONS}${topic}/`;
export const partitionKey = (topic: string, partition: number): string => `${PARTITIONS}${topic}/${partition}`;

/** `partitions/<topic>/<p>` → [topic, p]; topic names never contain '/'. */
export function parsePartitionKey(key: string): [string, number] | undefined {
  if (!key.startsWith(PARTITIONS)) return undefined;
  const rest = key.slice(PARTITIONS.length);
  const slash = rest.lastIndexOf('/');
  const partition = Number(rest.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(partition) || partition < 0) return undefined;
  return [rest.slice(0, slash), partition];
}
