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
 * Replaced atomically (write to `.tmp`, fsync, rename, fsync of the folder), so a crash leaves
 * the old content or the new. This file only reads and writes entries; what the offsets mean
 * (high watermarks) belongs to the layer that writes them. Synchronous, event loop. Topic names
 * never hold spaces (Kafka's legal characters), so a line splits on spaces.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromSystemError } from '../errors.js';
import { TEMP_SUFFIX } from '../storage/file-names.js';

export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

const FORMAT_VERSION = 0;

export type OffsetCheckpointRead =
  | { state: 'ok'; entries: PartitionOffset[] }
  | { state: 'missing' }
  | { state: 'corrupt'; reason: string };

/** Reads the file at `path`: its entries, 'missing', or 'corrupt' with what is wrong (never throws for content). */
export function readOffsetCheckpointFile(path: string): OffsetCheckpointRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
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
  const entries: PartitionOffset[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i]!;
    const parts = line.split(' ');
    const partition = parts.length === 3 ? parseNonNegative(parts[1]!) : undefined;
    const offset = parts.length === 3 ? parseNonNegative(parts[2]!) : undefined;
    if (partition === undefined || offset === undefined || parts[0]!.length === 0 || partition > 0x7fffffff) {
      return { state: 'corrupt', reason: `has a malformed entry ${JSON.stringify(line)}` };
    }
    const key = `${parts[0]!} ${partition}`;
    if (seen.has(key)) return { state: 'corrupt', reason: `names ${parts[0]!}-${partition} twice` };
    seen.add(key);
    entries.push({ topic: parts[0]!, partition, offset });
  }
  return { state: 'ok', entries };
}

/** Replaces the file at `path` with `entries` durably (tmp + fsync + rename + folder fsync). */
export function writeOffsetCheckpointFile(path: string, entries: readonly PartitionOffset[]): void {
  const temp = path + TEMP_SUFFIX;
  let text = `${FORMAT_VERSION}\n${entries.length}\n`;
  for (const entry of entries) text += `${entry.topic} ${entry.partition} ${entry.offset}\n`;
  try {
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    const dirFd = openSync(dirname(path), 'r');
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
