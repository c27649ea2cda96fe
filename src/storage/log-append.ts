/**
 * The two appends of a log: a leader's (offsets assigned from the log end, baseOffset and
 * optionally partitionLeaderEpoch patched in the mapping) and a follower's (Kafka's
 * appendAsFollower: the batches keep the offsets their leader gave them). Both validate
 * everything first (append-validation.ts), roll or adapt the active segment (log-roll.ts),
 * then write the bytes (Segment.append); invalid input changes nothing.
 *
 * Stateless functions over a LogState, synchronous on the event loop: when they return, the
 * bytes are in the mapping (appended). The flush policy is PartitionLog's. Knows nothing of
 * producers, epochs' meaning or the protocol.
 */
import { SkeinError } from '../errors.js';
import { readBaseOffset } from '../records/batch-header.js';
import { S, SUMMARY_FIELDS, type BatchSummaries } from '../records/batch-summary.js';
import { validateBatches } from './append-validation.js';
import { MAX_OFFSETS_PER_SEGMENT, growEmptyActive, needsRoll, rebaseEmptyActive, rollTo } from './log-roll.js';
import type { LogState } from './log-state.js';
import type { SegmentAppend } from './segment.js';

export interface AppendResult {
  /** Offset assigned to the first record appended. */
  baseOffset: number;
  /** Offset of the last record appended. */
  lastOffset: number;
  recordCount: number;
  /** Largest record timestamp among the appended batches. */
  maxTimestamp: number;
  /** -1: batches keep their CreateTime timestamps (LogAppendTime is not applied by the log). */
  logAppendTime: number;
  logStartOffset: number;
}

/**
 * Appends batches at the log end, assigning consecutive offsets from it. `leaderEpoch`:
 * stamped into every batch's partitionLeaderEpoch; undefined keeps what the batches carry.
 */
export function appendAssigned(state: LogState, batches: Uint8Array, given: BatchSummaries | undefined, leaderEpoch: number | undefined): AppendResult {
  const summaries = validateBatches(batches, given, state.config.maxMessageBytes);
  const recordCount = summaries.records;
  let active = state.active;
  const firstOffset = active.nextOffset;
  if (needsRoll(state, active, batches.length, firstOffset + recordCount, Date.now())) active = rollTo(state, firstOffset, batches.length);
  else if (batches.length > active.remaining) active = growEmptyActive(state, batches.length);
  return resultOf(state, firstOffset, recordCount, active.append(batches, firstOffset, summaries, leaderEpoch));
}

/**
 * Appends batches that keep their own base offsets (a follower's copy of its leader's
 * batches). Offsets must lie at or above the log end and increase from batch to batch; they
 * may skip (a compacted range the leader's cleaner left gaps in: the active segment then
 * allows gaps first), and the log end becomes the last batch's lastOffset + 1. Refused with
 * SKEIN_INVALID_RECORD, changing nothing, when an offset goes back.
 */
export function appendKept(state: LogState, batches: Uint8Array, given: BatchSummaries | undefined): AppendResult {
  const summaries = validateBatches(batches, given, state.config.maxMessageBytes);
  const fields = summaries.fields;
  let expected = state.logEndOffset;
  let firstOffset = -1;
  let lastOffset = -1;
  let gapped = false;
  for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
    const baseOffset = readBaseOffset(batches, fields[f + S.POSITION]!);
    if (i > 0 && baseOffset !== expected) gapped = true;
    if (baseOffset < expected) {
      throw new SkeinError('SKEIN_INVALID_RECORD', `a batch at offset ${baseOffset} does not lie above offset ${expected - 1} of ${state.dir}`, {
        path: state.dir,
        offset: baseOffset,
        logEndOffset: state.logEndOffset,
      });
    }
    if (firstOffset < 0) firstOffset = baseOffset;
    lastOffset = baseOffset + fields[f + S.LAST_OFFSET_DELTA]!;
    expected = lastOffset + 1;
  }
  let active = state.active;
  if (needsRoll(state, active, batches.length, lastOffset + 1, Date.now())) active = rollTo(state, firstOffset, batches.length);
  else if (active.size === 0 && lastOffset + 1 - active.baseOffset > MAX_OFFSETS_PER_SEGMENT) active = rebaseEmptyActive(state, firstOffset);
  if (batches.length > active.remaining) active = growEmptyActive(state, batches.length);
  if (gapped || firstOffset !== active.nextOffset) active.allowGaps();
  return resultOf(state, firstOffset, summaries.records, active.append(batches, 'kept', summaries));
}

function resultOf(state: LogState, baseOffset: number, recordCount: number, appended: SegmentAppend): AppendResult {
  return {
    baseOffset,
    lastOffset: appended.lastOffset,
    recordCount,
    maxTimestamp: appended.maxTimestamp,
    logAppendTime: -1,
    logStartOffset: state.startOffset,
  };
}
