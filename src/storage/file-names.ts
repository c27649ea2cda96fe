/**
 * Names of the files in a partition folder.
 *
 * A segment is named by its base offset padded to 20 digits, so a plain directory listing
 * sorts segments in offset order (Kafka's LogFileUtils rule):
 *   00000000000000000000.log         the batches, byte for byte as they travel on the wire
 *   00000000000000000000.index       sparse offset index (derived; rebuilt when in doubt)
 *   00000000000000000000.timeindex   sparse time index (derived; rebuilt when in doubt)
 * A file being deleted is first renamed with the suffix `.deleted`, then unlinked; a crash
 * between the two leaves a `.deleted` file that the loader removes.
 *
 * The log cleaner (cleaner/) replaces segments in three renames, as Kafka does:
 *   00000000000000000000.log.cleaned       being written; never read; removed at open
 *   00000000000000000000.00000000000000000500.swap
 *                                          complete and synced: replaces every segment whose
 *                                          base offset is in [0, 500); at open the loader
 *                                          finishes the swap (deletes those, renames this)
 *   00000000000000000000.log               the swap renamed into place
 *   cleaner-offset-checkpoint              the offset up to which the log was cleaned
 */
import { join } from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const DELETED_SUFFIX = '.deleted';
/** Empty marker: offsets may skip between this segment's batches (a follower's copy of a compacted range). */
export const GAPS_SUFFIX = '.gaps';
/** Temporary files written before an atomic rename (index files, checkpoints). */
export const TEMP_SUFFIX = '.tmp';

/** Present only between a clean close and the next open. */
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
/** Offset below which every byte is known to be flushed (segments from there are rescanned after a crash). */
export const RECOVERY_POINT_FILE = 'recovery-point';
/** The first offset the log cleaner has not cleaned yet (one decimal and a newline). */
export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
/** The log start offset when records below it were deleted inside a segment (DeleteRecords); absent otherwise. */
export const LOG_START_OFFSET_FILE = 'log-start-offset';
/** Leader epochs and their start offsets (leader-epoch-file.ts), Kafka's name and text format. */
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';
/** Holds the pid of the process that has the folder open. */
export const LOCK_FILE = '.lock';

const OFFSET_DIGITS = 20;
const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)$/;

export function segmentBaseName(baseOffset: number): string {
  return String(baseOffset).padStart(OFFSET_DIGITS, '0');
}

export function logFile(dir: string, baseOffset: number): string {
  return join(dir, segmentBaseName(baseOffset) + LOG_SUFFIX);
}

export function indexFile(dir: string, baseOffset: number): string {
  return join(dir, segmentBaseName(baseOffset) + INDEX_SUFFIX);
}

export function gapsFile(dir: string, baseOffset: number): string {
  return join(dir, segmentBaseName(baseOffset) + GAPS_SUFFIX);
}

export function timeIndexFile(dir: string, baseOffset: number): string {
  return join(dir, segmentBaseName(baseOffset) + TIME_INDEX_SUFFIX);
}

/** The base offset named by a segment's `.log` file, or undefined for any other file. */
export function parseLogFileName(name: string): number | undefined {
  const match = SEGMENT_FILE.exec(name);
  return match && match[2] === 'log' ? Number(match[1]) : undefined;
}

export function isLeftoverFile(name: string): boolean {
  return name.endsWith(DELETED_SUFFIX) || name.endsWith(TEMP_SUFFIX) || name.endsWith(CLEANED_SUFFIX);
}

/** A cleaned segment being written: `<base>.log.cleaned`. */
export function cleanedFile(dir: string, baseOffset: number): string {
  return join(dir, segmentBaseName(baseOffset) + LOG_SUFFIX + CLEANED_SUFFIX);
}

/** A cleaned segment ready to replace the segments with base offsets in [baseOffset, endOffset). */
export function swapFile(dir: string, baseOffset: number, endOffset: number): string {
  return join(dir, `${segmentBaseName(baseOffset)}.${segmentBaseName(endOffset)}${SWAP_SUFFIX}`);
}

const SWAP_FILE = /^(\d{20})\.(\d{20})\.swap$/;

/** The range named by a swap file, or undefined for any other file. */
export function parseSwapFileName(name: string): { baseOffset: number; endOffset: number } | undefined {
  const match = SWAP_FILE.exec(name);
  return match ? { baseOffset: Number(match[1]), endOffset: Number(match[2]) } : undefined;
}
