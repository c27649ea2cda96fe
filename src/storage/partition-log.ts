/**
 * The log of one partition: a folder of segments ordered by base offset.
 *
 * Owns: offset assignment (baseOffset patched into each appended batch), rolling, reads
 * across segments, lookup by timestamp, retention, the flush policy with group commit,
 * recovery on open, and the clean-shutdown marker. It knows nothing of topics, partitions
 * numbers, replication or the protocol: a caller hands it RecordBatch v2 bytes and gets
 * offsets and byte views back.
 *
 * What the promises mean (the contract callers build acks on):
 *  - appended: `appendSync` returned; the bytes are in the mapping (page cache) and visible to
 *    reads. They survive a crash of this process, not of the machine.
 *  - flushed: msync'd to disk. `append` resolves once its bytes are as durable as the flush
 *    policy asks (flushMessages = 1: flushed; otherwise appended).
 * Everything runs on the event loop except flushes and recovery scans (addon async work).
 * Appends are synchronous inside, so their order is the order of the calls.
 */
import { accessSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, unlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { native, ScanStop } from '../native/binding.js';
import { CorruptSegmentError, OffsetOutOfRangeError, SkeinError, fromSystemError, type ErrorCode } from '../errors.js';
import { CompressionCodec, compressionCodecOf, readBaseOffset } from '../records/batch-header.js';
import { BatchSummaries, S, SUMMARY_FIELDS } from '../records/batch-summary.js';
import { iterateBatches, iterateRecords } from '../records/record-iterator.js';
import { Segment } from './segment.js';
import type { SegmentScanner } from './segment-recovery.js';
import { resolveLogConfig, type LogConfig } from './log-config.js';
import { FlushScheduler } from './flush-scheduler.js';
import { sharedMappingLru, type MappingLru } from './mapping-lru.js';
import { gapsFile, indexFile, isLeftoverFile, logFile, parseLogFileName, parseSwapFileName, swapFile, timeIndexFile } from './file-names.js';
import { cleanSegments, type CleanOutcome, type CleanPlan, type CleanedGroup } from './cleaner/cleaner.js';
import { runCleanTask } from './cleaner/cleaner-pool.js';
import { makeDirs } from './make-dirs.js';
import {
  readCleanerCheckpoint,
  readLogStartOffset,
  readRecoveryPoint,
  writeCleanerCheckpoint,
  takeCleanShutdownMarker,
  writeCleanShutdownMarker,
  writeLogStartOffset,
  writeRecoveryPoint,
} from './checkpoint-file.js';
import { FolderLock } from './folder-lock.js';

export interface PartitionLogOptions {
  /** Overrides of the defaults in DEFAULT_LOG_CONFIG. */
  config?: Partial<LogConfig>;
  /** Create the folder if it does not exist (its parent must). Default true. */
  create?: boolean;
  /** The LRU bounding mapped sealed segments; shared by all logs of the process by default. */
  mappingLru?: MappingLru;
  /** Called with a message when open repairs something (cut a torn tail, rebuilt an index). */
  onWarning?: (message: string) => void;
  /**
   * The caller holds a lock that covers this folder (the LogManager's lock of its data folder,
   * under which it opens each log once): take no lock of its own. Saves one fd per partition,
   * which at 1,000 partitions was half the fds of a start-up.
   */
  coveredByParentLock?: boolean;
  /**
   * Where the CRC scan and index walk of segments being loaded run (the partition's worker
   * lane, given by the broker). Without one the scan is addon async work and the walk runs on
   * the event loop. Only segments that are scanned use it: after an unclean stop, those from
   * the recovery point on; otherwise the tails after their last index entries.
   */
  scanner?: SegmentScanner;
}

export interface CloseOptions {
  /**
   * Keep the views handed out readable until they are garbage collected (their mappings stay
   * until then). By default close() releases every fd and mapping of the log at once and
   * views read as empty afterwards. For a log closed while readers may still be sending its
   * views (a topic deleted under a running broker).
   */
  keepViews?: boolean;
}

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

export interface ReadOptions {
  /** Soft cap on bytes returned; at least one whole batch is returned when `minOneBatch` (default 1 MiB). */
  maxBytes?: number;
  /** Exclusive bound: no batch whose last offset is >= this is returned (e.g. the high watermark). */
  maxOffset?: number;
  /** Return the first batch even if it alone exceeds maxBytes (Kafka Fetch v3+). Default true. */
  minOneBatch?: boolean;
}

export interface ReadResult {
  /** Whole batches, in order, as zero-copy views of segment mappings (copies in copy mode). */
  views: Buffer[];
  /** Total bytes in views. */
  bytes: number;
  /** Base offset of the first batch returned (may be below the requested offset, as in Kafka), or -1. */
  firstOffset: number;
  /** Offset after the last batch returned; the requested offset when nothing was returned. */
  nextOffset: number;
  logStartOffset: number;
  logEndOffset: number;
}

/**
 * Told what the log did on its own (rolls, flushes, deletions), so the layer above can publish
 * events without wrapping every call. Called synchronously on the event loop, after the fact;
 * an observer must not call back into the log from inside.
 */
export interface LogObserver {
  segmentRolled?(baseOffset: number): void;
  /** Everything appended before the flush started is on disk; `seconds` from its start to here. */
  flushed?(seconds: number): void;
  segmentsDeleted?(result: RetentionResult): void;
  /** DeleteRecords moved the log start offset (segments may or may not have gone too). */
  logStartMoved?(logStartOffset: number): void;
}

export interface TimestampLookup {
  offset: number;
  timestamp: number;
}

export interface CompactOptions {
  /** The clock for min.compaction.lag.ms and delete.retention.ms. Default Date.now(). */
  now?: number;
  /** Clean even below min.cleanable.dirty.ratio (tools, tests). */
  force?: boolean;
  /** Run the file work on this thread rather than the cleaner's worker thread. */
  inline?: boolean;
  /** Bound on distinct keys mapped in one pass (default 4,000,000). */
  maxMapEntries?: number;
  /**
   * Test hook, called at each step of the pass: 'mapped', 'cleaned-written' (inline only),
   * then per swapped group 'swap-renamed', 'old-deleted-one', 'old-deleted', 'swap-installed'.
   */
  onStep?: (step: string) => void;
}

export interface CompactResult {
  /** False when nothing was cleaned; `reason` says why. */
  cleaned: boolean;
  reason?: 'nothing-dirty' | 'below-dirty-ratio' | 'busy' | 'log-changed';
  dirtyRatio: number;
  /** Offsets below this are clean (the cleaner checkpoint). */
  firstDirtyOffset: number;
  segmentsReplaced: number;
  bytesRead: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRead: number;
  recordsKept: number;
}

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
  logStartOffset: number;
}

