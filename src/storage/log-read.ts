/**
 * Reads across a log's segments: whole batches from the one holding an offset, up to a byte
 * budget and an exclusive offset bound (a high watermark), continuing into the next segments;
 * and the lookup of the first record at or after a timestamp (Kafka ListOffsets by time).
 *
 * Stateless functions over a LogState, synchronous on the event loop; the bytes returned are
 * views of segment mappings (copies in copy mode). The walk inside a segment is
 * segment-reads.ts. Knows nothing of consumers, fetch sessions or the protocol.
 */
import { OffsetOutOfRangeError, SkeinError } from '../errors.js';
import { iterateRecords } from '../records/record-iterator.js';
import type { LogState } from './log-state.js';

export interface ReadOptions {
  /** Soft cap on bytes returned; at least one whole batch is returned when `minOneBatch` (default 1 MiB). */
  maxBytes?: number;
  /** Exclusive bound: no batch whose last offset is >= this is returned (e.g. the high watermark). */
  maxOffset?: number;
  /** Return the first batch even if it alone exceeds maxBytes (Kafka Fetch v3+). Default true. */
  minOneBatch?: boolean;
}

export interface ReadResult {
  /** Whole batches, in order, as zero-copy views of segment mappings (copies in copy mode). */
  views: Buffer[];
  /** Total bytes in views. */
  bytes: number;
  /** Base offset of the first batch returned (may be below the requested offset, as in Kafka), or -1. */
  firstOffset: number;
  /** Offset after the last batch returned; the requested offset when nothing was returned. */
  nextOffset: number;
  logStartOffset: number;
  logEndOffset: number;
}

export interface TimestampLookup {
  offset: number;
  timestamp: number;
}

/**
 * Whole batches from the one containing `offset` (see PartitionLog.read for the contract).
 */
export function readLog(state: LogState, offset: number, options: ReadOptions): ReadResult {
  if (!Number.isSafeInteger(offset)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `offset must be an integer, got ${String(offset)}`);
  }
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const maxOffset = options.maxOffset ?? Infinity;
  const minOneBatch = options.minOneBatch ?? true;
  if (!(maxBytes >= 0)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `maxBytes must be >= 0, got ${String(maxBytes)}`);
  const logEndOffset = state.logEndOffset;
  if (offset < state.startOffset || offset > logEndOffset) {
    throw new OffsetOutOfRangeError(offset, state.startOffset, logEndOffset, { path: state.dir });
  }
  const segments = state.segments;
  const views: Buffer[] = [];
  let bytes = 0;
  let firstOffset = -1;
  let nextOffset = offset;
  for (let i = state.segmentIndexFor(offset); i < segments.length; i++) {
    const segment = segments[i]!;
    const slice = segment.read(nextOffset, maxBytes - bytes, maxOffset, minOneBatch && views.length === 0);
    if (slice) {
      views.push(slice.view);
      bytes += slice.view.length;
      if (firstOffset < 0) firstOffset = slice.firstOffset;
      nextOffset = slice.lastOffset + 1;
    }
    if (bytes >= maxBytes || nextOffset >= maxOffset) break;
    // Go on to the next segment only when this one has nothing left from nextOffset on. A
    // segment that returned no slice because its next batch did not fit in the bytes left
    // (or ends at or past maxOffset) still holds that batch: skipping to a later segment
    // would hand the reader batches after a hole of unread offsets.
    if (nextOffset < segment.nextOffset) break;
  }
  return { views, bytes, firstOffset, nextOffset, logStartOffset: state.startOffset, logEndOffset };
}

/** The first record whose timestamp is >= `timestamp`, or undefined when every record is older. */
export function offsetForTimestamp(state: LogState, timestamp: number): TimestampLookup | undefined {
  if (!Number.isFinite(timestamp)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `timestamp must be a number of ms, got ${String(timestamp)}`);
  }
  for (const segment of state.segments) {
    const batch = segment.findBatchByTimestamp(timestamp);
    if (!batch) continue;
    for (const record of iterateRecords(batch)) {
      if (record.timestamp >= timestamp && record.offset >= state.startOffset) {
        return { offset: record.offset, timestamp: record.timestamp };
      }
    }
  }
  return undefined;
}
