/**
 * Opening a log's folder: the folder made (parents too) and checked, leftovers of interrupted
 * deletes, index writes and cleanings removed, an interrupted cleaning swap finished, then
 * every segment loaded in base offset order (recovered from the recovery point on after an
 * unclean stop) and the last one made active; a folder without segments gets one empty
 * segment where the log start offset says.
 *
 * Stateless functions called once by PartitionLog.open, on the event loop (the scans of the
 * segments go to addon async work or the given SegmentScanner). Knows nothing of what the log
 * is for; it reports repairs through `warn`.
 */
import { accessSync, constants, readdirSync, realpathSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CorruptSegmentError, SkeinError, fromSystemError } from '../errors.js';
import { readLogStartOffset, readRecoveryPoint, takeCleanShutdownMarker } from './checkpoint-file.js';
import { gapsFile, indexFile, isLeftoverFile, logFile, parseLogFileName, parseSwapFileName, timeIndexFile } from './file-names.js';
import { syncDir } from './fsync-path.js';
import type { LogConfig } from './log-config.js';
import { makeDirs } from './make-dirs.js';
import type { MappingLru } from './mapping-lru.js';
import { Segment } from './segment.js';
import { removeQuietly } from './segment-files.js';
import type { SegmentScanner } from './segment-recovery.js';

export function prepareDir(dir: string, create: boolean): string {
  try {
    // Parents too: `PartitionLog.open("./data/orders-0")` in a fresh folder is the first thing users try.
    if (create) makeDirs(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot create log folder ${dir}`, { path: dir });
    }
  }
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    return realpathSync(dir);
  } catch (err) {
    const error = fromSystemError(err as NodeJS.ErrnoException, `log folder ${dir} is missing or not writable`, { path: dir });
    throw error.code === 'SKEIN_IO_ERROR'
      ? new SkeinError('SKEIN_LOG_DIR_UNAVAILABLE', error.message, { cause: err, path: dir })
      : error;
  }
}

/**
 * Lists and loads the segments of a folder: leftovers of interrupted deletes and index writes
 * are removed, segments at or after the recovery point are rescanned after an unclean stop,
 * and the last segment becomes the active one (a new empty log gets segment 0).
 */
export async function loadSegments(
  dir: string,
  config: LogConfig,
  lru: MappingLru,
  warn: (message: string) => void,
  scanner: SegmentScanner | undefined,
): Promise<Segment[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot list log folder ${dir}`, { path: dir });
  }
  for (const name of names) {
    if (isLeftoverFile(name)) unlinkSync(join(dir, name));
  }
  if (names.some((name) => parseSwapFileName(name))) {
    finishSwaps(dir, names, warn);
    names = readdirSync(dir);
  }
  const bases = names
    .map(parseLogFileName)
    .filter((b): b is number => b !== undefined)
    .sort((a, b) => a - b);
  const clean = takeCleanShutdownMarker(dir);
  const recoveryPoint = readRecoveryPoint(dir);
  const segments: Segment[] = [];
  try {
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const isLast = i === bases.length - 1;
      const recover = !clean && (isLast || bases[i + 1]! > recoveryPoint);
      // Sealed segments may have offset gaps (left by the log cleaner); the last one only with
      // its .gaps marker (a follower's copy of a compacted range, Segment.allowGaps).
      const segment = await Segment.load(dir, base, config, lru, recover, !isLast, scanner);
      const previous = segments[segments.length - 1];
      if (previous && previous.nextOffset > segment.baseOffset) {
        segment.close();
        throw new CorruptSegmentError(
          `segment ${segment.path} starts at offset ${segment.baseOffset} but the previous one ends at ${previous.nextOffset - 1}`,
          { path: segment.path },
        );
      }
      if (segment.size === 0 && !isLast) {
        // An empty segment in the middle holds nothing (e.g. a crash right after a roll was undone).
        segment.delete();
        warn(`removed empty segment ${segment.path}`);
        continue;
      }
      // A sealed segment holds no fd and no mapping until it is read (then under the MappingLru):
      // keeping the fd of every segment opened 2,823 fds for 200 partitions and failed with
      // EMFILE under `ulimit -n 2048`.
      if (!isLast) segment.evict();
      segments.push(segment);
    }
    if (segments.length === 0) {
      // A folder emptied by truncateFullyAndStartAt starts where the log start offset says.
      segments.push(Segment.create(dir, readLogStartOffset(dir), config, lru));
    } else {
      segments[segments.length - 1]!.activate();
    }
  } catch (err) {
    for (const segment of segments) segment.close();
    throw err;
  }
  if (!clean && bases.length > 0) warn(`log ${dir} was not closed cleanly; recovered from offset ${recoveryPoint}`);
  return segments;
}

/**
 * Finishes cleaning swaps a crash interrupted: a `<base>.<end>.swap` file is a complete,
 * synced cleaned segment (it is renamed from `.cleaned` only once written), so the segments
 * it replaces (base offsets in [base, end)) are deleted and it takes their place.
 */
function finishSwaps(dir: string, names: string[], warn: (message: string) => void): void {
  for (const name of names) {
    const swap = parseSwapFileName(name);
    if (!swap) continue;
    const bases = new Set<number>();
    for (const other of names) {
      const match = /^(\d{20})\.(log|index|timeindex)$/.exec(other);
      if (match) bases.add(Number(match[1]));
    }
    for (const base of bases) {
      if (base < swap.baseOffset || base >= swap.endOffset) continue;
      for (const path of [gapsFile(dir, base), indexFile(dir, base), timeIndexFile(dir, base), logFile(dir, base)]) removeQuietly(path);
    }
    try {
      renameSync(join(dir, name), logFile(dir, swap.baseOffset));
      syncDir(dir);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot finish the interrupted cleaning swap ${name}`, { path: dir });
    }
    warn(`finished an interrupted cleaning swap in ${dir} (segments ${swap.baseOffset}..${swap.endOffset - 1})`);
  }
}
