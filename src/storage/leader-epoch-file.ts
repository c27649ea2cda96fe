/**
 * The `leader-epoch-checkpoint` file of a partition folder: the leader epochs seen in the log
 * and the offset each one starts at, in Kafka's text format (its LeaderEpochCheckpointFile),
 * so a folder can be read by the same eyes and tools:
 *
 *   0            <- format version
 *   2            <- number of entries
 *   0 0          <- epoch, start offset
 *   3 1200
 *
 * Written and read through kafka-checkpoint-file.ts (atomic replace). Storage only reads and
 * writes the entries; what they mean (and rebuilding them from the batches when the file is
 * missing or damaged) belongs to the partition layer's LeaderEpochCache. Synchronous, event
 * loop; rare (leader changes, truncations, log start moves).
 */
import { join } from 'node:path';
import { parseNonNegative, readCheckpointFile, writeCheckpointFile, type CheckpointRead } from './kafka-checkpoint-file.js';
import { LEADER_EPOCH_CHECKPOINT_FILE } from './file-names.js';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export type EpochFileRead = CheckpointRead<EpochEntry>;

export function leaderEpochFilePath(dir: string): string {
  return join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
}

/** Reads the file: its entries, 'missing', or 'corrupt' with what is wrong (never throws for content). */
export function readLeaderEpochFile(dir: string): EpochFileRead {
  return readCheckpointFile<EpochEntry>(leaderEpochFilePath(dir), (fields, line, before) => {
    const epoch = fields.length === 2 ? parseNonNegative(fields[0]!) : undefined;
    const startOffset = fields.length === 2 ? parseNonNegative(fields[1]!) : undefined;
    if (epoch === undefined || startOffset === undefined) return { corrupt: `has a malformed entry ${JSON.stringify(line)}` };
    const previous = before[before.length - 1];
    if (previous && (epoch <= previous.epoch || startOffset < previous.startOffset)) {
      return { corrupt: `has entries out of order (${previous.epoch} ${previous.startOffset} then ${line})` };
    }
    return { epoch, startOffset };
  });
}

/** Replaces the file with `entries` durably (tmp + fsync + rename + folder fsync). */
export function writeLeaderEpochFile(dir: string, entries: readonly EpochEntry[]): void {
  writeCheckpointFile(
    leaderEpochFilePath(dir),
    entries.map((e) => `${e.epoch} ${e.startOffset}`),
  );
}
