/**
 * Where the replicas of new partitions go (Kafka's rack-unaware assignReplicasToBrokers):
 * partition p's first replica (its preferred leader) is broker (start + p) mod n over the live
 * brokers sorted by id, and its followers follow at a shift that grows every n partitions, so
 * leaders and followers both spread evenly. `start` varies per topic so the first partitions
 * of every topic do not all land on the lowest broker.
 *
 * Pure function; the caller supplies the live brokers and the start.
 */
import { SkeinError } from '../errors.js';

export function assignReplicas(brokers: number[], partitionCount: number, replicationFactor: number, start: number, firstPartition = 0): number[][] {
  const ids = [...new Set(brokers)].sort((a, b) => a - b);
  if (replicationFactor < 1 || !Number.isInteger(replicationFactor)) {
    throw new SkeinError('SKEIN_INVALID_REPLICATION_FACTOR', `replication factor must be an integer >= 1, got ${replicationFactor}`);
  }
  if (replicationFactor > ids.length) {
    throw new SkeinError('SKEIN_INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} is larger than the ${ids.length} live broker${ids.length === 1 ? '' : 's'}`, {
      replicationFactor,
      liveBrokers: ids.length,
    });
  }
  const n = ids.length;
  const result: number[][] = [];
  for (let i = 0; i < partitionCount; i++) {
    const p = firstPartition + i;
    const first = (start + p) % n;
    // Followers sit at 1 + ((shift + j) mod (n - 1)) past the leader: never on the leader's
    // broker, and the shift grows every n partitions so followers spread as leaders do.
    const shift = (Math.floor(p / n) + start) % Math.max(1, n - 1);
    const replicas = [ids[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) {
      replicas.push(ids[(first + 1 + ((shift + j) % (n - 1))) % n]!);
    }
    result.push(replicas);
  }
  return result;
}

/** Checks an explicit assignment (CreateTopics replicaAssignment): known live brokers, no duplicates, one replication factor. */
export function checkAssignment(assignment: number[][], liveBrokers: number[]): void {
  const live = new Set(liveBrokers);
  const factor = assignment[0]?.length ?? 0;
  for (const [p, replicas] of assignment.entries()) {
    if (replicas.length === 0 || replicas.length !== factor) {
      throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `partition ${p} has ${replicas.length} replicas, partition 0 has ${factor}`, { partition: p });
    }
    if (new Set(replicas).size !== replicas.length) {
      throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `partition ${p} names a broker twice: ${replicas.join(',')}`, { partition: p });
    }
    for (const id of replicas) {
      if (!live.has(id)) throw new SkeinError('SKEIN_INVALID_REPLICA_ASSIGNMENT', `partition ${p} names broker ${id}, which is not alive`, { partition: p, broker: id });
    }
  }
}
