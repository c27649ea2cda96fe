/**
 * Removing the newest data of a log: truncateTo (a replica's tail that diverged from its
 * leader's) and truncateFullyAndStartAt (a replica whose leader's log starts past its end).
 * The crash-safe order of the file steps is the point of this file: a kill at any moment
 * leaves a folder that opens as the old log or as a prefix of it that still holds every batch
 * below the cut (docs/storage.md, Truncation; test/crash/kill-during-truncate.test.ts).
 *
 * Stateless functions over a LogState, synchronous on the event loop: no append or read sees
 * half a truncation. The cut inside one segment is Segment.truncateAt. Knows nothing of
 * leader epochs or replication: the caller decides where to cut.
 */
import { SkeinError } from '../errors.js';
import { readRecoveryPoint, writeCleanerCheckpoint, writeLogStartOffset, writeRecoveryPoint } from './checkpoint-file.js';
import { syncDir, syncFile } from './fsync-path.js';
import type { LogState } from './log-state.js';
import { Segment } from './segment.js';

/**
 * Removes every batch at or above `offset` and returns the new log end offset (below `offset`
 * when it falls inside a batch: batches are atomic). See PartitionLog.truncateTo.
 */
export function truncateTo(state: LogState, offset: number): number {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a truncation offset must be an integer >= 0, got ${String(offset)}`, { path: state.dir });
  }
  if (offset >= state.logEndOffset) return state.logEndOffset;
  if (offset <= state.startOffset) {
    truncateFullyAndStartAt(state, offset);
    return state.logEndOffset;
  }
  const segments = state.segments;
  const at = state.segmentIndexFor(offset);
  const holder = segments[at]!;
  const cut = holder.cutPoint(offset);
  if (cut.baseOffset <= state.startOffset) {
    // The batch holding `offset` straddles the log start: nothing at or above the start remains.
    truncateFullyAndStartAt(state, state.startOffset);
    return state.logEndOffset;
  }
  state.truncations += 1;
  // 1. An open after a kill rescans the cut segment instead of trusting its indexes.
  const recoveryPoint = readRecoveryPoint(state.dir);
  if (recoveryPoint > holder.baseOffset) writeRecoveryPoint(state.dir, holder.baseOffset);
  // 2. Whole segments above the cut, newest first: each deletion leaves a prefix.
  let removed = false;
  while (segments.length - 1 > at) {
    segments.pop()!.delete();
    removed = true;
  }
  if (removed) syncDir(state.dir);
  // 3. The commit point: one ftruncate of the segment holding the cut.
  holder.truncateAt(cut.position, cut.baseOffset);
  syncFile(holder.path);
  if (holder.size === 0 && at > 0) {
    segments.pop();
    holder.delete();
    syncDir(state.dir);
  }
  const last = state.active;
  if (!last.active) last.activate();
  afterTruncation(state);
  return state.logEndOffset;
}

/**
 * Empties the log and restarts it at `offset`. The log start offset file is written first,
 * and an open of a folder without segments starts the log at that offset, so a kill midway
 * leaves a prefix of the old log with no readable record or the empty log at `offset`.
 */
export function truncateFullyAndStartAt(state: LogState, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a start offset must be an integer >= 0, got ${String(offset)}`, { path: state.dir });
  }
  const segments = state.segments;
  state.truncations += 1;
  // Never below the current start first: a kill before the segments go must not bring
  // records removed by DeleteRecords back.
  writeLogStartOffset(state.dir, Math.max(offset, state.startOffset));
  while (segments.length > 0) segments.pop()!.delete();
  syncDir(state.dir);
  if (offset < state.startOffset) writeLogStartOffset(state.dir, offset);
  segments.push(Segment.create(state.dir, offset, state.config, state.lru));
  syncDir(state.dir);
  state.startOffset = offset;
  writeRecoveryPoint(state.dir, offset);
  afterTruncation(state);
}

/** The cleaner's checkpoint never points past the end: new records there are dirty. */
function afterTruncation(state: LogState): void {
  const end = state.logEndOffset;
  if (state.firstDirtyOffset > end) {
    state.firstDirtyOffset = Math.max(state.startOffset, end);
    writeCleanerCheckpoint(state.dir, state.firstDirtyOffset);
  }
}
