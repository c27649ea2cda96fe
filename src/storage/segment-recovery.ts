/**
 * The CPU part of opening a segment: the CRC scan of the bytes to check (the whole file when
 * recovering after an unclean stop, the tail after the last index entry otherwise) and the
 * walk of their batch headers that rebuilds the sparse indexes, as plain data in and out, so
 * it can run on the event loop (Segment.load without a scanner) or on the partition's worker
 * (a SegmentScanner, src/workers/tasks/recover-segment.ts) with the same code.
 *
 * The walk ends the valid data at the first batch that does not continue the offsets (the CRC
 * does not cover baseOffset; see scanRequest in segment-load.ts) and records, per batch, the
 * index entries Kafka's LogSegment.append rule would have written. The result is small: the
 * valid end, the next offset, the index entries (one per index.interval.bytes) and the
 * running maxTimestamp state; the segment applies it on the event loop.
 *
 * Runs on whichever thread calls it; it only reads the file (copies of up to 1 MiB, so no
 * external buffer pins a mapping the caller must be able to cut right after).
 * Knows nothing of partitions, pools or the protocol.
 */
import { native, ScanStop, type NativeMappedFile, type ScanResult } from '../native/binding.js';
import { HEADER_SIZE, LOG_OVERHEAD, readBaseOffset, readBatchLength, readLastOffsetDelta, readMaxTimestamp } from '../records/batch-header.js';

/** Bytes read per step when walking batch headers through copies. */
const WALK_CHUNK_BYTES = 1024 * 1024;

/** What to scan and walk, and the index state the walk continues from. */
export interface SegmentScanRequest {
  /** The segment's `.log` file. */
  path: string;
  /** Where the scan starts (0, or the position of the last persisted index entry). */
  start: number;
  /** The file's size when the segment was opened. */
  fileSize: number;
  baseOffset: number;
  /** The base offset the first walked batch must have; -1 when unknown (a walk from an index entry). */
  expectedBase: number;
  /** Offsets may skip between batches (sealed segments the cleaner compacted). */
  gapsAllowed: boolean;
  indexIntervalBytes: number;
  /** Running index state before the first walked batch (from the persisted indexes, or empty). */
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  bytesSinceIndexEntry: number;
}

/** The outcome: small enough to cross threads by copy. */
export interface SegmentScanResult {
  /** The CRC scan of [start, fileSize). */
  scan: ScanResult;
  /** Where the valid data ends (the scan's end, or earlier where offsets stopped continuing). */
  validEnd: number;
  /** The offset after the last valid batch (baseOffset when the walk met none). */
  nextOffset: number;
  /** New offset index entries, pairs (lastOffset, position). */
  offsetEntries: number[];
  /** New time index entries to offer TimeIndex.maybeAppend, pairs (timestamp, lastOffset). */
  timeEntries: number[];
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  bytesSinceIndexEntry: number;
}

/** Runs a scan request somewhere (a worker lane) and answers its result. */
export type SegmentScanner = (request: SegmentScanRequest) => Promise<SegmentScanResult>;

/**
 * Walks the headers of [request.start, scan.validEnd) of a file whose framing and CRCs the scan
 * has checked, building the index entries and the end of the valid data.
 */
export function walkScannedSegment(file: NativeMappedFile, request: SegmentScanRequest, scan: ScanResult): SegmentScanResult {
  const result: SegmentScanResult = {
    scan,
    validEnd: scan.validEnd,
    nextOffset: request.baseOffset,
    offsetEntries: [],
    timeEntries: [],
    maxTimestamp: request.maxTimestamp,
    offsetOfMaxTimestamp: request.offsetOfMaxTimestamp,
    bytesSinceIndexEntry: request.bytesSinceIndexEntry,
  };
  let expectedBase = request.expectedBase;
  const interval = request.indexIntervalBytes;
  walkWithCopies(file, request.start, scan.validEnd, (buf, at, position, batchSize) => {
    const baseOffset = readBaseOffset(buf, at);
    if (expectedBase >= 0 && (request.gapsAllowed ? baseOffset < expectedBase : baseOffset !== expectedBase)) {
      result.validEnd = position;
      return false;
    }
    const lastOffset = baseOffset + readLastOffsetDelta(buf, at);
    // Kafka's LogSegment.append rule, as SegmentIndexes.noteBatch applies it to appends.
    const maxTimestamp = readMaxTimestamp(buf, at);
    if (maxTimestamp > result.maxTimestamp) {
      result.maxTimestamp = maxTimestamp;
      result.offsetOfMaxTimestamp = lastOffset;
    }
    if (result.bytesSinceIndexEntry > interval) {
      result.offsetEntries.push(lastOffset, position);
      result.timeEntries.push(result.maxTimestamp, result.offsetOfMaxTimestamp);
      result.bytesSinceIndexEntry = 0;
    }
    result.bytesSinceIndexEntry += batchSize;
    result.nextOffset = lastOffset + 1;
    expectedBase = lastOffset + 1;
    return true;
  });
  return result;
}

/**
 * The whole request on the calling thread, synchronously: opens the file read-only, scans
 * [start, fileSize) (CRC included), walks, closes. For worker threads, where blocking is the point.
 */
export function scanSegmentFile(request: SegmentScanRequest): SegmentScanResult {
  const file = new native.MappedFile(request.path, { create: false, writable: false });
  try {
    // The file may have been cut since the request was made: never read past its size now.
    const end = Math.min(request.fileSize, file.fileSize);
    let scan: ScanResult = { validEnd: request.start, batches: 0, stop: ScanStop.END };
    if (end > request.start) {
      file.map(end);
      try {
        scan = file.scan(request.start, end);
      } finally {
        file.unmap();
      }
    }
    return walkScannedSegment(file, request, scan);
  } finally {
    file.close();
  }
}

/**
 * Calls `visit` for each batch in [start, end) of a file whose framing was already validated,
 * until it returns false, reading through copies of up to 1 MiB so no external buffer pins the
 * mapping (recovery must be able to cut the file right after).
 */
export function walkWithCopies(
  file: NativeMappedFile,
  start: number,
  end: number,
  visit: (buf: Buffer, at: number, position: number, batchSize: number) => boolean,
): void {
  if (end <= start) return;
  file.map(end);
  try {
    let position = start;
    while (position < end) {
      const chunk = file.readCopy(position, Math.min(WALK_CHUNK_BYTES, end - position));
      let at = 0;
      while (at + HEADER_SIZE <= chunk.length) {
        const batchSize = LOG_OVERHEAD + readBatchLength(chunk, at);
        if (!visit(chunk, at, position + at, batchSize)) return;
        at += batchSize;
      }
      if (at === 0) break;
      position += at;
    }
  } finally {
    file.unmap();
  }
}
