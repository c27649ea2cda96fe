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
 * This class owns the segment's state and its file handle and mapping; the work is split by
 * concern: segment-load.ts (opening an existing file), segment-append.ts (writing batches
 * into the mapping), segment-space.ts (disk reserved and pages faulted in ahead of the
 * writer), segment-indexes.ts (the indexes and their bookkeeping), segment-reads.ts (the
 * read walk: locating an offset or a timestamp, slicing whole batches), segment-truncation.ts
 * (cutting the data at a batch), segment-files.ts (the `.gaps` marker, index writes, deletion).
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
import { S, type BatchSummaries } from '../records/batch-summary.js';
import { existsSync } from 'node:fs';
import type { NativeMappedFile } from '../native/binding.js';
import { SkeinError } from '../errors.js';
import type { OffsetIndex } from './offset-index.js';
import type { SegmentScanner } from './segment-recovery.js';
import type { TimeIndex } from './time-index.js';
import { gapsFile, logFile } from './file-names.js';
import type { LogConfig } from './log-config.js';
import type { MappingLru } from './mapping-lru.js';
import { noteAppended, writeBatches, type SegmentAppend } from './segment-append.js';
import { deleteSegmentFiles, writeGapsMarker } from './segment-files.js';
import { SegmentIndexes } from './segment-indexes.js';
import { loadCleanedData, loadSegmentData, type LoadedData, type SegmentToLoad } from './segment-load.js';
import { batchByTimestamp, readSlice, type ReadHint, type ReadableSegment, type SegmentSlice } from './segment-reads.js';
import { CheckedPrefix } from './segment-crc.js';
import { SegmentMapping } from './segment-mapping.js';
import { ExtentReservation, PrefaultWindow } from './segment-space.js';
import { cutFileAt, cutPointOf, rederiveBelow, type CuttableSegment } from './segment-truncation.js';

export type { SegmentSlice } from './segment-reads.js';
export type { SegmentAppend } from './segment-append.js';

export class Segment implements ReadableSegment, CuttableSegment {
  readonly baseOffset: number;
  readonly path: string;
  private readonly dir: string;
  private readonly config: LogConfig;
  private readonly lru: MappingLru;

  /** The fd and the mapping, when the segment holds them. */
  private readonly handle: SegmentMapping;
  /** Disk reserved ahead of the writer (its `allocated` is the fileSize of the active segment). */
  private readonly extents: ExtentReservation;
  /** Pages faulted in ahead of the writer. */
  private readonly prefault = new PrefaultWindow();