/** Relative offsets are 32-bit in the indexes; a segment rolls before it would need more. */
const MAX_OFFSETS_PER_SEGMENT = 2 ** 31 - 1;

const SCAN_ERRORS: Record<number, { code: ErrorCode; what: string }> = {
  [ScanStop.TRUNCATED]: { code: 'SKEIN_CORRUPT_MESSAGE', what: 'ends inside a batch' },
  [ScanStop.BAD_LENGTH]: { code: 'SKEIN_CORRUPT_MESSAGE', what: 'has a batch with an impossible length' },
  [ScanStop.BAD_MAGIC]: { code: 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT', what: 'has a batch whose magic is not 2' },
  [ScanStop.BAD_CRC]: { code: 'SKEIN_CORRUPT_MESSAGE', what: 'has a batch whose CRC-32C does not match' },
};

export class PartitionLog {
  readonly dir: string;
  private readonly config: LogConfig;
  private readonly lru: MappingLru;
  private readonly segments: Segment[];
  private readonly flusher: FlushScheduler;
  private readonly lock: FolderLock | undefined;
  private startOffset: number;
  private observer: LogObserver = {};
  private isClosed = false;
  private closing: Promise<void> | undefined;
  /** Offsets below this were cleaned by the log cleaner (persisted in cleaner-offset-checkpoint). */
  private firstDirtyOffset: number;
  private cleaning: Promise<CompactResult> | undefined;
  /** Bumped by each truncation: a cleaning pass that started before one swaps nothing in. */
  private truncations = 0;

  private constructor(dir: string, config: LogConfig, lru: MappingLru, segments: Segment[], lock: FolderLock | undefined) {
    this.dir = dir;
    this.lock = lock;
    this.config = config;
    this.lru = lru;
    this.segments = segments;
    // A DeleteRecords may have moved the start past the first segment's base (never past the end).
    this.startOffset = Math.max(segments[0]!.baseOffset, Math.min(readLogStartOffset(dir), segments[segments.length - 1]!.nextOffset));
    this.firstDirtyOffset = Math.max(this.startOffset, readCleanerCheckpoint(dir));
    this.flusher = new FlushScheduler(() => this.flushAll(), config.flushMessages, config.flushMs);
  }

  /**
   * Opens the log in `dir`, recovering it if the last close was not clean: segments from the
   * recovery point on are rescanned batch by batch (length, magic, CRC), the first bad batch
   * and everything after it are cut off, and indexes are rebuilt.
   */
  static async open(dir: string, options: PartitionLogOptions = {}): Promise<PartitionLog> {
    if (typeof dir !== 'string' || dir.length === 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'dir must be a non-empty string');
    }
    const config = resolveLogConfig(options.config);
    const lru = options.mappingLru ?? sharedMappingLru;
    const warn = options.onWarning ?? (() => {});
    const path = prepareDir(dir, options.create ?? true);
    const lock = options.coveredByParentLock ? undefined : FolderLock.acquire(path);
    try {
      const segments = await loadSegments(path, config, lru, warn, options.scanner);
      return new PartitionLog(path, config, lru, segments, lock);
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  get logStartOffset(): number {
    return this.startOffset;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  /** Base offset of the segment being appended to (where rebuilding recent per-batch state starts). */
  get activeSegmentBaseOffset(): number {
    return this.active.baseOffset;
  }

  /**
   * Where the active segment's batches from `offset` are: the file, the position of the offset
   * index entry at or before it, and the end of the valid data. For walks of recent headers on
   * another thread (the producer-state rebuild on the partition's worker lane).
   */
  activeSegmentTail(offset: number): { path: string; position: number; end: number } {
    const active = this.active;
    const position = offset <= active.baseOffset ? 0 : active.offsetIndex.lookup(offset).position;
    return { path: active.path, position, end: active.size };
  }

  /** Bytes of batches held in all segments. */
  get size(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Flushes run so far (group commit makes this smaller than the number of appends that waited). */
  get flushCount(): number {
    return this.flusher.flushCount;
  }

  /** A copy of the settings in force. */
  get settings(): LogConfig {
    return { ...this.config };
  }

  /** Sets who is told about rolls, flushes and deletions (one observer; the partition above). */
  observe(observer: LogObserver): void {
    this.observer = observer;
  }

  /** Changes settings for what follows (segment sizes apply from the next roll). */
  updateConfig(overrides: Partial<LogConfig>): void {
    this.ensureOpen();
    const next = resolveLogConfig({ ...this.config, ...overrides });
    Object.assign(this.config, next);
    this.flusher.setPolicy(next.flushMessages, next.flushMs);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Appends one or more RecordBatch v2 batches (concatenated), assigning consecutive offsets
   * from logEndOffset. Resolves once the batches are as durable as the flush policy asks.
   * Invalid input is refused with a coded SkeinError and changes nothing.
   */
  async append(batches: Uint8Array): Promise<AppendResult> {
    const { result, flushed } = this.appendNow(batches);
    if (flushed) await flushed;
    return result;
  }

  /**
   * Appends like `append` but returns as soon as the bytes are in the mapping, without waiting
   * for a flush. The flush policy still runs (a flush it triggers proceeds in the background;
   * a failure there is reported by the next flush or by close).
   */
  appendSync(batches: Uint8Array): AppendResult {
    const { result, flushed } = this.appendNow(batches);
    flushed?.catch(() => undefined);
    return result;
  }

  /**
   * The append itself, synchronous: the bytes are in the mapping when it returns (or it threw
   * and nothing changed). `flushed` is the flush the policy asks this append to wait for, if
   * any. For callers that must act between the append and the flush (the broker records
   * producer state there, so the next batch of the same producer sees it).
   *
   * `leaderEpoch`: stamped into every batch's partitionLeaderEpoch (a leader's append; patched
   * in the mapping beside baseOffset, outside the CRC). Undefined keeps what the batches carry
   * (a follower's copy of its leader's batches, whose baseOffsets already equal the ones
   * assigned here when they continue the log).
   */
  appendNow(batches: Uint8Array, summaries?: BatchSummaries, leaderEpoch?: number): { result: AppendResult; flushed: Promise<void> | undefined } {
    const result = this.appendBytes(batches, summaries, leaderEpoch);
    return { result, flushed: this.flusher.appended(result.recordCount) };
  }

  private appendBytes(batches: Uint8Array, given: BatchSummaries | undefined, leaderEpoch: number | undefined): AppendResult {
    this.ensureOpen();
    const summaries = this.validate(batches, given);
    const recordCount = summaries.records;
    const now = Date.now();
    let active = this.active;
    const firstOffset = active.nextOffset;
    const needsRoll =
      active.size > 0 &&
      (batches.length > active.remaining ||
        active.isOlderThan(this.config.segmentMs, now) ||
        firstOffset + recordCount - active.baseOffset > MAX_OFFSETS_PER_SEGMENT);
    if (needsRoll) active = this.rollTo(firstOffset, batches.length);
    else if (batches.length > active.remaining) active = this.growEmptyActive(batches.length);
    const appended = active.append(batches, firstOffset, summaries, leaderEpoch);
    return {
      baseOffset: firstOffset,
      lastOffset: appended.lastOffset,
      recordCount,
      maxTimestamp: appended.maxTimestamp,
      logAppendTime: -1,
      logStartOffset: this.startOffset,
    };
  }

  /**
   * Appends batches that keep their own base offsets (Kafka's appendAsFollower: a follower's
   * copy of its leader's batches). Offsets must lie at or above the log end and increase from
   * batch to batch; they may skip (a compacted range the leader's cleaner left gaps in), and
   * the log end becomes the last batch's lastOffset + 1. The bytes are written as they are,
   * epochs and all. Refused with SKEIN_INVALID_RECORD, changing nothing, when an offset goes
   * back. Synchronous like appendNow; `flushed` is what the flush policy asks to wait for.
   */
  appendAsFollower(batches: Uint8Array, given?: BatchSummaries): { result: AppendResult; flushed: Promise<void> | undefined } {
    this.ensureOpen();
    const summaries = this.validate(batches, given);
    const fields = summaries.fields;
    let expected = this.logEndOffset;
    let firstOffset = -1;
    let lastOffset = -1;
    let gapped = false;
    for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
      const baseOffset = readBaseOffset(batches, fields[f + S.POSITION]!);
      if (i > 0 && baseOffset !== expected) gapped = true;
      if (baseOffset < expected) {
        throw new SkeinError('SKEIN_INVALID_RECORD', `a batch at offset ${baseOffset} does not lie above offset ${expected - 1} of ${this.dir}`, {
          path: this.dir,
          offset: baseOffset,
          logEndOffset: this.logEndOffset,
        });
      }
      if (firstOffset < 0) firstOffset = baseOffset;
      lastOffset = baseOffset + fields[f + S.LAST_OFFSET_DELTA]!;
      expected = lastOffset + 1;
    }
    let active = this.active;
    const needsRoll =
      active.size > 0 &&
      (batches.length > active.remaining ||
        active.isOlderThan(this.config.segmentMs, Date.now()) ||
        lastOffset + 1 - active.baseOffset > MAX_OFFSETS_PER_SEGMENT);
    if (needsRoll) active = this.rollTo(firstOffset, batches.length);
    else if (active.size === 0 && lastOffset + 1 - active.baseOffset > MAX_OFFSETS_PER_SEGMENT) active = this.rebaseEmptyActive(firstOffset);
    if (batches.length > active.remaining) active = this.growEmptyActive(batches.length);
    if (gapped || firstOffset !== active.nextOffset) active.allowGaps();
    const appended = active.append(batches, 'kept', summaries);
    const result: AppendResult = {
      baseOffset: firstOffset,
      lastOffset: appended.lastOffset,
      recordCount: summaries.records,
      maxTimestamp: appended.maxTimestamp,
      logAppendTime: -1,
      logStartOffset: this.startOffset,
    };
    return { result, flushed: this.flusher.appended(result.recordCount) };
  }

  /**
   * The empty active segment replaced by one starting at `baseOffset` (a follower's first
   * batch lies further above it than the indexes' 32-bit relative offsets reach).
   */
  private rebaseEmptyActive(baseOffset: number): Segment {
    const empty = this.segments.pop()!;
    empty.delete();
    const next = Segment.create(this.dir, baseOffset, this.config, this.lru);
    this.segments.push(next);
    if (this.segments.length === 1) {
      writeLogStartOffset(this.dir, baseOffset);
      this.startOffset = baseOffset;
    }
    syncDir(this.dir);
    return next;
  }

  /**
   * Checks every batch of an append from one scan's summaries (framing, magic, CRC, size,
   * counts); returns them. `given`: summaries the caller already made of these very bytes (the
   * partition pipeline), so the headers are walked once per append. Throws before any write.
   */
  private validate(batches: Uint8Array, given: BatchSummaries | undefined): BatchSummaries {
    if (!(batches instanceof Uint8Array)) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'append takes a Buffer or Uint8Array of record batches');
    }
    const summaries = given ?? BatchSummaries.of(batches);
    const scan = summaries.scan;
    if (scan.batches === 0 && batches.length === 0) {
      throw new SkeinError('SKEIN_INVALID_RECORD', 'append of an empty buffer');
    }
    if (scan.stop !== ScanStop.END || scan.validEnd !== batches.length) {
      const error = SCAN_ERRORS[scan.stop] ?? SCAN_ERRORS[ScanStop.TRUNCATED]!;
      throw new SkeinError(error.code, `append ${error.what} (at byte ${scan.validEnd})`, { position: scan.validEnd });
    }
    const fields = summaries.fields;
    for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
      const size = fields[f + S.SIZE]!;
      if (size > this.config.maxMessageBytes) {
        throw new SkeinError(
          'SKEIN_MESSAGE_TOO_LARGE',
          `a batch of ${size} bytes exceeds max.message.bytes (${this.config.maxMessageBytes})`,
          { batchBytes: size, maxMessageBytes: this.config.maxMessageBytes },
        );
      }
      // Compressed batches are stored as they arrived (their CRC was checked by the scan);
      // what is inside them is checked above this layer (records/validate-compressed-batch.ts).
      const codec = compressionCodecOf(fields[f + S.ATTRIBUTES]!);
      if (codec > CompressionCodec.ZSTD) {
        throw new SkeinError('SKEIN_UNSUPPORTED_COMPRESSION', `compression codec id ${codec} is not defined by Kafka`, { codec });
      }
      const count = fields[f + S.RECORD_COUNT]!;
      const lastOffsetDelta = fields[f + S.LAST_OFFSET_DELTA]!;
      if (count <= 0 || lastOffsetDelta !== count - 1) {
        throw new SkeinError(
          'SKEIN_INVALID_RECORD',
          `a batch declares ${count} records but lastOffsetDelta ${lastOffsetDelta}`,
          { position: fields[f + S.POSITION]! },
        );
      }
    }
    return summaries;
  }

  /** Seals the active segment and starts a new one at `baseOffset`. */
  private rollTo(baseOffset: number, minCapacity = 0): Segment {
    const previous = this.active;
    const next = Segment.create(this.dir, baseOffset, this.config, this.lru, minCapacity);
    previous.seal();
    this.segments.push(next);
    this.observer.segmentRolled?.(baseOffset);
    // Flush the sealed segment off the event loop, then move the recovery point past it (Kafka
    // flushes on roll the same way): a crash then rescans only the newer segment(s).
    previous
      .flush()
      .then(() => {
        if (!this.isClosed && this.segments.includes(next) && this.allFlushedBefore(next)) {
          writeRecoveryPoint(this.dir, next.baseOffset);
        }
      })
      .catch(() => {
        // The recovery point stays where it was; the next flush or close reports I/O errors.
      });
    return next;
  }

  /**
   * An empty active segment too small for a batch grows to fit it. It used to be deleted and
   * replaced; when the replacement could not be created (SKEIN_DISK_FULL) the log was left
   * with no active segment and every later call failed with a TypeError.
   */
  private growEmptyActive(minCapacity: number): Segment {
    const active = this.active;
    active.growEmpty(minCapacity);
    return active;
  }

  private allFlushedBefore(segment: Segment): boolean {
    for (const s of this.segments) {
      if (s === segment) return true;
      if (s.flushedEnd < s.size) return false;
    }
    return true;
  }

  /** Starts a new segment now (tests, operators, time-based retention of the active segment). */
  roll(): void {
    this.ensureOpen();
    if (this.active.size > 0) this.rollTo(this.active.nextOffset);
  }

  /**
   * Reads whole batches from the one containing `offset`. Offset == logEndOffset gives an
   * empty result (nothing yet); below logStartOffset or above logEndOffset throws
   * OffsetOutOfRangeError. Damaged bytes found on the way throw CorruptSegmentError.
   */
  read(offset: number, options: ReadOptions = {}): ReadResult {
    this.ensureOpen();
    if (!Number.isSafeInteger(offset)) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `offset must be an integer, got ${String(offset)}`);
    }
    const maxBytes = options.maxBytes ?? 1024 * 1024;
    const maxOffset = options.maxOffset ?? Infinity;
    const minOneBatch = options.minOneBatch ?? true;
    if (!(maxBytes >= 0)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `maxBytes must be >= 0, got ${String(maxBytes)}`);
    const logEndOffset = this.logEndOffset;
    if (offset < this.startOffset || offset > logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this.startOffset, logEndOffset, { path: this.dir });
    }
    const views: Buffer[] = [];
    let bytes = 0;
    let firstOffset = -1;
    let nextOffset = offset;
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      const slice = segment.read(nextOffset, maxBytes - bytes, maxOffset, minOneBatch && views.length === 0);
      if (slice) {
        views.push(slice.view);
        bytes += slice.view.length;
        if (firstOffset < 0) firstOffset = slice.firstOffset;
        nextOffset = slice.lastOffset + 1;
      }
      if (bytes >= maxBytes || nextOffset >= maxOffset) break;
      // Go on to the next segment only when this one has nothing left from nextOffset on. A
      // segment that returned no slice because its next batch did not fit in the bytes left
      // (or ends at or past maxOffset) still holds that batch: skipping to a later segment
      // would hand the reader batches after a hole of unread offsets.
      if (nextOffset < segment.nextOffset) break;
    }
    return { views, bytes, firstOffset, nextOffset, logStartOffset: this.startOffset, logEndOffset };
  }

  /**
   * Every whole batch from the one containing `offset` to the log end, as views, read `chunkBytes`
   * at a time: for replaying a log (metadata, committed offsets, producer state). The first batch
   * may start before `offset`. Appends made while iterating are included.
   */
  *batchesFrom(offset: number, chunkBytes = 4 * 1024 * 1024): Generator<Buffer> {
    let next = Math.max(offset, this.startOffset);
    while (next < this.logEndOffset) {
      const read = this.read(next, { maxBytes: chunkBytes });
      for (const view of read.views) yield* iterateBatches(view);
      if (read.nextOffset <= next) return;
      next = read.nextOffset;
    }
  }

  /** The index of the last segment whose baseOffset <= offset. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The first record whose timestamp is >= `timestamp` (Kafka ListOffsets by time), or
   * undefined when every record is older.
   */
  offsetForTimestamp(timestamp: number): TimestampLookup | undefined {
    this.ensureOpen();
    if (!Number.isFinite(timestamp)) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `timestamp must be a number of ms, got ${String(timestamp)}`);
    }
    for (const segment of this.segments) {
      const batch = segment.findBatchByTimestamp(timestamp);
      if (!batch) continue;
      for (const record of iterateRecords(batch)) {
        if (record.timestamp >= timestamp && record.offset >= this.startOffset) {
          return { offset: record.offset, timestamp: record.timestamp };
        }
      }
    }
    return undefined;
  }

  /**
   * Deletes whole segments past retention: those whose newest record is older than
   * retentionMs, and the oldest ones while the log would still hold more than retentionBytes.
   * The active segment is rolled first when everything in it has expired by time. The log
   * start offset moves to the first remaining segment. Views of deleted segments stay valid.
   */
  applyRetention(now: number = Date.now()): RetentionResult {
    this.ensureOpen();
    let deletedSegments = 0;
    let deletedBytes = 0;
    const { retentionMs, retentionBytes } = this.config;
    const expired = (s: Segment) => retentionMs >= 0 && retentionMs !== Infinity && s.size > 0 && s.maxTimestamp >= 0 && now - s.maxTimestamp > retentionMs;
    if (this.segments.length === 1 && expired(this.active)) this.roll();
    let total = this.size;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const overSize = retentionBytes >= 0 && total - oldest.size >= retentionBytes;
      if (!expired(oldest) && !overSize) break;
      if (oldest.size === 0 && !overSize && !expired(oldest)) break;
      this.segments.shift();
      total -= oldest.size;
      deletedBytes += oldest.size;
      deletedSegments += 1;
      oldest.delete();
      this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
      if (this.segments.length === 1 && expired(this.active)) this.roll();
    }
    const result = { deletedSegments, deletedBytes, logStartOffset: this.startOffset };
    if (deletedSegments > 0) this.observer.segmentsDeleted?.(result);
    return result;
  }

  /**
   * Deletes the whole segments that end at or below `offset` (never the active one), moving
   * the log start offset to the first remaining segment. For logs that rewrite their own live
   * state past `offset` (a snapshot) and can drop what came before. Views stay valid.
   */
  deleteSegmentsBefore(offset: number): RetentionResult {
    this.ensureOpen();
    let deletedSegments = 0;
    let deletedBytes = 0;
    while (this.segments.length > 1 && this.segments[0]!.nextOffset <= offset) {
      const oldest = this.segments.shift()!;
      deletedBytes += oldest.size;
      deletedSegments += 1;
      oldest.delete();
      this.startOffset = Math.max(this.startOffset, this.segments[0]!.baseOffset);
    }
    const result = { deletedSegments, deletedBytes, logStartOffset: this.startOffset };
    if (deletedSegments > 0) this.observer.segmentsDeleted?.(result);
    return result;
  }

  /**
   * What the log cleaner would work on now: the sealed segments from the log start up to the
   * first one that is active or newer than min.compaction.lag.ms, and the share of their bytes
   * not cleaned yet (the dirty ratio that min.cleanable.dirty.ratio is compared with).
   */
  cleanableState(now: number = Date.now()): { cleanableSegments: number; dirtyBytes: number; cleanableBytes: number; dirtyRatio: number; firstDirtyOffset: number } {
    this.ensureOpen();
    const lagMs = this.config.minCompactionLagMs;
    let cleanableSegments = 0;
    let dirtyBytes = 0;
    let cleanableBytes = 0;
    for (const segment of this.segments) {
      if (segment.active) break;
      if (lagMs > 0 && segment.maxTimestamp > now - lagMs) break;
      cleanableSegments += 1;
      cleanableBytes += segment.size;
      if (segment.nextOffset > this.firstDirtyOffset) dirtyBytes += segment.size;
    }
    return { cleanableSegments, dirtyBytes, cleanableBytes, dirtyRatio: cleanableBytes > 0 ? dirtyBytes / cleanableBytes : 0, firstDirtyOffset: this.firstDirtyOffset };
  }

  /**
   * Compacts the log (cleanup.policy=compact): keeps the last record of each key, drops
   * tombstones older than delete.retention.ms, never touches the active segment, and keeps
   * every remaining record at its offset. The file work runs on the cleaner's worker thread;
   * the cleaned segments are then swapped in with renames (.cleaned → .swap → .log) so that a
   * crash at any moment leaves the old segments or the new ones, and the next open finishes
   * an interrupted swap. Readers holding views of old segments keep reading them. One pass at
   * a time per log; a call during a pass answers { cleaned: false, reason: 'busy' }.
   */
  compact(options: CompactOptions = {}): Promise<CompactResult> {
    this.ensureOpen();
    if (this.cleaning) return Promise.resolve({ ...this.idleResult(0), reason: 'busy' });
    const pass = this.compactPass(options).finally(() => {
      this.cleaning = undefined;
    });
    this.cleaning = pass;
    return pass;
  }

  private idleResult(dirtyRatio: number): CompactResult {
    return { cleaned: false, dirtyRatio, firstDirtyOffset: this.firstDirtyOffset, segmentsReplaced: 0, bytesRead: 0, bytesBefore: 0, bytesAfter: 0, recordsRead: 0, recordsKept: 0 };
  }

  private async compactPass(options: CompactOptions): Promise<CompactResult> {
    const now = options.now ?? Date.now();
    const state = this.cleanableState(now);
    if (state.dirtyBytes === 0) return { ...this.idleResult(state.dirtyRatio), reason: 'nothing-dirty' };
    if (!options.force && state.dirtyRatio < this.config.minCleanableDirtyRatio) {
      return { ...this.idleResult(state.dirtyRatio), reason: 'below-dirty-ratio' };
    }
    const segments = this.segments.slice(0, state.cleanableSegments);
    const plan: CleanPlan = {
      dir: this.dir,
      segments: segments.map((s) => ({ baseOffset: s.baseOffset, nextOffset: s.nextOffset, size: s.size, path: s.path })),
      firstDirtyOffset: this.firstDirtyOffset,
      nowMs: now,
      deleteRetentionMs: this.config.deleteRetentionMs,
      segmentBytes: this.config.segmentBytes,
      maxMapEntries: options.maxMapEntries ?? 4_000_000,
      maxDecompressedBytes: this.config.maxMessageBytes,
    };
    const step = options.onStep ?? (() => {});
    const truncations = this.truncations;
    const outcome: CleanOutcome = options.inline ? cleanSegments(plan, step) : await runCleanTask(plan);
    step('mapped-and-written');
    let swapped = 0;
    let complete = true;
    for (const group of outcome.groups) {
      // A truncation during the pass may have cut the very segments it read: its output would
      // bring the cut records back.
      if (!complete || this.isClosed || truncations !== this.truncations || !this.swapIn(group, step)) {
        complete = false;
        removeQuietly(group.cleanedPath);
        continue;
      }
      swapped += group.oldBases.length;
    }
    if (!complete) return { ...this.idleResult(state.dirtyRatio), reason: 'log-changed', segmentsReplaced: swapped };
    this.firstDirtyOffset = Math.max(this.firstDirtyOffset, outcome.cleanedUpTo);
    writeCleanerCheckpoint(this.dir, this.firstDirtyOffset);
    const bytesBefore = outcome.groups.reduce((n, g) => n + g.bytesIn, 0);
    return {
      cleaned: true,
      dirtyRatio: state.dirtyRatio,
      firstDirtyOffset: this.firstDirtyOffset,
      segmentsReplaced: swapped,
      bytesRead: outcome.bytesRead,
      bytesBefore,
      bytesAfter: outcome.bytesWritten,
      recordsRead: outcome.recordsRead,
      recordsKept: outcome.recordsKept,
    };
  }

  /**
   * Replaces the group's old segments by its cleaned file, all within this call (synchronous:
   * no read sees the log half swapped). False, changing nothing, when the old segments are no
   * longer all there (retention deleted some during the pass).
   */
  private swapIn(group: CleanedGroup, step: (name: string) => void): boolean {
    const at = this.segments.findIndex((s) => s.baseOffset === group.oldBases[0]);
    if (at < 0) return false;
    const old = this.segments.slice(at, at + group.oldBases.length);
    if (old.length !== group.oldBases.length || old.some((s, i) => s.baseOffset !== group.oldBases[i] || s.active)) return false;
    const swap = swapFile(this.dir, group.baseOffset, group.endOffset);
    try {
      renameSync(group.cleanedPath, swap);
      syncDir(this.dir);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot swap in the cleaned segment ${group.cleanedPath}`);
    }
    // The commit point: from here an open finishes the swap.
    step('swap-renamed');
    old.forEach((segment, i) => {
      segment.delete();
      if (i === 0) step('old-deleted-one');
    });
    step('old-deleted');
    try {
      renameSync(swap, logFile(this.dir, group.baseOffset));
      syncDir(this.dir);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot install the cleaned segment ${swap}`);
    }
    step('swap-installed');
    const replacement = Segment.loadCleaned(this.dir, group.baseOffset, this.config, this.lru);
    if (replacement.size === 0) {
      replacement.delete();
      this.segments.splice(at, old.length);
    } else {
      this.segments.splice(at, old.length, replacement);
    }
    this.startOffset = this.segments[0]!.baseOffset;
    return true;
  }

  /**
   * Kafka's DeleteRecords: moves the log start offset up to `offset` (at most the log end
   * offset), so reads and ListOffsets(earliest) start there, and deletes the whole segments
   * below it. The new start is written durably first, so it survives a crash. Records below
   * it that share a batch with records above stay on disk until their segment goes (as in
   * Kafka) but are never served. Returns the new log start offset (the low watermark).
   */
  deleteRecordsBefore(offset: number): RetentionResult {
    this.ensureOpen();
    const end = this.logEndOffset;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > end) throw new OffsetOutOfRangeError(offset, this.startOffset, end, { path: this.dir });
    if (offset <= this.startOffset) return { deletedSegments: 0, deletedBytes: 0, logStartOffset: this.startOffset };
    writeLogStartOffset(this.dir, offset);
    this.startOffset = offset;
    const result = this.deleteSegmentsBefore(offset);
    if (!this.isClosed) this.observer.logStartMoved?.(this.startOffset);
    return result;
  }

  /**
   * Removes every batch at or above `offset` (Kafka's UnifiedLog.truncateTo), for a replica
   * whose tail diverged from its leader's. Batches are atomic: when `offset` falls inside a
   * batch, that whole batch goes too and the log ends at its base offset, below `offset`.
   * Returns the new log end offset (== `offset` when it is a batch boundary, the usual case:
   * epochs start on batch boundaries). `offset` >= logEndOffset changes nothing; at or below
   * the log start (nothing would remain) it is truncateFullyAndStartAt(offset).
   *
   * Crash safety: a kill at any point leaves a folder that opens as the old log or as a prefix
   * of it that still holds every batch below the cut. The order that ensures it: the recovery
   * point is lowered to the cut segment (so an open rescans it instead of trusting its
   * indexes), whole segments above the cut are deleted newest first (each deletion leaves a
   * prefix) and the folder synced, then the segment holding the cut is shortened with one
   * ftruncate and synced. Readers' views of removed bytes stay mapped (zeros or the unlinked
   * file's pages), never a fault. Synchronous: no append or read sees half of it.
   */
  truncateTo(offset: number): number {
    this.ensureOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a truncation offset must be an integer >= 0, got ${String(offset)}`, { path: this.dir });
    }
    if (offset >= this.logEndOffset) return this.logEndOffset;
    if (offset <= this.startOffset) {
      this.truncateFullyAndStartAt(offset);
      return this.logEndOffset;
    }
    const at = this.segmentIndexFor(offset);
    const holder = this.segments[at]!;
    const cut = holder.cutPoint(offset);
    if (cut.baseOffset <= this.startOffset) {
      // The batch holding `offset` straddles the log start: nothing at or above the start remains.
      this.truncateFullyAndStartAt(this.startOffset);
      return this.logEndOffset;
    }
    this.truncations += 1;
    const recoveryPoint = readRecoveryPoint(this.dir);
    if (recoveryPoint > holder.baseOffset) writeRecoveryPoint(this.dir, holder.baseOffset);
    let removed = false;
    while (this.segments.length - 1 > at) {
      this.segments.pop()!.delete();
      removed = true;
    }
    if (removed) syncDir(this.dir);
    holder.truncateAt(cut.position, cut.baseOffset);
    syncFile(holder.path);
    if (holder.size === 0 && at > 0) {
      this.segments.pop();
      holder.delete();
      syncDir(this.dir);
    }
    const last = this.active;
    if (!last.active) last.activate();
    this.afterTruncation();
    return this.logEndOffset;
  }

  /**
   * Empties the log and restarts it at `offset` (Kafka's truncateFullyAndStartAt): for a
   * replica whose leader's log starts past this log's end, or a truncation below the log
   * start. Every segment goes (newest first) and one empty segment starts at `offset`.
   * A kill midway leaves a prefix of the old log with no readable record (its start moved to
   * its end) or the empty log at `offset`: the log start offset file is written first, and an
   * open of a folder without segments starts the log at that offset.
   */
  truncateFullyAndStartAt(offset: number): void {
    this.ensureOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a start offset must be an integer >= 0, got ${String(offset)}`, { path: this.dir });
    }
    this.truncations += 1;
    // Never below the current start first: a kill before the segments go must not bring
    // records removed by DeleteRecords back.
    writeLogStartOffset(this.dir, Math.max(offset, this.startOffset));
    while (this.segments.length > 0) this.segments.pop()!.delete();
    syncDir(this.dir);
    if (offset < this.startOffset) writeLogStartOffset(this.dir, offset);
    this.segments.push(Segment.create(this.dir, offset, this.config, this.lru));
    syncDir(this.dir);
    this.startOffset = offset;
    writeRecoveryPoint(this.dir, offset);
    this.afterTruncation();
  }

  /** The cleaner's checkpoint never points past the end: new records there are dirty. */
  private afterTruncation(): void {
    const end = this.logEndOffset;
    if (this.firstDirtyOffset > end) {
      this.firstDirtyOffset = Math.max(this.startOffset, end);
      writeCleanerCheckpoint(this.dir, this.firstDirtyOffset);
    }
  }

  /** Flushes everything appended so far (group commit with concurrent callers). */
  flush(): Promise<void> {
    this.ensureOpen();
    return this.flusher.flush();
  }

  private async flushAll(): Promise<void> {
    const started = performance.now();
    const pending = this.segments.filter((s) => s.flushedEnd < s.size);
    try {
      await Promise.all(pending.map((s) => s.flush()));
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `flush of ${this.dir} failed`);
    }
    if (!this.isClosed) this.observer.flushed?.((performance.now() - started) / 1000);
  }

  /**
   * Flushes, seals the active segment (indexes written, file cut to its logical size once no
   * view remains), writes the recovery point and the clean-shutdown marker, and releases the
   * folder. Idempotent; every other call afterwards throws SKEIN_CLOSED. Views stay readable.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (!this.closing) this.closing = this.doClose(options.keepViews ?? false);
    return this.closing;
  }

  private async doClose(keepViews: boolean): Promise<void> {
    this.isClosed = true;
    this.flusher.stop();
    try {
      // A cleaning pass in flight swaps nothing once closed; wait for its files to be settled.
      await this.cleaning?.catch(() => undefined);
      await this.flusher.idle();
      await this.flushAll();
      for (const segment of this.segments) segment.close();
      writeRecoveryPoint(this.dir, this.active.nextOffset);
      writeCleanShutdownMarker(this.dir);
    } finally {
      // Whatever failed above (index files or checkpoints on a full disk), every segment is
      // released and the folder unlocked: a close that threw used to leave it locked in this
      // process for good (SKEIN_LOG_LOCKED on every reopen). The first error is what close()
      // reports; without the clean-shutdown marker the next open recovers.
      for (const segment of this.segments) {
        try {
          segment.close();
        } catch {
          // Already reported by the first failure.
        }
      }
      // Every mapping of the folder still alive (views held, or buffers collected whose
      // finalizers have not run yet) goes now, not at a garbage collection: after close()
      // the process holds no fd and no mapping of the folder.
      if (!keepViews) native.releaseMappings(this.dir + sep);
      this.lock?.release();
    }
  }

  private ensureOpen(): void {
    if (this.isClosed) throw new SkeinError('SKEIN_CLOSED', `log ${this.dir} is closed`, { path: this.dir });
  }
}

function prepareDir(dir: string, create: boolean): string {
  try {
    // Parents too: `PartitionLog.open("./data/orders-0")` in a fresh folder is the first thing users try.
    if (create) makeDirs(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot create log folder ${dir}`, { path: dir });
    }
  }
  try {
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
    return realpathSync(dir);
  } catch (err) {
    const error = fromSystemError(err as NodeJS.ErrnoException, `log folder ${dir} is missing or not writable`, { path: dir });
    throw error.code === 'SKEIN_IO_ERROR'
      ? new SkeinError('SKEIN_LOG_DIR_UNAVAILABLE', error.message, { cause: err, path: dir })
      : error;
  }
}

/**
 * Lists and loads the segments of a folder: leftovers of interrupted deletes and index writes
 * are removed, segments at or after the recovery point are rescanned after an unclean stop,
 * and the last segment becomes the active one (a new empty log gets segment 0).
 */
