/**
 * What a truncation does to one segment's file and state: the cut on disk (the commit point)
 * and the end offset, first timestamp and index bookkeeping derived again for the data left.
 *
 * Stateless functions called by Segment.truncateAt on the event loop (PartitionLog.truncateTo
 * decides where to cut, syncs the file, and deletes the segments above). Knows nothing of the
 * other segments, of the log's offsets or of why the cut is made.
 */
import type { NativeMappedFile } from '../native/binding.js';
import type { SegmentIndexes } from './segment-indexes.js';
import { headerAt, locate, type ReadableSegment } from './segment-reads.js';

/** What re-deriving the state of a cut segment reads and writes. */
export interface CuttableSegment extends ReadableSegment {
  nextOffset: number;
  firstBatchTimestamp: number;
  readonly indexes: SegmentIndexes;
}

/**
 * Where a truncation to `offset` cuts the segment: the position and base offset of the batch
 * that contains `offset` (batches are atomic, so the cut falls on its start), or of the first
 * batch after it when `offset` lies in a gap the cleaner left; the segment's end when no batch
 * reaches `offset`. The caller checked that `offset` is below nextOffset and the segment holds
 * data; `buf` is its mapping (null in copy mode).
 */
export function cutPointOf(segment: ReadableSegment, buf: Buffer | null, offset: number): { position: number; baseOffset: number } {
  if (offset <= segment.baseOffset) return { position: 0, baseOffset: segment.baseOffset };
  const found = locate(segment, offset, buf);
  return found ? { position: found.position, baseOffset: found.baseOffset } : { position: segment.size, baseOffset: segment.nextOffset };
}

/**
 * Shortens the file to `position` (ftruncate: from here the data on disk ends there), then
 * grows it back to `diskSize` with zeros, so a view a reader still holds past the cut reads
 * zeros instead of faulting (SIGBUS) on pages past the end of the file; zeros after the data
 * are what a preallocated segment has anyway, and a scan at open stops there. False when the
 * zeros could not be reserved: only stale views past the cut needed them, the cut stands.
 */
export function cutFileAt(file: NativeMappedFile, position: number, diskSize: number): boolean {
  file.truncate(position, true);
  try {
    file.allocate(diskSize);
    return true;
  } catch {
    return false;
  }
}

/**
 * End offset, max timestamp and index bookkeeping of the data [0, position) left by a cut
 * at the batch whose base offset is `cutBase`: the indexes keep their entries below the cut,
 * and the batches from the last kept offset index entry on are walked again (at most
 * index.interval.bytes of headers). `segment.size` is already `position`. `buf`: the mapping
 * to walk, or null to read headers with pread.
 */
export function rederiveBelow(segment: CuttableSegment, buf: Buffer | null, position: number, cutBase: number): void {
  const indexes = segment.indexes;
  indexes.cutBelow(position, cutBase);
  if (position === 0) {
    segment.nextOffset = segment.baseOffset;
    segment.firstBatchTimestamp = -1;
    return;
  }
  const offsets = indexes.offsets;
  const indexed = offsets.entries > 0;
  let at = indexed ? offsets.lastPosition : 0;
  let expectedBase = indexed ? -1 : segment.baseOffset;
  let expectedLast = indexed ? offsets.lastOffset : -1;
  // The batch at the last entry is walked again: that is how the bookkeeping stood after it.
  let lastKept = segment.baseOffset - 1;
  // The walk checks every header against nextOffset: nothing at or past the cut may remain.
  segment.nextOffset = cutBase;
  while (at < position) {
    const batch = headerAt(segment, buf, at, expectedBase, expectedLast);
    indexes.noteBatch(at, batch.size, batch.lastOffset, batch.maxTimestamp);
    at += batch.size;
    lastKept = batch.lastOffset;
    expectedBase = batch.lastOffset + 1;
    expectedLast = -1;
  }
  segment.nextOffset = lastKept + 1;
}
