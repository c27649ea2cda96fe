/**
 * When and how a log starts a new active segment: the roll rule (the bytes do not fit,
 * segment.ms passed, or the offsets would overflow the indexes' 32-bit relative offsets), the
 * roll itself (seal, new segment, flush of the sealed one in the background, then the recovery
 * point moved past it), and the two ways an empty active segment adapts instead of rolling
 * (grown for one large batch, rebased for a follower's far-away first batch).
 *
 * Stateless functions over a LogState, on the event loop (the background flush is addon async
 * work). Knows nothing of what is appended or why; the observer hears of each roll.
 */
import { writeLogStartOffset, writeRecoveryPoint } from './checkpoint-file.js';
import { syncDir } from './fsync-path.js';
import type { LogState } from './log-state.js';
import { Segment } from './segment.js';

/** Relative offsets are 32-bit in the indexes; a segment rolls before it would need more. */
export const MAX_OFFSETS_PER_SEGMENT = 2 ** 31 - 1;

/**
 * Whether an append of `byteLength` bytes whose offsets end before `endOffset` must go to a
 * new segment rather than the active one (an empty active segment never rolls).
 */
export function needsRoll(state: LogState, active: Segment, byteLength: number, endOffset: number, now: number): boolean {
  return (
    active.size > 0 &&
    (byteLength > active.remaining ||
      active.isOlderThan(state.config.segmentMs, now) ||
      endOffset - active.baseOffset > MAX_OFFSETS_PER_SEGMENT)
  );
}

/** Seals the active segment and starts a new one at `baseOffset`. */
export function rollTo(state: LogState, baseOffset: number, minCapacity = 0): Segment {
  const previous = state.active;
  const next = Segment.create(state.dir, baseOffset, state.config, state.lru, minCapacity);
  previous.seal();
  state.segments.push(next);
  state.observer.segmentRolled?.(baseOffset);
  // Flush the sealed segment off the event loop, then move the recovery point past it (Kafka
  // flushes on roll the same way): a crash then rescans only the newer segment(s).
  previous
    .flush()
    .then(() => {
      if (!state.closed && state.segments.includes(next) && allFlushedBefore(state, next)) {
        writeRecoveryPoint(state.dir, next.baseOffset);
      }
    })
    .catch(() => {
      // The recovery point stays where it was; the next flush or close reports I/O errors.
    });
  return next;
}

/** Starts a new segment now, unless the active one is empty. */
export function rollActive(state: LogState): void {
  const active = state.active;
  if (active.size > 0) rollTo(state, active.nextOffset);
}

/**
 * An empty active segment too small for a batch grows to fit it. It used to be deleted and
 * replaced; when the replacement could not be created (SKEIN_DISK_FULL) the log was left
 * with no active segment and every later call failed with a TypeError.
 */
export function growEmptyActive(state: LogState, minCapacity: number): Segment {
  const active = state.active;
  active.growEmpty(minCapacity);
  return active;
}

/**
 * The empty active segment replaced by one starting at `baseOffset` (a follower's first
 * batch lies further above it than the indexes' 32-bit relative offsets reach).
 */
export function rebaseEmptyActive(state: LogState, baseOffset: number): Segment {
  const empty = state.segments.pop()!;
  empty.delete();
  const next = Segment.create(state.dir, baseOffset, state.config, state.lru);
  state.segments.push(next);
  if (state.segments.length === 1) {
    writeLogStartOffset(state.dir, baseOffset);
    state.startOffset = baseOffset;
  }
  syncDir(state.dir);
  return next;
}

function allFlushedBefore(state: LogState, segment: Segment): boolean {
  for (const s of state.segments) {
    if (s === segment) return true;
    if (s.flushedEnd < s.size) return false;
  }
  return true;
}
