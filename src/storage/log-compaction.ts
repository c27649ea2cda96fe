/**
 * Compaction of one log (cleanup.policy=compact): which sealed segments are cleanable and how
 * dirty they are, one cleaning pass at a time (the file work on the cleaner's worker thread,
 * cleaner/), and the swap of each cleaned group in place of the segments it replaces
 * (.cleaned → .swap → .log renames, synchronous, so no read sees the log half swapped). Rules
 * and crash safety: docs/compaction.md.
 *
 * One LogCompactor per PartitionLog, over its LogState, for the life of the log. Runs on the
 * event loop except the pass's file work. Knows nothing of keys' meaning or of topics.
 */
import { renameSync } from 'node:fs';
import { fromSystemError } from '../errors.js';
import { writeCleanerCheckpoint } from './checkpoint-file.js';
import { cleanSegments, type CleanOutcome, type CleanPlan, type CleanedGroup } from './cleaner/cleaner.js';
import { runCleanTask } from './cleaner/cleaner-pool.js';
import { logFile, swapFile } from './file-names.js';
import { syncDir } from './fsync-path.js';
import type { LogState } from './log-state.js';
import { Segment } from './segment.js';
import { removeQuietly } from './segment-files.js';

export interface CompactOptions {
  /** The clock for min.compaction.lag.ms and delete.retention.ms. Default Date.now(). */
  now?: number;
  /** Clean even below min.cleanable.dirty.ratio (tools, tests). */
  force?: boolean;
  /** Run the file work on this thread rather than the cleaner's worker thread. */
  inline?: boolean;
  /** Bound on distinct keys mapped in one pass (default 4,000,000). */
  maxMapEntries?: number;
  /**
   * Test hook, called at each step of the pass: 'mapped', 'cleaned-written' (inline only),
   * then per swapped group 'swap-renamed', 'old-deleted-one', 'old-deleted', 'swap-installed'.
   */
  onStep?: (step: string) => void;
}

export interface CompactResult {
  /** False when nothing was cleaned; `reason` says why. */
  cleaned: boolean;
  reason?: 'nothing-dirty' | 'below-dirty-ratio' | 'busy' | 'log-changed';
  dirtyRatio: number;
  /** Offsets below this are clean (the cleaner checkpoint). */
  firstDirtyOffset: number;
  segmentsReplaced: number;
  bytesRead: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRead: number;
  recordsKept: number;
}

export interface CleanableState {
  cleanableSegments: number;
  dirtyBytes: number;
  cleanableBytes: number;
  dirtyRatio: number;
  firstDirtyOffset: number;
}

export class LogCompactor {
  private readonly state: LogState;
  /** The pass in flight, if any (one at a time per log). */
  private cleaning: Promise<CompactResult> | undefined;

  constructor(state: LogState) {
    this.state = state;
  }

  /** Resolves once no pass is in flight (a pass settles its files before it resolves). */
  async idle(): Promise<void> {
    await this.cleaning?.catch(() => undefined);
  }

  /**
   * The sealed segments from the log start up to the first one that is active or newer than
   * min.compaction.lag.ms, and the share of their bytes not cleaned yet.
   */
  cleanableState(now: number): CleanableState {
    const state = this.state;
    const lagMs = state.config.minCompactionLagMs;
    let cleanableSegments = 0;
    let dirtyBytes = 0;
    let cleanableBytes = 0;
    for (const segment of state.segments) {
      if (segment.active) break;
      if (lagMs > 0 && segment.maxTimestamp > now - lagMs) break;
      cleanableSegments += 1;
      cleanableBytes += segment.size;
      if (segment.nextOffset > state.firstDirtyOffset) dirtyBytes += segment.size;
    }
    return { cleanableSegments, dirtyBytes, cleanableBytes, dirtyRatio: cleanableBytes > 0 ? dirtyBytes / cleanableBytes : 0, firstDirtyOffset: state.firstDirtyOffset };
  }

  /** One pass (see PartitionLog.compact); { cleaned: false, reason: 'busy' } while one runs. */
  compact(options: CompactOptions): Promise<CompactResult> {
    if (this.cleaning) return Promise.resolve({ ...this.idleResult(0), reason: 'busy' });
    const pass = this.compactPass(options).finally(() => {
      this.cleaning = undefined;
    });
    this.cleaning = pass;
    return pass;
  }

