/**
 * The read walk of one segment: from the offset index entry (or the read hint) at or below an
 * offset, batch header by batch header, to the batch that holds it or to the first batch
 * whose timestamp qualifies, and the slice of whole batches a read returns from there.
 *
 * Stateless functions over a ReadableSegment (a Segment: its data bounds, its indexes, its
 * read hint) and the bytes to walk: the mapping buffer, or null in copy mode (headers are then
 * read with pread). Every header met is checked before it is trusted (headerAt); CRCs are
 * checked by the segment's verify() for what a read hands out. Runs on the event loop.
 * Knows nothing of other segments, of appends or of the files' names.
 */
import { CorruptSegmentError } from '../errors.js';
import { HEADER_SIZE, LOG_OVERHEAD, readBaseOffset, readBatchLength, readLastOffsetDelta, readMaxTimestamp } from '../records/batch-header.js';
import type { OffsetIndex } from './offset-index.js';
import type { TimeIndex } from './time-index.js';

/** Where a read found its batches. `view` is zero-copy unless the runtime refuses external buffers. */
export interface SegmentSlice {
  view: Buffer;
  firstOffset: number;
  lastOffset: number;
}

/** A batch header met while walking a segment, checked by headerAt. */
export interface WalkedBatch {
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
}

/** Where the last read ended (next offset and its byte position): the next tail read starts there. */
export interface ReadHint {
  offset: number;
  position: number;
}

/** What the walk reads of its segment (Segment implements it). */
export interface ReadableSegment {
  readonly path: string;
  readonly baseOffset: number;
  /** The end of the valid data: no header is read at or past it. */
  readonly size: number;
  /** No batch may hold an offset at or past it. */
  readonly nextOffset: number;
  readonly maxTimestamp: number;
  /** Offsets may skip ahead between batches (see Segment.gapsAllowed). */
  readonly gapsAllowed: boolean;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly readHint: ReadHint;
  /** A copy of bytes of the file (copy mode: no mapping buffer to slice). */
  readCopy(position: number, length: number): Buffer;
  /** Checks the CRCs of [start, end) unless already checked; CorruptSegmentError otherwise. */
  verify(start: number, end: number): void;
}

/**
 * The batches from the one containing `offset`, whole, up to `maxBytes` (at least one batch
 * when `minOneBatch`), stopping before any batch that ends at or past `maxOffset`.
 * Undefined when no batch of the segment qualifies. The caller checked that `offset` is below
 * the segment's nextOffset and that the segment holds data.
 */
export function readSlice(
  segment: ReadableSegment,
  buf: Buffer | null,
  offset: number,
  maxBytes: number,
  maxOffset: number,
  minOneBatch: boolean,
): SegmentSlice | undefined {
  const start = locate(segment, offset, buf);
  if (start === undefined) return undefined;
  const position = start.position;
  const size = segment.size;
  let end = position;
  let lastOffset = -1;
  let batch: WalkedBatch | undefined = start;
  while (batch) {
    if (batch.lastOffset >= maxOffset) break;
    const taken = end - position;
    if (taken + batch.size > maxBytes && (taken > 0 || !minOneBatch)) break;
    lastOffset = batch.lastOffset;
    end += batch.size;
    batch = undefined;
    if (end < size) {
      try {
        batch = headerAt(segment, buf, end, lastOffset + 1, -1);
      } catch (err) {
        // Return the whole batches before a damaged header; a read from there reports it.
        if (!(err instanceof CorruptSegmentError)) throw err;
      }
    }
  }
  if (end === position) return undefined;
  segment.verify(position, end);
  const hint = segment.readHint;
  hint.offset = lastOffset + 1;
  hint.position = end;
  const view = buf ? buf.subarray(position, end) : segment.readCopy(position, end - position);
  return { view, firstOffset: start.baseOffset, lastOffset };
}

/**
 * The bytes of the first batch whose maxTimestamp >= `timestamp`, or undefined when no batch
 * of this segment qualifies. The caller checked that the segment holds such a batch
 * (its maxTimestamp) before mapping it for `buf`.
 */
