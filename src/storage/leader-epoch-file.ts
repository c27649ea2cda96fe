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
 * Replaced atomically (write to `.tmp`, fsync, rename, fsync of the folder), so a crash leaves
 * the old content or the new. Storage only reads and writes the entries; what they mean (and
 * rebuilding them from the batches when the file is missing or damaged) belongs to the
 * partition layer's LeaderEpochCache. Synchronous, event loop; rare (leader changes,
 * truncations, log start moves).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { LEADER_EPOCH_CHECKPOINT_FILE, TEMP_SUFFIX } from './file-names.js';

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

const FORMAT_VERSION = 0;

export type EpochFileRead =
  | { state: 'ok'; entries: EpochEntry[] }
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string };

export function leaderEpochFilePath(dir: string): string {
  return join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
}

/** Reads the file: its entries, 'missing', or 'corrupt' with what is wrong (never throws for content). */
export function readLeaderEpochFile(dir: string): EpochFileRead {
  let text: string;
  try {
    text = readFileSync(leaderEpochFilePath(dir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'corrupt', reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) return { state: 'corrupt', reason: 'has no version and count lines' };
  if (lines[0] !== String(FORMAT_VERSION)) return { state: 'corrupt', reason: `has format version ${JSON.stringify(lines[0])}, expected ${FORMAT_VERSION}` };
  const count = parseNonNegative(lines[1]!);
  if (count === undefined) return { state: 'corrupt', reason: `has an entry count ${JSON.stringify(lines[1])}` };
  if (lines.length !== 2 + count) return { state: 'corrupt', reason: `says ${count} entries but holds ${lines.length - 2}` };
  const entries: EpochEntry[] = [];
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i]!;
    const parts = line.split(' ');
    const epoch = parts.length === 2 ? parseNonNegative(parts[0]!) : undefined;
    const startOffset = parts.length === 2 ? parseNonNegative(parts[1]!) : undefined;
    if (epoch === undefined || startOffset === undefined) return { state: 'corrupt', reason: `has a malformed entry ${JSON.stringify(line)}` };
    const previous = entries[entries.length - 1];
    if (previous && (epoch <= previous.epoch || startOffset < previous.startOffset)) {
      return { state: 'corrupt', reason: `has entries out of order (${previous.epoch} ${previous.startOffset} then ${line})` };
    }
    entries.push({ epoch, startOffset });
  }
  return { state: 'ok', entries };
}

/** Replaces the file with `entries` durably (tmp + fsync + rename + folder fsync). */
export function writeLeaderEpochFile(dir: string, entries: readonly EpochEntry[]): void {
  const path = leaderEpochFilePath(dir);
  const temp = path + TEMP_SUFFIX;
  let text = `${FORMAT_VERSION}\n${entries.length}\n`;
  for (const entry of entries) text += `${entry.epoch} ${entry.startOffset}\n`;
  try {
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    const dirFd = openSync(dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${path}`, { path });
  }
}

function parseNonNegative(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
