/**
 * Loading an existing segment file: which bytes are trusted, which are checked, and where the
 * valid data ends. With `recover` every batch is checked (CRC included) and the indexes are
 * rebuilt; otherwise the persisted indexes are trusted when they pass their checks and only
 * the bytes after the last index entry are checked. Either way the first invalid batch and
 * everything after it are cut off the file, so the data ends on a valid batch.
 *
 * Functions called by Segment.load / Segment.loadCleaned on a segment that is not in use yet:
 * they fill its SegmentIndexes and return the rest of what the segment adopts. The scan and
 * the header walk (segment-recovery.ts) run on the addon's async work and this thread, or,
 * given a SegmentScanner, on the partition's worker lane; the rest runs on the event loop.
 * Knows nothing of the log the segment belongs to, nor of reads and appends.
 */
import { ScanStop, type NativeMappedFile, type ScanResult } from '../native/binding.js';
import { HEADER_SIZE, readMaxTimestamp } from '../records/batch-header.js';
import type { SegmentIndexes } from './segment-indexes.js';
import { walkScannedSegment, type SegmentScanRequest, type SegmentScanResult, type SegmentScanner } from './segment-recovery.js';

/** The segment being loaded, as the load sees it. */
export interface SegmentToLoad {
  readonly dir: string;
  readonly path: string;
  readonly baseOffset: number;
  /** Offsets may skip between batches (sealed segments the cleaner compacted, a `.gaps` marker). */
  readonly gapsAllowed: boolean;
  readonly indexIntervalBytes: number;
  readonly indexes: SegmentIndexes;
}

/** What a load found; the indexes went into SegmentToLoad.indexes. */
export interface LoadedData {
  /** The end of the valid data; the file was cut there. */
  size: number;
  nextOffset: number;
  /** maxTimestamp of the first batch (-1 when the segment is empty). */
  firstBatchTimestamp: number;
  /** Whether every batch's CRC was checked (a recovering load): reads then check none again. */
  verified: boolean;
}

/**
 * Loads `file` (see the header). The scan runs on `scanner` when given and there is
 * something to scan, else as addon async work with the walk on this thread.
 */
export async function loadSegmentData(
  segment: SegmentToLoad,
  file: NativeMappedFile,
  recover: boolean,
  scanner: SegmentScanner | undefined,
): Promise<LoadedData> {
  const fileSize = file.fileSize;
  const tailOnly = !recover && segment.indexes.readPersisted(segment.dir, file, fileSize);
  const start = tailOnly ? segment.indexes.offsets.lastPosition : 0;
  const request = scanRequest(segment, start, fileSize, tailOnly);
  let walked: SegmentScanResult;
  if (scanner && fileSize > start) {
    walked = await scanner(request);
  } else {
    // MappedFile.scan reports validEnd as a file position, also when the scan starts mid-file
    // (native/conversions.cc, test/native/mapped-file.test.ts); adding `start` again cut or
    // misplaced the tail of every segment opened from its persisted indexes.
    let scan: ScanResult = { validEnd: start, batches: 0, stop: ScanStop.END };
    if (fileSize > start) {
      file.map(fileSize);
      try {
        scan = await file.scanAsync(start, fileSize);
      } finally {
        // No buffer() was taken, so this releases the mapping now and the truncate below is immediate.
        file.unmap();
      }
    }
    walked = walkScannedSegment(file, request, scan);
  }
  const loaded = finishLoad(segment, file, recover, tailOnly, start, fileSize, walked);
  if (loaded) return loaded;
  // The persisted indexes point past the valid data (damaged index, cut file): rebuild from scratch.
  segment.indexes.reset();
  return loadSegmentData(segment, file, true, scanner);
}

/**
 * Loads a segment file the log cleaner has just written and synced, synchronously: every
 * batch is checked and the indexes are built, as in a recovering load.
 */
export function loadCleanedData(segment: SegmentToLoad, file: NativeMappedFile): LoadedData {
  const fileSize = file.fileSize;
  let scan: ScanResult = { validEnd: 0, batches: 0, stop: ScanStop.END };
  if (fileSize > 0) {
    file.map(fileSize);
    try {
      scan = file.scan(0, fileSize);
    } finally {
      file.unmap();
    }
  }
  return finishLoad(segment, file, true, false, 0, fileSize, walkScannedSegment(file, scanRequest(segment, 0, fileSize, false), scan))!;
}

/** What a load scans and walks from `start`, with the index state it continues from. */
function scanRequest(segment: SegmentToLoad, start: number, fileSize: number, tailOnly: boolean): SegmentScanRequest {
  const indexes = segment.indexes;
  return {
    path: segment.path,
    start,
    fileSize,
    baseOffset: segment.baseOffset,
    // The CRC does not cover baseOffset, so a batch can pass the scan with offsets that do not
    // follow the previous batch: a kill between copying a batch into the mapping and patching
    // its baseOffset leaves the producer's (usually 0), and a flipped bit there goes unseen.
    // Accepting it moved logEndOffset back (or far ahead) and served records under wrong
    // offsets, so the valid data ends at the first batch that does not continue the offsets.
    // (The batch at an index entry, where a tail-only walk starts, was checked against it.)
    expectedBase: tailOnly && start > 0 ? -1 : segment.baseOffset,
    gapsAllowed: segment.gapsAllowed,
    indexIntervalBytes: segment.indexIntervalBytes,
    maxTimestamp: indexes.maxTimestamp,
    offsetOfMaxTimestamp: indexes.offsetOfMaxTimestamp,
    bytesSinceIndexEntry: indexes.bytesSinceIndexEntry,
  };
}

/** The synchronous rest of a load after the scan and walk; undefined when the indexes must be rebuilt. */
function finishLoad(
  segment: SegmentToLoad,
  file: NativeMappedFile,
  recover: boolean,
  tailOnly: boolean,
  start: number,
  fileSize: number,
  walked: SegmentScanResult,
): LoadedData | undefined {
  const { scan, validEnd, nextOffset } = walked;
  const indexes = segment.indexes;
  indexes.applyWalk(walked);
  const indexBeyondData = tailOnly && start > 0 && (scan.batches === 0 || indexes.lastTimeIndexOffset() >= nextOffset);
  if (indexBeyondData) return undefined;
  const firstBatchTimestamp = validEnd >= HEADER_SIZE ? readMaxTimestamp(file.readCopy(0, HEADER_SIZE), 0) : -1;
  if (validEnd < fileSize) file.truncate(validEnd);
  indexes.dirty = !tailOnly;
  indexes.addFinalTimeEntry();
  return { size: validEnd, nextOffset, firstBatchTimestamp, verified: recover };
}