  private idleResult(dirtyRatio: number): CompactResult {
    return { cleaned: false, dirtyRatio, firstDirtyOffset: this.state.firstDirtyOffset, segmentsReplaced: 0, bytesRead: 0, bytesBefore: 0, bytesAfter: 0, recordsRead: 0, recordsKept: 0 };
  }

  private async compactPass(options: CompactOptions): Promise<CompactResult> {
    const state = this.state;
    const now = options.now ?? Date.now();
    const cleanable = this.cleanableState(now);
    if (cleanable.dirtyBytes === 0) return { ...this.idleResult(cleanable.dirtyRatio), reason: 'nothing-dirty' };
    if (!options.force && cleanable.dirtyRatio < state.config.minCleanableDirtyRatio) {
      return { ...this.idleResult(cleanable.dirtyRatio), reason: 'below-dirty-ratio' };
    }
    const segments = state.segments.slice(0, cleanable.cleanableSegments);
    const plan: CleanPlan = {
      dir: state.dir,
      segments: segments.map((s) => ({ baseOffset: s.baseOffset, nextOffset: s.nextOffset, size: s.size, path: s.path })),
      firstDirtyOffset: state.firstDirtyOffset,
      nowMs: now,
      deleteRetentionMs: state.config.deleteRetentionMs,
      segmentBytes: state.config.segmentBytes,
      maxMapEntries: options.maxMapEntries ?? 4_000_000,
      maxDecompressedBytes: state.config.maxMessageBytes,
    };
    const step = options.onStep ?? (() => {});
    const truncations = state.truncations;
    const outcome: CleanOutcome = options.inline ? cleanSegments(plan, step) : await runCleanTask(plan);
    step('mapped-and-written');
    let swapped = 0;
    let complete = true;
    for (const group of outcome.groups) {
      // A truncation during the pass may have cut the very segments it read: its output would
      // bring the cut records back.
      if (!complete || state.closed || truncations !== state.truncations || !this.swapIn(group, step)) {
        complete = false;
        removeQuietly(group.cleanedPath);
        continue;
      }
      swapped += group.oldBases.length;
    }
    if (!complete) return { ...this.idleResult(cleanable.dirtyRatio), reason: 'log-changed', segmentsReplaced: swapped };
    state.firstDirtyOffset = Math.max(state.firstDirtyOffset, outcome.cleanedUpTo);
    writeCleanerCheckpoint(state.dir, state.firstDirtyOffset);
    const bytesBefore = outcome.groups.reduce((n, g) => n + g.bytesIn, 0);
    return {
      cleaned: true,
      dirtyRatio: cleanable.dirtyRatio,
      firstDirtyOffset: state.firstDirtyOffset,
      segmentsReplaced: swapped,
      bytesRead: outcome.bytesRead,
      bytesBefore,
      bytesAfter: outcome.bytesWritten,
      recordsRead: outcome.recordsRead,
      recordsKept: outcome.recordsKept,
    };
  }

  /**
   * Replaces the group's old segments by its cleaned file, all within this call (synchronous:
   * no read sees the log half swapped). False, changing nothing, when the old segments are no
   * longer all there (retention deleted some during the pass).
   */
  private swapIn(group: CleanedGroup, step: (name: string) => void): boolean {
    const state = this.state;
    const segments = state.segments;
    const at = segments.findIndex((s) => s.baseOffset === group.oldBases[0]);
    if (at < 0) return false;
    const old = segments.slice(at, at + group.oldBases.length);
    if (old.length !== group.oldBases.length || old.some((s, i) => s.baseOffset !== group.oldBases[i] || s.active)) return false;
    const swap = swapFile(state.dir, group.baseOffset, group.endOffset);
    try {
      renameSync(group.cleanedPath, swap);
      syncDir(state.dir);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot swap in the cleaned segment ${group.cleanedPath}`);
    }
    // The commit point: from here an open finishes the swap.
    step('swap-renamed');
    old.forEach((segment, i) => {
      segment.delete();
      if (i === 0) step('old-deleted-one');
    });
    step('old-deleted');
    try {
      renameSync(swap, logFile(state.dir, group.baseOffset));
      syncDir(state.dir);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot install the cleaned segment ${swap}`);
    }
    step('swap-installed');
    const replacement = Segment.loadCleaned(state.dir, group.baseOffset, state.config, state.lru);
    if (replacement.size === 0) {
      replacement.delete();
      segments.splice(at, old.length);
    } else {
      segments.splice(at, old.length, replacement);
    }
    state.startOffset = segments[0]!.baseOffset;
    return true;
  }
}
