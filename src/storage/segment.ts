/**
 * One segment: a `.log` file of RecordBatch v2 bytes, exactly as they travel on the wire, with
 * its sparse offset and time indexes.
 *
 * Lifecycle: created empty as the active segment of a log (mapped read-write over
 * `capacity` bytes of address space, disk reserved in extents by fallocate), appended to,
 * sealed when the log rolls, then read until retention deletes it. A sealed segment is
 * mapped only on demand and may be unmapped and closed by the MappingLru at any time; the
 * next read reopens it. Runs on the event loop; flushes go to the addon's async work, and
 * the scan and index walk of a load (segment-recovery.ts) to the addon's async work or, given a
 * SegmentScanner, to the partition's worker lane.
 *
 * Positions and offsets: a *position* locates bytes in this file, an *offset* numbers a
 * record; `size` is the logical end (bytes of whole valid batches), `nextOffset` the offset
 * after the last record. Bytes past `size` are zeros or a torn tail and are never read.
 *
 * Views: reads return subarrays of one external Buffer over the mapping. A view keeps that
 * mapping alive after unmap, close or deletion (reference counted in native/), so a reader
 * never touches unmapped memory.
 *
 * Knows nothing of topics, partitions or the protocol.
 */
import { S, SUMMARY_FIELDS, type BatchSummaries } from '../records/batch-summary.js';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { native, ScanStop, type NativeMappedFile, type ScanResult } from '../native/binding.js';
import { SkeinError, CorruptSegmentError, fromSystemError } from '../errors.js';
import {
  BATCH_LENGTH,
  HEADER_SIZE,
  LOG_OVERHEAD,
  readBaseOffset,
  readBatchLength,
  readLastOffsetDelta,
  readMaxTimestamp,
  writeBaseOffset,
  writeInt32BE,
  PARTITION_LEADER_EPOCH,
} from '../records/batch-header.js';
import { OffsetIndex } from './offset-index.js';
import { walkScannedSegment, type SegmentScanRequest, type SegmentScanResult, type SegmentScanner } from './segment-recovery.js';
import { TimeIndex } from './time-index.js';
import { DELETED_SUFFIX, TEMP_SUFFIX, gapsFile, indexFile, logFile, timeIndexFile } from './file-names.js';
import type { LogConfig } from './log-config.js';
import type { MappingLru } from './mapping-lru.js';

/** What appending one validated buffer of batches did to the segment. */
export interface SegmentAppend {
  /** Position of the first byte written. */
  position: number;
  lastOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

/** Where a read found its batches. `view` is zero-copy unless the runtime refuses external buffers. */
export interface SegmentSlice {
  view: Buffer;
  firstOffset: number;
  lastOffset: number;
}

/** A batch header met while walking a segment, checked by Segment.headerAt. */
interface WalkedBatch {
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
}

/** Bounds of the window of pages faulted in ahead of the writer (Segment.populateAhead). */
const POPULATE_MIN_BYTES = 256 * 1024;
const POPULATE_MAX_BYTES = 8 * 1024 * 1024;
/** The largest extent a segment reserves at once (see Segment.extentBytes). */
const MAX_EXTENT_BYTES = 256 * 1024 * 1024;

export class Segment {
  readonly baseOffset: number;
  readonly path: string;
  private readonly dir: string;
  private readonly config: LogConfig;
  private readonly lru: MappingLru;

  private file: NativeMappedFile | undefined;
  /** External Buffer over the whole current mapping; null in copy mode; undefined when not asked yet. */
  private mapping: Buffer | null | undefined;
  /** Address space mapped for the active segment; at least segmentBytes. */
  private capacity: number;
  /** Disk reserved so far (fileSize of the active segment). */
  private allocated: number;

