/**
 * Removing the oldest data of a log: retention by time and by size (whole segments), the
 * deletion of the segments below an offset (a log that snapshots its own state), and Kafka's
 * DeleteRecords (the log start offset moved inside a segment, written durably first). The log
 * start offset only ever moves up; views of deleted segments stay readable.
 *
 * Stateless functions over a LogState, synchronous on the event loop; the observer hears of
 * every deletion. Knows nothing of topics' retention settings beyond the log's own config, nor
 * of when the broker's schedule runs them.
 */
import { OffsetOutOfRangeError } from '../errors.js';
import { writeLogStartOffset } from './checkpoint-file.js';
import { rollActive } from './log-roll.js';
import type { LogState } from './log-state.js';
import type { Segment } from './segment.js';

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
  logStartOffset: number;
}

/**
 * Deletes whole segments past retention: those whose newest record is older than
 * retentionMs, and the oldest ones while the log would still hold more than retentionBytes.
 * The active segment is rolled first when everything in it has expired by time. The log
 * start offset moves to the first remaining segment.
 */
export function applyRetention(state: LogState, now: number): RetentionResult {
  const segments = state.segments;
  let deletedSegments = 0;
  let deletedBytes = 0;
  const { retentionMs, retentionBytes } = state.config;
  const expired = (s: Segment) => retentionMs >= 0 && retentionMs !== Infinity && s.size > 0 && s.maxTimestamp >= 0 && now - s.maxTimestamp > retentionMs;
  if (segments.length === 1 && expired(state.active)) rollActive(state);
  let total = state.size;
  while (segments.length > 1) {
    const oldest = segments[0]!;
    const overSize = retentionBytes >= 0 && total - oldest.size >= retentionBytes;
    if (!expired(oldest) && !overSize) break;
    if (oldest.size === 0 && !overSize && !expired(oldest)) break;
    segments.shift();
    total -= oldest.size;
    deletedBytes += oldest.size;
    deletedSegments += 1;
    oldest.delete();
    state.startOffset = Math.max(state.startOffset, segments[0]!.baseOffset);
    if (segments.length === 1 && expired(state.active)) rollActive(state);
  }
  return reportDeleted(state, deletedSegments, deletedBytes);
}

/**
 * Deletes the whole segments that end at or below `offset` (never the active one), moving
 * the log start offset to the first remaining segment.
 */
export function deleteSegmentsBefore(state: LogState, offset: number): RetentionResult {
  const segments = state.segments;
  let deletedSegments = 0;
  let deletedBytes = 0;
  while (segments.length > 1 && segments[0]!.nextOffset <= offset) {
    const oldest = segments.shift()!;
    deletedBytes += oldest.size;
    deletedSegments += 1;
    oldest.delete();
    state.startOffset = Math.max(state.startOffset, segments[0]!.baseOffset);
  }
  return reportDeleted(state, deletedSegments, deletedBytes);
}

/**
 * Kafka's DeleteRecords: moves the log start offset up to `offset` (at most the log end
 * offset), written durably first, and deletes the whole segments below it. Records below it
 * that share a batch with records above stay on disk until their segment goes (as in Kafka)
 * but are never served.
 */
export function deleteRecordsBefore(state: LogState, offset: number): RetentionResult {
  const end = state.logEndOffset;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > end) throw new OffsetOutOfRangeError(offset, state.startOffset, end, { path: state.dir });
  if (offset <= state.startOffset) return { deletedSegments: 0, deletedBytes: 0, logStartOffset: state.startOffset };
  writeLogStartOffset(state.dir, offset);
  state.startOffset = offset;
  const result = deleteSegmentsBefore(state, offset);
  if (!state.closed) state.observer.logStartMoved?.(state.startOffset);
  return result;
}

function reportDeleted(state: LogState, deletedSegments: number, deletedBytes: number): RetentionResult {
  const result = { deletedSegments, deletedBytes, logStartOffset: state.startOffset };
  if (deletedSegments > 0) state.observer.segmentsDeleted?.(result);
  return result;
}
