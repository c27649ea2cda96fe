/**
 * The state one open log shares between its parts: its folder and settings, the segments in
 * base offset order (the last one active), the log start offset, the cleaner's checkpoint, the
 * truncation count and the observer. PartitionLog owns it for the life of the log; the parts
 * that work on it (log-append.ts, log-roll.ts, log-read.ts, log-retention.ts,
 * log-truncation.ts, log-compaction.ts) are handed it and change it in place.
 *
 * Runs on the event loop. Knows nothing of topics, partitions or the protocol.
 */
import { readCleanerCheckpoint, readLogStartOffset } from './checkpoint-file.js';
import type { LogConfig } from './log-config.js';
import type { MappingLru } from './mapping-lru.js';
import type { Segment } from './segment.js';
import type { RetentionResult } from './log-retention.js';

/**
 * Told what the log did on its own (rolls, flushes, deletions), so the layer above can publish
 * events without wrapping every call. Called synchronously on the event loop, after the fact;
 * an observer must not call back into the log from inside.
 */
export interface LogObserver {
  segmentRolled?(baseOffset: number): void;
  /** Everything appended before the flush started is on disk; `seconds` from its start to here. */
  flushed?(seconds: number): void;
  segmentsDeleted?(result: RetentionResult): void;
  /** DeleteRecords moved the log start offset (segments may or may not have gone too). */
  logStartMoved?(logStartOffset: number): void;
}

export class LogState {
  readonly dir: string;
  /** The settings in force; updated in place (segments hold the same object). */
  readonly config: LogConfig;
  readonly lru: MappingLru;
  /** By base offset; never empty; the last one is the active segment. */
  readonly segments: Segment[];
  startOffset: number;
  /** Offsets below this were cleaned by the log cleaner (persisted in cleaner-offset-checkpoint). */
  firstDirtyOffset: number;
  /** Bumped by each truncation: a cleaning pass that started before one swaps nothing in. */
  truncations = 0;
  closed = false;
  observer: LogObserver = {};

  constructor(dir: string, config: LogConfig, lru: MappingLru, segments: Segment[]) {
    this.dir = dir;
    this.config = config;
    this.lru = lru;
    this.segments = segments;
    // A DeleteRecords may have moved the start past the first segment's base (never past the end).
    this.startOffset = Math.max(segments[0]!.baseOffset, Math.min(readLogStartOffset(dir), segments[segments.length - 1]!.nextOffset));
    this.firstDirtyOffset = Math.max(this.startOffset, readCleanerCheckpoint(dir));
  }

  get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  /** Bytes of batches held in all segments. */
  get size(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  /** The index of the last segment whose baseOffset <= offset. */
  segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