async function loadSegments(
  dir: string,
  config: LogConfig,
  lru: MappingLru,
  warn: (message: string) => void,
  scanner: SegmentScanner | undefined,
): Promise<Segment[]> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot list log folder ${dir}`, { path: dir });
  }
  for (const name of names) {
    if (isLeftoverFile(name)) unlinkSync(join(dir, name));
  }
  if (names.some((name) => parseSwapFileName(name))) {
    finishSwaps(dir, names, warn);
    names = readdirSync(dir);
  }
  const bases = names
    .map(parseLogFileName)
    .filter((b): b is number => b !== undefined)
    .sort((a, b) => a - b);
  const clean = takeCleanShutdownMarker(dir);
  const recoveryPoint = readRecoveryPoint(dir);
  const segments: Segment[] = [];
  try {
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const isLast = i === bases.length - 1;
      const recover = !clean && (isLast || bases[i + 1]! > recoveryPoint);
      // Sealed segments may have offset gaps (left by the log cleaner); the last one only with
      // its .gaps marker (a follower's copy of a compacted range, Segment.allowGaps).
      const segment = await Segment.load(dir, base, config, lru, recover, !isLast, scanner);
      const previous = segments[segments.length - 1];
      if (previous && previous.nextOffset > segment.baseOffset) {
        segment.close();
        throw new CorruptSegmentError(
          `segment ${segment.path} starts at offset ${segment.baseOffset} but the previous one ends at ${previous.nextOffset - 1}`,
          { path: segment.path },
        );
      }
      if (segment.size === 0 && !isLast) {
        // An empty segment in the middle holds nothing (e.g. a crash right after a roll was undone).
        segment.delete();
        warn(`removed empty segment ${segment.path}`);
        continue;
      }
      // A sealed segment holds no fd and no mapping until it is read (then under the MappingLru):
      // keeping the fd of every segment opened 2,823 fds for 200 partitions and failed with
      // EMFILE under `ulimit -n 2048`.
      if (!isLast) segment.evict();
      segments.push(segment);
    }
    if (segments.length === 0) {
      // A folder emptied by truncateFullyAndStartAt starts where the log start offset says.
      segments.push(Segment.create(dir, readLogStartOffset(dir), config, lru));
    } else {
      segments[segments.length - 1]!.activate();
    }
  } catch (err) {
    for (const segment of segments) segment.close();
    throw err;
  }
  if (!clean && bases.length > 0) warn(`log ${dir} was not closed cleanly; recovered from offset ${recoveryPoint}`);
  return segments;
}

/**
 * Finishes cleaning swaps a crash interrupted: a `<base>.<end>.swap` file is a complete,
 * synced cleaned segment (it is renamed from `.cleaned` only once written), so the segments
 * it replaces (base offsets in [base, end)) are deleted and it takes their place.
 */
function finishSwaps(dir: string, names: string[], warn: (message: string) => void): void {
  for (const name of names) {
    const swap = parseSwapFileName(name);
    if (!swap) continue;
    const bases = new Set<number>();
    for (const other of names) {
      const match = /^(\d{20})\.(log|index|timeindex)$/.exec(other);
      if (match) bases.add(Number(match[1]));
    }
    for (const base of bases) {
      if (base < swap.baseOffset || base >= swap.endOffset) continue;
      for (const path of [gapsFile(dir, base), indexFile(dir, base), timeIndexFile(dir, base), logFile(dir, base)]) removeQuietly(path);
    }
    try {
      renameSync(join(dir, name), logFile(dir, swap.baseOffset));
      syncDir(dir);
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `cannot finish the interrupted cleaning swap ${name}`, { path: dir });
    }
    warn(`finished an interrupted cleaning swap in ${dir} (segments ${swap.baseOffset}..${swap.endOffset - 1})`);
  }
}

function removeQuietly(path: string): void {
  try {
    if (existsSync(path)) unlinkSync(path);
  } catch {
    // Left for the next open (a .cleaned file is a leftover it removes).
  }
}

/** fsync of one file (a segment cut by truncateTo), so its new length is durable. */
function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of the folder, so renames in it are durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