export function batchByTimestamp(segment: ReadableSegment, buf: Buffer | null, timestamp: number): Buffer | undefined {
  const entry = segment.timeIndex.lookupBefore(timestamp);
  const fromOffset = entry ? entry.offset : segment.baseOffset;
  let { position, expectedBase, expectedLast } = walkStart(segment, fromOffset);
  while (position < segment.size) {
    const batch = headerAt(segment, buf, position, expectedBase, expectedLast);
    if (batch.maxTimestamp >= timestamp) {
      segment.verify(position, position + batch.size);
      return buf ? buf.subarray(position, position + batch.size) : segment.readCopy(position, batch.size);
    }
    position += batch.size;
    expectedBase = batch.lastOffset + 1;
    expectedLast = -1;
  }
  return undefined;
}

/** The batch containing `offset` (or the first batch after it, in a gap), and its position. */
export function locate(segment: ReadableSegment, offset: number, buf: Buffer | null): (WalkedBatch & { position: number }) | undefined {
  let { position, expectedBase, expectedLast } = walkStart(segment, offset);
  while (position < segment.size) {
    const batch = headerAt(segment, buf, position, expectedBase, expectedLast);
    if (batch.lastOffset >= offset) return { ...batch, position };
    position += batch.size;
    expectedBase = batch.lastOffset + 1;
    expectedLast = -1;
  }
  return undefined;
}

/** Where a walk of batch headers towards `offset` starts: the offset index entry at or below it, or the read hint. */
function walkStart(segment: ReadableSegment, offset: number): { position: number; expectedBase: number; expectedLast: number } {
  const entry = segment.offsetIndex.lookup(offset);
  // A consumer at the tail reads from where its last read ended. The index is sparse (an
  // entry per index.interval.bytes), so without the hint each such read walked every header
  // since the last entry: ~24 one-record batches per read at the defaults, which showed in
  // the end-to-end latency of single-record sends.
  const hint = segment.readHint;
  if (hint.offset >= 0 && hint.offset <= offset && hint.position > entry.position && hint.position < segment.size) {
    return { position: hint.position, expectedBase: hint.offset, expectedLast: -1 };
  }
  // An entry names the last offset of the batch at its position; position 0 is the segment start.
  return entry.position === 0
    ? { position: 0, expectedBase: segment.baseOffset, expectedLast: -1 }
    : { position: entry.position, expectedBase: -1, expectedLast: entry.offset };
}

/**
 * The header of the batch at `position` met during a walk, or CorruptSegmentError. Walks
 * trust these fields before verify() checks the CRC of what a read returns, and baseOffset
 * is not covered by the CRC at all. Unchecked, a flipped bit in a segment opened after a
 * clean shutdown (whose bytes are not rescanned) sent reads astray: records served under
 * wrong offsets, or a walk past the data into unallocated pages of the mapping. So each
 * header must frame a batch that lies within the data, and its offsets must follow the
 * batch before it (`expectedBase`) or match the index entry the walk started from
 * (`expectedLast`), and stay below nextOffset. A batch holds the offsets right after the
 * previous batch's, except in a segment that allows gaps (see gapsAllowed), where they may
 * skip ahead but never go back.
 */
export function headerAt(segment: ReadableSegment, buf: Buffer | null, position: number, expectedBase: number, expectedLast: number): WalkedBatch {
  let problem: string;
  const size = segment.size;
  if (position + HEADER_SIZE > size) {
    problem = 'a batch header runs past the end of the data';
  } else {
    const header = buf ?? segment.readCopy(position, HEADER_SIZE);
    const at = buf ? position : 0;
    const length = readBatchLength(header, at);
    const baseOffset = readBaseOffset(header, at);
    const lastOffset = baseOffset + readLastOffsetDelta(header, at);
    if (length < HEADER_SIZE - LOG_OVERHEAD || position + LOG_OVERHEAD + length > size) {
      problem = `batchLength ${length} does not fit in the data`;
    } else if (expectedBase >= 0 && (segment.gapsAllowed ? baseOffset < expectedBase : baseOffset !== expectedBase)) {
      problem = `baseOffset ${baseOffset} does not follow offset ${expectedBase - 1}`;
    } else if (expectedLast >= 0 && lastOffset !== expectedLast) {
      problem = `the batch ends at offset ${lastOffset}, the offset index says ${expectedLast}`;
    } else if (lastOffset < baseOffset || lastOffset >= segment.nextOffset) {
      problem = `offsets ${baseOffset}..${lastOffset} lie outside the segment`;
    } else {
      return { baseOffset, lastOffset, size: LOG_OVERHEAD + length, maxTimestamp: readMaxTimestamp(header, at) };
    }
  }
  throw new CorruptSegmentError(`segment ${segment.path} is damaged at position ${position}: ${problem}`, {
    path: segment.path,
    position,
  });
}