  size = 0;
  nextOffset: number;
  /** Largest record timestamp in the segment (-1 when empty or unknown). */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** maxTimestamp of the first batch, the clock for segment.ms (as Kafka's rollingBasedTimestamp). */
  firstBatchTimestamp = -1;
  /** Wall-clock creation, used for segment.ms when batches carry no usable timestamp. */
  private readonly createdMs: number;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  private bytesSinceIndexEntry = 0;
  /**
   * Disk reserved by the next fallocate. Starts at preallocateBytes and doubles with each
   * extent up to MAX_EXTENT_BYTES: an idle partition reserves little, a busy one reserves in
   * large extents, which measured here made first writes into the mapping markedly cheaper
   * than many small extents (ext4 maps large unwritten extents with fewer, larger folios).
   */
  private extentBytes: number;
  /** Pages up to here were (or are being) faulted in ahead of the writer; see populateAhead. */
  private populatedEnd = 0;
  private populateWindow = POPULATE_MIN_BYTES;
  /** Where the last read ended (next offset and its byte position): the next tail read starts there. */
  private readonly readHint = { offset: -1, position: 0 };
  /** Bytes [0, verifiedEnd) had their CRCs checked in this process (appended here, or scanned). */
  private verifiedEnd = 0;
  /** Bytes [0, flushedEnd) are known to be on disk. */
  flushedEnd = 0;
  active: boolean;
  /**
   * Whether offsets may skip between batches: true for sealed segments that are not the last
   * of the log (the log cleaner removes whole batches and leaves gaps there, as Kafka does),
   * and for any segment with a `.gaps` marker (a follower copied a leader's compacted range
   * into it: allowGaps). Elsewhere a batch that does not continue the offsets is damage (a
   * flipped bit in its baseOffset, which the CRC does not cover) and is cut off.
   */
  private gapsAllowed = false;
  private indexesDirty = false;
  /** Bumped by every truncation: a flush that started before one must not move flushedEnd. */
  private truncations = 0;
  private closed = false;
  private deleted = false;

  private constructor(
    dir: string,
    baseOffset: number,
    config: LogConfig,
    lru: MappingLru,
    capacity: number,
    active: boolean,
  ) {
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.path = logFile(dir, baseOffset);
    this.config = config;
    this.lru = lru;
    this.capacity = capacity;
    this.active = active;
    this.nextOffset = baseOffset;
    this.allocated = 0;
    this.extentBytes = config.preallocateBytes;
    this.createdMs = Date.now();
    this.offsetIndex = new OffsetIndex(baseOffset);
    this.timeIndex = new TimeIndex(baseOffset);
  }

  /**
   * Creates a new, empty active segment. `minCapacity` lets one batch larger than
   * segmentBytes still fit in a segment of its own. No disk is reserved here: the first
   * append reserves its extent (see append), so creating a log or rolling onto a full disk
   * cannot fail for lack of space; the append that needs the space reports SKEIN_DISK_FULL.
   * (Reserving 4 MiB here made a broker with many partitions unable to start on a nearly
   * full disk: every open failed with ENOSPC, and every other topic with it.)
   */
  static create(dir: string, baseOffset: number, config: LogConfig, lru: MappingLru, minCapacity = 0): Segment {
    const capacity = Math.max(config.segmentBytes, minCapacity);
    const segment = new Segment(dir, baseOffset, config, lru, capacity, true);
    const file = new native.MappedFile(segment.path, { create: true, writable: true });
    try {
      // Address space only: pages past fileSize are never touched before append reserves them.
      file.map(capacity);
    } catch (err) {
      file.close();
      try {
        unlinkSync(segment.path);
      } catch {
        // The file is empty; if it cannot be removed the loader treats it as an empty segment.
      }
      throw err;
    }
    segment.file = file;
    segment.mapping = file.buffer();
    segment.indexesDirty = true;
    return segment;
  }

  /**
   * Opens an existing segment file. With `recover`, every batch is checked (CRC included) and
   * the indexes are rebuilt; otherwise the persisted indexes are trusted when they pass their
   * checks and only the bytes after the last index entry are checked. Either way the first
   * invalid batch and everything after it are cut off, so `size` ends on a valid batch.
   * The returned segment is sealed and unmapped; `activate()` makes it the active one.
   * With a `scanner` the scan and the header walk run there (a worker thread) and only their
   * small result is applied here; without one the scan is addon async work and the walk runs
   * on this thread.
   */
  static async load(
    dir: string,
    baseOffset: number,
    config: LogConfig,
    lru: MappingLru,
    recover: boolean,
    gapsAllowed = false,
    scanner?: SegmentScanner,
  ): Promise<Segment> {
    const segment = new Segment(dir, baseOffset, config, lru, config.segmentBytes, false);
    segment.gapsAllowed = gapsAllowed || existsSync(gapsFile(dir, baseOffset));
    const file = new native.MappedFile(segment.path, { create: false, writable: true });
    try {
      await segment.loadFrom(file, recover, scanner);
    } catch (err) {
      file.close();
      throw err;
    }
    return segment;
  }

  /**
   * Opens a segment file the log cleaner has just written and synced (swap renamed into
   * place), synchronously, so that the log can replace the old segments by it within one
   * turn of the event loop (no reader ever sees neither). Every batch is checked and the
   * indexes are built, as in a recovering load; offsets may skip between batches.
   */
  static loadCleaned(dir: string, baseOffset: number, config: LogConfig, lru: MappingLru): Segment {
    const segment = new Segment(dir, baseOffset, config, lru, config.segmentBytes, false);
    segment.gapsAllowed = true;
    const file = new native.MappedFile(segment.path, { create: false, writable: true });
    try {
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
      segment.finishLoad(file, true, false, 0, fileSize, walkScannedSegment(file, segment.scanRequest(0, fileSize, false), scan));
      segment.writeIndexes();
    } catch (err) {
      file.close();
      throw err;
    }
    return segment;
  }

  private async loadFrom(file: NativeMappedFile, recover: boolean, scanner: SegmentScanner | undefined): Promise<void> {
    const fileSize = file.fileSize;
    const tailOnly = !recover && this.readPersistedIndexes(file, fileSize);
    const start = tailOnly ? this.offsetIndex.lastPosition : 0;
    const request = this.scanRequest(start, fileSize, tailOnly);
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
    if (!this.finishLoad(file, recover, tailOnly, start, fileSize, walked)) {
      // The persisted indexes point past the valid data (damaged index, cut file): rebuild from scratch.
      this.resetDerivedState();
      await this.loadFrom(file, true, scanner);
    }
  }

  /** What a load scans and walks from `start`, with the index state it continues from. */
  private scanRequest(start: number, fileSize: number, tailOnly: boolean): SegmentScanRequest {
    return {
      path: this.path,
      start,
      fileSize,
      baseOffset: this.baseOffset,
      // The CRC does not cover baseOffset, so a batch can pass the scan with offsets that do not
      // follow the previous batch: a kill between copying a batch into the mapping and patching
      // its baseOffset leaves the producer's (usually 0), and a flipped bit there goes unseen.
      // Accepting it moved logEndOffset back (or far ahead) and served records under wrong
      // offsets, so the valid data ends at the first batch that does not continue the offsets.
      // (The batch at an index entry, where a tail-only walk starts, was checked against it.)
      expectedBase: tailOnly && start > 0 ? -1 : this.baseOffset,
      gapsAllowed: this.gapsAllowed,
      indexIntervalBytes: this.config.indexIntervalBytes,
      maxTimestamp: this.maxTimestamp,
      offsetOfMaxTimestamp: this.offsetOfMaxTimestamp,
      bytesSinceIndexEntry: this.bytesSinceIndexEntry,
    };
  }

  /** The synchronous rest of a load after the scan and walk; false when the indexes must be rebuilt. */
  private finishLoad(file: NativeMappedFile, recover: boolean, tailOnly: boolean, start: number, fileSize: number, walked: SegmentScanResult): boolean {
    const { scan, validEnd, offsetEntries, timeEntries } = walked;
    for (let i = 0; i < offsetEntries.length; i += 2) this.offsetIndex.append(offsetEntries[i]!, offsetEntries[i + 1]!);
    for (let i = 0; i < timeEntries.length; i += 2) this.timeIndex.maybeAppend(timeEntries[i]!, timeEntries[i + 1]!);
    this.maxTimestamp = walked.maxTimestamp;
    this.offsetOfMaxTimestamp = walked.offsetOfMaxTimestamp;
    this.bytesSinceIndexEntry = walked.bytesSinceIndexEntry;
    this.nextOffset = walked.nextOffset;
    const indexBeyondData = tailOnly && start > 0 && (scan.batches === 0 || this.timeIndexLastOffset() >= this.nextOffset);
    if (indexBeyondData) return false;
    this.size = validEnd;
    if (this.size >= HEADER_SIZE) this.firstBatchTimestamp = readMaxTimestamp(file.readCopy(0, HEADER_SIZE), 0);
    if (validEnd < fileSize) file.truncate(validEnd);
    this.file = file;
    this.allocated = validEnd;
    this.verifiedEnd = recover ? validEnd : 0;
    this.flushedEnd = validEnd;
    this.indexesDirty = !tailOnly;
    // Finish the time index as a sealed segment would have it.
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    return true;
  }

  private resetDerivedState(): void {
    this.readHint.offset = -1;
    this.readHint.position = 0;
    this.offsetIndex.truncateToPosition(0);
    this.timeIndex.truncateToOffset(this.baseOffset);
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceIndexEntry = 0;
    this.nextOffset = this.baseOffset;
  }

  private timeIndexLastOffset(): number {
    const last = this.timeIndex.lookupBefore(Infinity);
    return last ? last.offset : -1;
  }

  /** Loads `.index` and `.timeindex` if they pass their checks; false means rebuild. */
  private readPersistedIndexes(file: NativeMappedFile, fileSize: number): boolean {
    let offsetBytes: Buffer;
    let timeBytes: Buffer;
    try {
      offsetBytes = readFileSync(indexFile(this.dir, this.baseOffset));
      timeBytes = readFileSync(timeIndexFile(this.dir, this.baseOffset));
    } catch {
      return false;
    }
    const offsets = OffsetIndex.parse(offsetBytes, this.baseOffset, fileSize);
    const times = TimeIndex.parse(timeBytes, this.baseOffset, Number.MAX_SAFE_INTEGER);
    if (!offsets || !times) return false;
    if (offsets.entries > 0) {
      // The last entry must point at a batch header that ends at the entry's offset.
      const position = offsets.lastPosition;
      if (position + HEADER_SIZE > fileSize) return false;
      file.map(fileSize);
      const header = file.readCopy(position, HEADER_SIZE);
      file.unmap();
      if (readBaseOffset(header, 0) + readLastOffsetDelta(header, 0) !== offsets.lastOffset) return false;
    }
    // Every time index entry names the batch ending at its offset and that batch's
    // maxTimestamp, and a sealed segment with data always has one. A time index from another
    // segment (swapped, restored from elsewhere) or emptied passes its own checks, and then
    // offsetForTimestamp started its walk past the records it had to find, and retention read a
    // wrong segment age: so the last entry must match a real batch, or the indexes are rebuilt.
    const lastTime = times.lookupBefore(Infinity);
    if (lastTime ? !batchEndsAt(file, fileSize, offsets, lastTime.offset, lastTime.timestamp) : fileSize > 0) return false;
    for (const { offset, position } of offsets.allEntries()) this.offsetIndex.append(offset, position);
    for (const { timestamp, offset } of times.allEntries()) this.timeIndex.maybeAppend(timestamp, offset);
    const last = times.lookupBefore(Infinity);
    if (last) {
      this.maxTimestamp = last.timestamp;
      this.offsetOfMaxTimestamp = last.offset;
    }
    return true;
  }

  /** Index bookkeeping for one batch written at `position` (Kafka's LogSegment.append rule). */
  private noteBatch(position: number, batchSize: number, lastOffset: number, maxTimestamp: number): void {
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceIndexEntry > this.config.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += batchSize;
  }

  /**
   * Makes a loaded (last) segment the active one: maps it for appends. Reserves nothing: the
   * next append does (an ENOSPC here used to fail the whole open, see create()).
   */
  activate(): void {
    // A sealed segment may hold the cleaner's gaps: made active again (a truncation cut the
    // segments after it), it keeps them across reopens through the marker.
    const sealedWithGaps = this.gapsAllowed;
    this.gapsAllowed = existsSync(gapsFile(this.dir, this.baseOffset));
    if (sealedWithGaps) this.allowGaps();
    const file = this.writableLoadedFile();
    this.lru.forget(this);
    file.unmap();
    this.mapping = undefined;
    const capacity = Math.max(this.capacity, this.size);
    this.allocated = this.size;
    file.map(capacity);
    this.mapping = file.buffer();
    this.capacity = capacity;
    this.active = true;
  }

  /**
   * Lets the empty active segment take a batch bigger than its capacity (segment.bytes):
   * reserves the disk first, so SKEIN_DISK_FULL leaves the segment as it was, then maps the
   * larger address space. (Replacing the segment by a bigger one, as before, deleted it first
   * and left the log with no active segment at all when the new one could not be created.)
   */
  growEmpty(minCapacity: number): void {
    const file = this.writableFile();
    if (this.size !== 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `segment ${this.path} is not empty`);
    if (minCapacity <= this.capacity) return;
    file.allocate(minCapacity);
    this.allocated = Math.max(this.allocated, minCapacity);
    file.map(minCapacity);
    this.mapping = file.buffer();
    this.capacity = minCapacity;
  }

  /** Bytes still free in the active segment's address space. */
  get remaining(): number {
    return this.capacity - this.size;
  }

  /**
   * Lets offsets skip between this segment's batches from now on, across reopens: writes the
   * segment's `.gaps` marker (synced with its folder) before the first batch that skips is
   * written, so recovery never cuts a follower's copy of a compacted range at its first gap.
   */
  allowGaps(): void {
    if (this.gapsAllowed) return;
    const path = gapsFile(this.dir, this.baseOffset);
    try {
      writeFileSync(path, '');
      const fd = openSync(this.dir, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${path}`);
    }
    this.gapsAllowed = true;
  }

  /**
   * Copies `src` (one or more batches, already validated and summarised by the caller's one
   * scan) to the end of the segment and assigns offsets from `firstOffset` by patching each
   * batch's baseOffset. Reads sizes, offset deltas and timestamps from `summaries`, never the
   * headers again. Throws SKEIN_DISK_FULL before writing anything when disk cannot be reserved.
   *
   * `firstOffset` 'kept': the batches keep the base offsets they carry (a follower's copy of
   * its leader's batches, Kafka's appendAsFollower); the caller checked that they lie above
   * this segment's end and increase, and called allowGaps() first when they skip.
   *
   * `leaderEpoch` (>= 0): also patched into each batch's partitionLeaderEpoch in the mapping,
   * beside baseOffset (both lie outside the CRC, so the batches stay valid and nothing is
   * copied twice). Undefined keeps the epochs the batches carry (a follower's append).
   *
   * Each assigned baseOffset is written before the rest of its batch: in a segment that allows
   * gaps, recovery takes a batch whose offset skips ahead as a gap, so a kill between copying a
   * batch and patching its offset must leave a batch that fails its scan (zeros) rather than
   * one that passes with the producer's offset.
   */
  append(src: Uint8Array, firstOffset: number | 'kept', summaries: BatchSummaries, leaderEpoch?: number): SegmentAppend {
    const file = this.writableFile();
    const position = this.size;
    const end = position + src.length;
    if (end > this.capacity) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `append of ${src.length} bytes does not fit in segment ${this.path}`);
    }
    if (end > this.allocated) {
      const want = Math.min(this.capacity, Math.max(end, this.allocated + this.extentBytes));
      try {
        file.allocate(want);
        this.allocated = want;
        this.extentBytes = Math.min(MAX_EXTENT_BYTES, this.extentBytes * 2);
      } catch (err) {
        // No room for a whole extent: reserve just what this append needs, so a nearly full
        // disk still takes the batches that fit (SKEIN_DISK_FULL when even those do not).
        if (!(err instanceof SkeinError) || err.code !== 'SKEIN_DISK_FULL' || want === end) throw err;
        file.allocate(end);
        this.allocated = end;
      }
    }
    const mapping = this.mapping;
    const kept = firstOffset === 'kept';
    const fields = summaries.fields;
    if (kept) {
      if (mapping) mapping.set(src, position);
      else file.write(src, position);
    } else {
      // Offsets first, then each batch's bytes after its baseOffset field (see above).
      let offset = firstOffset;
      for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
        const at = fields[f + S.POSITION]!;
        if (mapping) writeBaseOffset(mapping, position + at, offset);
        else file.writeInt64BE(position + at, offset);
        offset += fields[f + S.LAST_OFFSET_DELTA]! + 1;
      }
      for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
        const from = fields[f + S.POSITION]! + BATCH_LENGTH; // the bytes after baseOffset
        const to = i + 1 < summaries.count ? fields[f + SUMMARY_FIELDS + S.POSITION]! : src.length;
        const bytes = src.subarray(from, to);
        if (mapping) mapping.set(bytes, position + from);
        else file.write(bytes, position + from);
      }
    }

    let offset = kept ? -1 : firstOffset;
    let maxTimestamp = -1;
    let offsetOfMaxTimestamp = -1;
    for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
      const at = fields[f + S.POSITION]!;
      const batchSize = fields[f + S.SIZE]!;
      if (kept) offset = readBaseOffset(src, at);
      const lastOffset = offset + fields[f + S.LAST_OFFSET_DELTA]!;
      if (leaderEpoch !== undefined) {
        if (mapping) writeInt32BE(mapping, position + at + PARTITION_LEADER_EPOCH, leaderEpoch);
        else file.write(epochBytes(leaderEpoch), position + at + PARTITION_LEADER_EPOCH);
      }
      const batchMaxTimestamp = fields[f + S.MAX_TIMESTAMP]!;
      if (batchMaxTimestamp > maxTimestamp) {
        maxTimestamp = batchMaxTimestamp;
        offsetOfMaxTimestamp = lastOffset;
      }
      if (this.size === 0 && at === 0) this.firstBatchTimestamp = batchMaxTimestamp;
      this.noteBatch(position + at, batchSize, lastOffset, batchMaxTimestamp);
      offset = lastOffset + 1;
    }
    this.size = end;
    if (mapping) this.populateAhead(end);
    this.verifiedEnd = end;
    this.nextOffset = offset;
    this.indexesDirty = true;
    return { position, lastOffset: offset - 1, maxTimestamp, offsetOfMaxTimestamp };
  }

  /**
   * Faults in the next pages of the active segment on a pool thread before the writer gets
   * there. The first write to each page of a shared file mapping takes a page fault; measured
   * here, copying into fresh pages ran at ~0.5 GB/s against ~20 GB/s into resident ones, so
   * without this the append path is bound by faults, not by memcpy. The window starts small
   * (idle partitions hold little page cache) and doubles whenever the writer catches up with
   * it, up to POPULATE_MAX_BYTES. Never past the reserved extent (pages past EOF would fault).
   */
  private populateAhead(end: number): void {
    if (end + this.populateWindow / 2 < this.populatedEnd) return;
    if (end >= this.populatedEnd && this.populatedEnd > 0) {
      this.populateWindow = Math.min(POPULATE_MAX_BYTES, this.populateWindow * 2);
    }
    const from = Math.max(this.populatedEnd, end);
    const to = Math.min(this.allocated, from + this.populateWindow);
    if (to <= from || !this.file) return;
    this.populatedEnd = to;
    // Not gated on completion: a writer in a tight synchronous loop never lets the event loop
    // see it. Each request covers new pages, so requests stay bounded by what is written.
    // A failure only costs speed: the writes fault the pages in themselves.
    this.file.populateAsync(from, to).catch(() => undefined);
  }

  /** True when segment.ms has passed since the first batch (or creation, for future-dated batches). */
  isOlderThan(segmentMs: number, now: number): boolean {
    if (this.size === 0 || segmentMs === Infinity) return false;
    const since = this.firstBatchTimestamp >= 0 && this.firstBatchTimestamp <= now ? this.firstBatchTimestamp : this.createdMs;
    return now - since >= segmentMs;
  }

  /**
   * The batches from the one containing `offset`, whole, up to `maxBytes` (at least one batch
   * when `minOneBatch`), stopping before any batch that ends at or past `maxOffset`.
   * Returns undefined when no batch of the segment qualifies.
   */
  read(offset: number, maxBytes: number, maxOffset: number, minOneBatch: boolean): SegmentSlice | undefined {
    if (offset >= this.nextOffset || this.size === 0) return undefined;
    const buf = this.bytes();
    const start = this.locate(offset, buf);
    if (start === undefined) return undefined;
    const position = start.position;
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
      if (end < this.size) {
        try {
          batch = this.headerAt(buf, end, lastOffset + 1, -1);
        } catch (err) {
          // Return the whole batches before a damaged header; a read from there reports it.
          if (!(err instanceof CorruptSegmentError)) throw err;
        }
      }
    }
    if (end === position) return undefined;
    this.verify(position, end);
    this.readHint.offset = lastOffset + 1;
    this.readHint.position = end;
    const view = buf ? buf.subarray(position, end) : this.file!.readCopy(position, end - position);
    return { view, firstOffset: start.baseOffset, lastOffset };
  }

  /** The batch containing `offset` (or the first batch after it, in a gap), and its position. */
  private locate(offset: number, buf: Buffer | null): (WalkedBatch & { position: number }) | undefined {
    let { position, expectedBase, expectedLast } = this.walkStart(offset);
    while (position < this.size) {
      const batch = this.headerAt(buf, position, expectedBase, expectedLast);
      if (batch.lastOffset >= offset) return { ...batch, position };
      position += batch.size;
      expectedBase = batch.lastOffset + 1;
      expectedLast = -1;
    }
    return undefined;
  }

  /** Where a walk of batch headers towards `offset` starts: the offset index entry at or below it, or the read hint. */
  private walkStart(offset: number): { position: number; expectedBase: number; expectedLast: number } {
    const entry = this.offsetIndex.lookup(offset);
    // A consumer at the tail reads from where its last read ended. The index is sparse (an
    // entry per index.interval.bytes), so without the hint each such read walked every header
    // since the last entry: ~24 one-record batches per read at the defaults, which showed in
    // the end-to-end latency of single-record sends.
    const hint = this.readHint;
    if (hint.offset >= 0 && hint.offset <= offset && hint.position > entry.position && hint.position < this.size) {
      return { position: hint.position, expectedBase: hint.offset, expectedLast: -1 };
    }
    // An entry names the last offset of the batch at its position; position 0 is the segment start.
    return entry.position === 0
      ? { position: 0, expectedBase: this.baseOffset, expectedLast: -1 }
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
  private headerAt(buf: Buffer | null, position: number, expectedBase: number, expectedLast: number): WalkedBatch {
    let problem: string;
    if (position + HEADER_SIZE > this.size) {
      problem = 'a batch header runs past the end of the data';
    } else {
      const header = buf ?? this.file!.readCopy(position, HEADER_SIZE);
      const at = buf ? position : 0;
      const length = readBatchLength(header, at);
      const baseOffset = readBaseOffset(header, at);
      const lastOffset = baseOffset + readLastOffsetDelta(header, at);
      if (length < HEADER_SIZE - LOG_OVERHEAD || position + LOG_OVERHEAD + length > this.size) {
        problem = `batchLength ${length} does not fit in the data`;
      } else if (expectedBase >= 0 && (this.gapsAllowed ? baseOffset < expectedBase : baseOffset !== expectedBase)) {
        problem = `baseOffset ${baseOffset} does not follow offset ${expectedBase - 1}`;
      } else if (expectedLast >= 0 && lastOffset !== expectedLast) {
        problem = `the batch ends at offset ${lastOffset}, the offset index says ${expectedLast}`;
      } else if (lastOffset < baseOffset || lastOffset >= this.nextOffset) {
        problem = `offsets ${baseOffset}..${lastOffset} lie outside the segment`;
      } else {
        return { baseOffset, lastOffset, size: LOG_OVERHEAD + length, maxTimestamp: readMaxTimestamp(header, at) };
      }
    }
    throw new CorruptSegmentError(`segment ${this.path} is damaged at position ${position}: ${problem}`, {
      path: this.path,
      position,
    });
  }

  /**
   * Finds the first batch whose maxTimestamp >= `timestamp`, returning its position and bytes,
   * or undefined when no batch of this segment qualifies.
   */
  findBatchByTimestamp(timestamp: number): Buffer | undefined {
    if (this.size === 0 || this.maxTimestamp < timestamp) return undefined;
    const entry = this.timeIndex.lookupBefore(timestamp);
    const fromOffset = entry ? entry.offset : this.baseOffset;
    const buf = this.bytes();
    let { position, expectedBase, expectedLast } = this.walkStart(fromOffset);
    while (position < this.size) {
      const batch = this.headerAt(buf, position, expectedBase, expectedLast);
      if (batch.maxTimestamp >= timestamp) {
        this.verify(position, position + batch.size);
        return buf ? buf.subarray(position, position + batch.size) : this.file!.readCopy(position, batch.size);
      }
      position += batch.size;
      expectedBase = batch.lastOffset + 1;
      expectedLast = -1;
    }
    return undefined;
  }

  /**
   * Checks the CRCs of [start, end) unless this process already did. Bytes written by this
   * process were checked on append; bytes found on disk are checked on first read, so a
   * flipped bit is reported as CorruptSegmentError instead of being handed to a reader.
   */
  private verify(start: number, end: number): void {
    if (end <= this.verifiedEnd) return;
    const from = start <= this.verifiedEnd ? this.verifiedEnd : start;
    const result = this.file!.scan(from, end);
    // result.validEnd is a file position (see loadFrom), not relative to `from`.
    if (result.stop !== ScanStop.END || result.validEnd !== end) {
      throw new CorruptSegmentError(
        `segment ${this.path} is damaged at position ${result.validEnd} (${stopName(result.stop)})`,
        { path: this.path, position: result.validEnd },
      );
    }
    if (from === this.verifiedEnd) this.verifiedEnd = end;
  }

  /** The mapping to read from: the external buffer, or null in copy mode (reads then copy). */
  private bytes(): Buffer | null {
    if (this.closed) throw new SkeinError('SKEIN_CLOSED', `segment ${this.path} is closed`);
    if (!this.active) {
      const file = this.openFile();
      if (!file.mapped) {
        file.map(this.size);
        this.mapping = undefined;
      }
      this.lru.touch(this);
    }
    if (this.mapping === undefined) this.mapping = this.file!.buffer();
    return this.mapping;
  }

  /** A writable handle for a segment being loaded or activated (the one load() kept, or a new one). */
  private writableLoadedFile(): NativeMappedFile {
    if (this.closed) throw new SkeinError('SKEIN_CLOSED', `segment ${this.path} is closed`);
    if (!this.file) this.file = new native.MappedFile(this.path, { create: false, writable: true });
    return this.file;
  }

  private openFile(): NativeMappedFile {
    if (this.closed) throw new SkeinError('SKEIN_CLOSED', `segment ${this.path} is closed`);
    if (!this.file) this.file = new native.MappedFile(this.path, { create: false, writable: false });
    return this.file;
  }

  private writableFile(): NativeMappedFile {
    if (this.closed) throw new SkeinError('SKEIN_CLOSED', `segment ${this.path} is closed`);
    if (!this.active || !this.file) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `segment ${this.path} is not active`);
    return this.file;
  }

  /** Called by the MappingLru: drop the mapping and the fd; the next read reopens. Views stay valid. */
  evict(): void {
    if (this.active || !this.file) return;
    this.file.close();
    this.file = undefined;
    this.mapping = undefined;
  }

  /** Flushes [flushedEnd, size) to disk off the event loop. */
  async flush(): Promise<void> {
    const end = this.size;
    if (end <= this.flushedEnd || !this.file) return;
    const truncations = this.truncations;
    await this.file.flushAsync(this.flushedEnd, end);
    // A truncation meanwhile cut [.., end) away; what is appended there since is not flushed.
    if (end > this.flushedEnd && truncations === this.truncations) this.flushedEnd = end;
  }

  /**
   * Where a truncation to `offset` cuts this segment: the position and base offset of the
   * batch that contains `offset` (batches are atomic, so the cut falls on its start), or of
   * the first batch after it when `offset` lies in a gap the cleaner left; the segment's end
   * when no batch reaches `offset`.
   */
  cutPoint(offset: number): { position: number; baseOffset: number } {
    if (offset >= this.nextOffset || this.size === 0) return { position: this.size, baseOffset: this.nextOffset };
    if (offset <= this.baseOffset) return { position: 0, baseOffset: this.baseOffset };
    const found = this.locate(offset, this.bytes());
    return found ? { position: found.position, baseOffset: found.baseOffset } : { position: this.size, baseOffset: this.nextOffset };
  }

  /**
   * Cuts the segment at `position`, the start of the batch whose base offset is `cutBase`
   * (both from cutPoint). The file is shortened on disk at once (ftruncate), then grown back
   * to its former size with zeros, so a view a reader still holds past the cut reads zeros
   * instead of faulting (SIGBUS) on pages past the end of the file; zeros after `size` are
   * what a preallocated segment has anyway, and a scan at open stops there. The indexes keep
   * their entries below the cut, and the end offset, max timestamp and index bookkeeping are
   * derived again from the last kept index entry (a walk of at most index.interval.bytes).
   * The segment stays active or sealed as it was. Not synced here: PartitionLog does that.
   */
  truncateAt(position: number, cutBase: number): void {
    if (position >= this.size) return;
    if (position < 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `cannot cut segment ${this.path} at position ${position}`);
    this.truncations += 1;
    if (!this.active) {
      // A sealed segment is read through a read-only handle made on demand: reopen it
      // writable for the cut (views of the old mapping stay valid).
      this.lru.forget(this);
      this.evict();
    }
    const file = this.writableLoadedFile();
    try {
      const diskSize = Math.max(this.allocated, this.size, file.fileSize);
      // The commit point: from here the data on disk ends at `position`.
      file.truncate(position, true);
      try {
        file.allocate(diskSize);
        if (this.active) this.allocated = diskSize;
      } catch {
        // Only stale views past the cut needed the zeros; the cut itself stands.
        this.allocated = position;
      }
      if (!this.active) this.allocated = position;
      this.size = position;
      this.verifiedEnd = Math.min(this.verifiedEnd, position);
      this.flushedEnd = Math.min(this.flushedEnd, position);
      this.populatedEnd = Math.min(this.populatedEnd, position);
      this.readHint.offset = -1;
      this.readHint.position = 0;
      this.rederiveBelow(position, cutBase);
      this.indexesDirty = true;
    } finally {
      if (!this.active) {
        this.file?.close();
        this.file = undefined;
        this.mapping = undefined;
      }
    }
  }

  /** End offset, max timestamp and index bookkeeping of the data [0, position) left by a cut. */
  private rederiveBelow(position: number, cutBase: number): void {
    this.offsetIndex.truncateToPosition(position);
    this.timeIndex.truncateToOffset(cutBase);
    const lastTime = this.timeIndex.lookupBefore(Infinity);
    this.maxTimestamp = lastTime ? lastTime.timestamp : -1;
    this.offsetOfMaxTimestamp = lastTime ? lastTime.offset : -1;
    this.bytesSinceIndexEntry = 0;
    if (position === 0) {
      this.nextOffset = this.baseOffset;
      this.firstBatchTimestamp = -1;
      return;
    }
    const indexed = this.offsetIndex.entries > 0;
    let at = indexed ? this.offsetIndex.lastPosition : 0;
    let expectedBase = indexed ? -1 : this.baseOffset;
    let expectedLast = indexed ? this.offsetIndex.lastOffset : -1;
    // The batch at the last entry is walked again: that is how the bookkeeping stood after it.
    const buf = this.active ? (this.mapping ?? null) : null;
    let lastKept = this.baseOffset - 1;
    this.nextOffset = cutBase;
    while (at < position) {
      const batch = this.headerAt(buf, at, expectedBase, expectedLast);
      this.noteBatch(at, batch.size, batch.lastOffset, batch.maxTimestamp);
      at += batch.size;
      lastKept = batch.lastOffset;
      expectedBase = batch.lastOffset + 1;
      expectedLast = -1;
    }
    this.nextOffset = lastKept + 1;
  }

  /**
   * Ends the active life of the segment (roll or close): the indexes get their final entry and
   * are written, and the file is cut to `size` once no view of the mapping remains. The
   * mapping stays for readers until the LRU evicts it.
   *
   * `cutFile` false (close) leaves the preallocated zeros after `size` for the next open to cut.
   * The truncate is deferred while any view of the mapping lives, i.e. until garbage
   * collection, which may come after close() unlocked the folder: the cut would then land on
   * a file that its next owner (another process, or this one after a reopen) has appended to
   * past `size`, silently dropping acknowledged batches and leaving that owner's mapping past
   * EOF (SIGBUS). A segment sealed by a roll is never appended to again, so cutting it later is
   * harmless; the active segment at close is the one the next owner appends to.
   */
  seal(cutFile = true): void {
    if (!this.active) return;
    this.active = false;
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    this.writeIndexes();
    // Cut at once, under the live mapping: every view lies below `size` and nothing writes
    // past it any more (an in-flight populate past it fails with EFAULT, harmlessly). A cut
    // deferred to the last view, as before, kept the fd open until a garbage collection.
    if (cutFile) this.file?.truncate(this.size, true);
    this.allocated = this.size;
    if (this.file) this.lru.touch(this);
  }

  /** Writes the indexes with write-to-temp and rename, so a crash leaves the old file or the new one. */
  writeIndexes(): void {
    if (!this.indexesDirty || this.deleted) return;
    writeAtomically(indexFile(this.dir, this.baseOffset), this.offsetIndex.serialize());
    writeAtomically(timeIndexFile(this.dir, this.baseOffset), this.timeIndex.serialize());
    this.indexesDirty = false;
  }

  /**
   * Removes the segment's files: renamed to `.deleted` first and then unlinked, so a crash in
   * between leaves a file the loader deletes. Views already handed out keep reading.
   */
  delete(): void {
    this.lru.forget(this);
    this.file?.close();
    this.file = undefined;
    this.mapping = undefined;
    this.closed = true;
    this.deleted = true;
    // The indexes go first and the .log last: a crash in between then leaves a segment whose
    // indexes the next open rebuilds. The other way round (as before) it left .index and
    // .timeindex files of a segment that no longer exists, which no open ever removed.
    for (const path of [gapsFile(this.dir, this.baseOffset), indexFile(this.dir, this.baseOffset), timeIndexFile(this.dir, this.baseOffset), this.path]) {
      if (!existsSync(path)) continue;
      try {
        renameSync(path, path + DELETED_SUFFIX);
        unlinkSync(path + DELETED_SUFFIX);
      } catch (err) {
        throw fromSystemError(err as NodeJS.ErrnoException, `cannot delete ${path}`);
      }
    }
  }

  /**
   * Writes the indexes and releases the fd and the handle's mapping. Views keep their
   * mappings until collected, or until the log's close() releases them all at once
   * (PartitionLog.close, native.releaseMappings).
   */
  close(): void {
    if (this.closed) return;
    try {
      // Not cut here: see seal(). The next open cuts the zeros after the last batch at once.
      if (this.active) this.seal(false);
      else this.writeIndexes();
    } finally {
      // Released even when the index files cannot be written (a full disk): they are derived
      // data that the next open rebuilds, and a handle left open keeps the fd and mapping.
      this.lru.forget(this);
      this.file?.close();
      this.file = undefined;
      this.mapping = undefined;
      this.closed = true;
    }
  }
}

function writeAtomically(path: string, bytes: Buffer): void {
  try {
    writeFileSync(path + TEMP_SUFFIX, bytes);
    renameSync(path + TEMP_SUFFIX, path);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${path}`);
  }
}

/**
 * Whether the batch that ends at `lastOffset`, found from the offset index and a short walk
 * of headers (read with pread, no mapping), has `maxTimestamp`.
 */
function batchEndsAt(file: NativeMappedFile, fileSize: number, offsets: OffsetIndex, lastOffset: number, maxTimestamp: number): boolean {
  let position = offsets.lookup(lastOffset).position;
  while (position + HEADER_SIZE <= fileSize) {
    const header = file.readCopy(position, HEADER_SIZE);
    const length = readBatchLength(header, 0);
    if (length < HEADER_SIZE - LOG_OVERHEAD) return false;
    const last = readBaseOffset(header, 0) + readLastOffsetDelta(header, 0);
    if (last >= lastOffset) return last === lastOffset && readMaxTimestamp(header, 0) === maxTimestamp;
    position += LOG_OVERHEAD + length;
  }
  return false;
}

/** partitionLeaderEpoch as 4 big-endian bytes, for writes through pwrite (copy mode). */
function epochBytes(epoch: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeInt32BE(epoch, 0);
  return bytes;
}

function stopName(stop: number): string {
  return Object.entries(ScanStop).find(([, value]) => value === stop)?.[0] ?? String(stop);
}
