/**
 * A file of one offset per topic-partition in Kafka's text format (its OffsetCheckpointFile,
 * used for `replication-offset-checkpoint`, `recovery-point-offset-checkpoint`, ...), so a data
 * folder reads the same to Kafka's eyes and tools:
 *
 *   0                 <- format version
 *   2                 <- number of entries
 *   orders 0 1200     <- topic, partition, offset
 *   orders 1 998
 *
 * Written and read through storage's kafka-checkpoint-file.ts (atomic replace). This file only
 * reads and writes entries; what the offsets mean (high watermarks) belongs to the layer that
 * writes them. Synchronous, event loop. Topic names
 * never hold spaces (Kafka's legal characters), so a line splits on spaces.
 */
import { parseNonNegative, readCheckpointFile, writeCheckpointFile, type CheckpointRead } from '../storage/kafka-checkpoint-file.js';

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export type OffsetCheckpointRead = CheckpointRead<PartitionOffset>;

/** Reads the file at `path`: its entries, 'missing', or 'corrupt' with what is wrong (never throws for content). */
export function readOffsetCheckpointFile(path: string): OffsetCheckpointRead {
  const seen = new Set<string>();
  return readCheckpointFile<PartitionOffset>(path, (fields, line) => {
    const partition = fields.length === 3 ? parseNonNegative(fields[1]!) : undefined;
    const offset = fields.length === 3 ? parseNonNegative(fields[2]!) : undefined;
    if (partition === undefined || offset === undefined || fields[0]!.length === 0 || partition > 0x7fffffff) {
      return { corrupt: `has a malformed entry ${JSON.stringify(line)}` };
    }
    const key = `${fields[0]!} ${partition}`;
    if (seen.has(key)) return { corrupt: `names ${fields[0]!}-${partition} twice` };
    seen.add(key);
    return { topic: fields[0]!, partition, offset };
  });
}

/** Replaces the file at `path` with `entries` durably (tmp + fsync + rename + folder fsync). */
export function writeOffsetCheckpointFile(path: string, entries: readonly PartitionOffset[]): void {
  writeCheckpointFile(
    path,
    entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`),
  );
}