  size = 0;
  nextOffset: number;
  /** maxTimestamp of the first batch, the clock for segment.ms (as Kafka's rollingBasedTimestamp). */
  firstBatchTimestamp = -1;
  /** Wall-clock creation, used for segment.ms when batches carry no usable timestamp. */
  private readonly createdMs: number;
  readonly indexes: SegmentIndexes;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Where the last read ended (next offset and its byte position): the next tail read starts there. */
  readonly readHint: ReadHint = { offset: -1, position: 0 };
  /** Which bytes had their CRCs checked in this process (appended here, or scanned). */
  private readonly checked = new CheckedPrefix();
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
  private gaps = false;
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
    this.handle = new SegmentMapping(this.path, capacity);
    this.active = active;
    this.nextOffset = baseOffset;
    this.extents = new ExtentReservation(config.preallocateBytes);
    this.createdMs = Date.now();
    this.indexes = new SegmentIndexes(baseOffset, config);
    this.offsetIndex = this.indexes.offsets;
    this.timeIndex = this.indexes.times;
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
    segment.handle.create();
    segment.indexes.dirty = true;
    return segment;
  }

  /**
   * Opens an existing segment file (segment-load.ts: with `recover` every batch is checked,
   * otherwise the persisted indexes are trusted when they pass their checks; the first invalid
   * batch and everything after it are cut off). The returned segment is sealed and unmapped;
   * `activate()` makes it the active one. With a `scanner` the scan and the header walk run
   * there (a worker thread); without one the scan is addon async work and the walk runs here.
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
    segment.gaps = gapsAllowed || existsSync(gapsFile(dir, baseOffset));
    try {
      segment.adopt(await loadSegmentData(segment.toLoad(), segment.handle.writable(), recover, scanner));
    } catch (err) {
      segment.handle.release();
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
    segment.gaps = true;
    try {
      segment.adopt(loadCleanedData(segment.toLoad(), segment.handle.writable()));
      segment.writeIndexes();
    } catch (err) {
      segment.handle.release();
      throw err;
    }
    return segment;
  }

  private toLoad(): SegmentToLoad {
    const { dir, path, baseOffset, gaps: gapsAllowed, indexes } = this;
    return { dir, path, baseOffset, gapsAllowed, indexIntervalBytes: this.config.indexIntervalBytes, indexes };
  }

  private adopt(loaded: LoadedData): void {
    this.size = loaded.size;
    this.nextOffset = loaded.nextOffset;
    this.firstBatchTimestamp = loaded.firstBatchTimestamp;
    this.extents.allocated = loaded.size;
    this.checked.end = loaded.verified ? loaded.size : 0;
    this.flushedEnd = loaded.size;
  }

  /** Offsets may skip between batches (see `gaps`). */
  get gapsAllowed(): boolean {
    return this.gaps;
  }

  /** Largest record timestamp in the segment (-1 when empty or unknown). */
  get maxTimestamp(): number {
    return this.indexes.maxTimestamp;
  }

  /**
   * Makes a loaded (last) segment the active one: maps it for appends. Reserves nothing: the
   * next append does (an ENOSPC here used to fail the whole open, see create()).
   */
  activate(): void {
    // A sealed segment may hold the cleaner's gaps: made active again (a truncation cut the
    // segments after it), it keeps them across reopens through the marker.
    const sealedWithGaps = this.gaps;
    this.gaps = existsSync(gapsFile(this.dir, this.baseOffset));
    if (sealedWithGaps) this.allowGaps();
    this.writableLoadedFile();
    this.lru.forget(this);
    this.extents.allocated = this.size;
    this.handle.mapForAppends(this.size);
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
    if (minCapacity <= this.handle.capacity) return;
    file.allocate(minCapacity);
    this.extents.allocated = Math.max(this.extents.allocated, minCapacity);
    this.handle.grow(minCapacity);
  }

  /** Bytes still free in the active segment's address space. */
  get remaining(): number {
    return this.handle.capacity - this.size;
  }

  /**
   * Lets offsets skip between this segment's batches from now on, across reopens: writes the
   * segment's `.gaps` marker (synced with its folder) before the first batch that skips is
   * written, so recovery never cuts a follower's copy of a compacted range at its first gap.
   */
  allowGaps(): void {
    if (this.gaps) return;
    writeGapsMarker(this.dir, this.baseOffset);
    this.gaps = true;
  }

  /**
   * Copies `src` (one or more batches, already validated and summarised by the caller's one
   * scan) to the end of the segment and assigns offsets from `firstOffset` by patching each
   * batch's baseOffset (segment-append.ts). Reads sizes, offset deltas and timestamps from
   * `summaries`, never the headers again. Throws SKEIN_DISK_FULL before writing anything when
   * disk cannot be reserved.
   *
   * `firstOffset` 'kept': the batches keep the base offsets they carry (a follower's copy of
   * its leader's batches, Kafka's appendAsFollower); the caller checked that they lie above
   * this segment's end and increase, and called allowGaps() first when they skip.
   *
   * `leaderEpoch` (>= 0): also patched into each batch's partitionLeaderEpoch in the mapping,
   * beside baseOffset (both lie outside the CRC, so the batches stay valid and nothing is
   * copied twice). Undefined keeps the epochs the batches carry (a follower's append).
   */
  append(src: Uint8Array, firstOffset: number | 'kept', summaries: BatchSummaries, leaderEpoch?: number): SegmentAppend {
    const file = this.writableFile();
    const position = this.size;
    const end = position + src.length;
    const capacity = this.handle.capacity;
    if (end > capacity) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `append of ${src.length} bytes does not fit in segment ${this.path}`);
    }
    this.extents.reserve(file, end, capacity);
    const mapping = this.handle.current;
    writeBatches(mapping, file, src, position, firstOffset, summaries, leaderEpoch);
    const appended = noteAppended(this.indexes, src, position, firstOffset, summaries);
    // The first batch of the segment (summaries start at position 0) sets the segment.ms clock.
    if (position === 0) this.firstBatchTimestamp = summaries.fields[S.MAX_TIMESTAMP]!;
    this.size = end;
    if (mapping) {
      this.extents.reserveAhead(file, end, capacity, this.prefault.lead);
      this.prefault.advance(file, end, this.extents.allocated);
    }
    this.checked.end = end;
    this.nextOffset = appended.lastOffset + 1;
    return appended;
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
    return readSlice(this, this.bytes(), offset, maxBytes, maxOffset, minOneBatch);
  }

  /** The bytes of the first batch whose maxTimestamp >= `timestamp`, or undefined when none qualifies. */
  findBatchByTimestamp(timestamp: number): Buffer | undefined {
    if (this.size === 0 || this.maxTimestamp < timestamp) return undefined;
    return batchByTimestamp(this, this.bytes(), timestamp);
  }

  /** Checks the CRCs of [start, end) unless this process already did (segment-crc.ts). */
  verify(start: number, end: number): void {
    this.checked.check(this.handle.file!, this.path, start, end);
  }

  /** A copy of bytes of the file, for reads in copy mode (no mapping buffer to slice). */
  readCopy(position: number, length: number): Buffer {
    return this.handle.file!.readCopy(position, length);
  }

  /** The mapping to read from: the external buffer, or null in copy mode (reads then copy). */
  private bytes(): Buffer | null {
    this.ensureOpen();
    if (!this.active) {
      this.handle.mapForReads(this.size);
      this.lru.touch(this);
    }
    return this.handle.bytes();
  }

  /** A writable handle for a segment being loaded, activated or cut (the one load() kept, or a new one). */
  private writableLoadedFile(): NativeMappedFile {
    this.ensureOpen();
    return this.handle.writable();
  }

  private writableFile(): NativeMappedFile {
    this.ensureOpen();
    const file = this.handle.file;
    if (!this.active || !file) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `segment ${this.path} is not active`);
    return file;
  }

  private ensureOpen(): void {
    if (this.closed) throw new SkeinError('SKEIN_CLOSED', `segment ${this.path} is closed`);
  }

  /** Called by the MappingLru: drop the mapping and the fd; the next read reopens. Views stay valid. */
  evict(): void {
    if (this.active || !this.handle.file) return;
    this.handle.release();
  }

  /** Flushes [flushedEnd, size) to disk off the event loop. */
  async flush(): Promise<void> {
    const end = this.size;
    const file = this.handle.file;
    if (end <= this.flushedEnd || !file) return;
    const truncations = this.truncations;
    await file.flushAsync(this.flushedEnd, end);
    // A truncation meanwhile cut [.., end) away; what is appended there since is not flushed.
    if (end > this.flushedEnd && truncations === this.truncations) this.flushedEnd = end;
  }

  /** Where a truncation to `offset` cuts this segment (segment-truncation.ts). */
  cutPoint(offset: number): { position: number; baseOffset: number } {
    if (offset >= this.nextOffset || this.size === 0) return { position: this.size, baseOffset: this.nextOffset };
    return cutPointOf(this, this.bytes(), offset);
  }

  /**
   * Cuts the segment at `position`, the start of the batch whose base offset is `cutBase`
   * (both from cutPoint; segment-truncation.ts does the cut and re-derives what is left).
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
      const diskSize = Math.max(this.extents.allocated, this.size, file.fileSize);
      const zeroed = cutFileAt(file, position, diskSize);
      this.extents.allocated = this.active && zeroed ? diskSize : position;
      this.size = position;
      this.checked.cutTo(position);
      this.flushedEnd = Math.min(this.flushedEnd, position);
      this.prefault.cutTo(position);
      this.readHint.offset = -1;
      this.readHint.position = 0;
      // The batch at the last index entry is walked again through the mapping of an active
      // segment; a sealed one's headers are read with pread.
      rederiveBelow(this, this.active ? (this.handle.current ?? null) : null, position, cutBase);
    } finally {
      if (!this.active) this.handle.release();
    }
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
    this.indexes.addFinalTimeEntry();
    this.writeIndexes();
    // Cut at once, under the live mapping: every view lies below `size` and nothing writes
    // past it any more (an in-flight populate past it fails with EFAULT, harmlessly). A cut
    // deferred to the last view, as before, kept the fd open until a garbage collection.
    if (cutFile) this.handle.file?.truncate(this.size, true);
    this.extents.allocated = this.size;
    if (this.handle.file) this.lru.touch(this);
  }

  /** Writes the indexes with write-to-temp and rename, so a crash leaves the old file or the new one. */
  writeIndexes(): void {
    if (this.deleted) return;
    this.indexes.write(this.dir);
  }

  /**
   * Removes the segment's files (segment-files.ts: renamed to `.deleted`, then unlinked).
   * Views already handed out keep reading.
   */
  delete(): void {
    this.lru.forget(this);
    this.handle.release();
    this.closed = true;
    this.deleted = true;
    deleteSegmentFiles(this.dir, this.baseOffset);
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
      this.handle.release();
      this.closed = true;
    }
  }
}
