/**
 * The Java client's default partitioner: a keyed record goes to
 * toPositive(murmur2(key)) % numPartitions over all partitions (so keys land where Kafka puts
 * them), and records without a key stick to one partition until about batch.size bytes went
 * there, then move to another chosen at random (KIP-480 / KIP-794 "uniform sticky"): fewer,
 * fuller batches than round robin.
 */
import { murmur2, toPositive } from './murmur2.js';

export interface PartitionerArgs {
  topic: string;
  numPartitions: number;
  key: Buffer | null;
  /** Bytes the record adds to a batch (for the sticky switch). */
  size: number;
}

export type Partitioner = (args: PartitionerArgs) => number;

export function keyedPartition(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/** A default partitioner with its own sticky state per topic. */
export function createDefaultPartitioner(batchSize: number): Partitioner {
  const sticky = new Map<string, { partition: number; bytes: number }>();
  return ({ topic, numPartitions, key, size }) => {
    if (key !== null) return keyedPartition(key, numPartitions);
    let state = sticky.get(topic);
    if (!state || state.partition >= numPartitions || state.bytes + size > batchSize) {
      let next = Math.floor(Math.random() * numPartitions);
      if (state && numPartitions > 1 && next === state.partition) next = (next + 1) % numPartitions;
      state = { partition: next, bytes: 0 };
      sticky.set(topic, state);
    }
    state.bytes += size;
    return state.partition;
  };
}
