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
import { accessSync, constants, mkdirSync, readdirSync, realpathSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { native, ScanStop } from '../native/binding.js';
import { CorruptSegmentError, OffsetOutOfRangeError, SkeinError, fromSystemError, type ErrorCode } from '../errors.js';
import { CompressionCodec, compressionCodecOf } from '../records/batch-header.js';
import { BatchSummaries, S, SUMMARY_FIELDS } from '../records/batch-summary.js';
import { iterateBatches, iterateRecords } from '../records/record-iterator.js';
import { Segment } from './segment.js';
import { resolveLogConfig, type LogConfig } from './log-config.js';
import { FlushScheduler } from './flush-scheduler.js';
import { sharedMappingLru, type MappingLru } from './mapping-lru.js';
import { isLeftoverFile, parseLogFileName } from './file-names.js';
import {
  lockDir,
  readRecoveryPoint,
  takeCleanShutdownMarker,
  unlockDir,
  writeCleanShutdownMarker,
  writeRecoveryPoint,
} from './checkpoint-file.js';

export interface PartitionLogOptions {
  /** Overrides of the defaults in DEFAULT_LOG_CONFIG. */
  config?: Partial<LogConfig>;
  /** Create the folder if it does not exist (its parent must). Default true. */
  create?: boolean;
  /** The LRU bounding mapped sealed segments; shared by all logs of the process by default. */
  mappingLru?: MappingLru;
  /** Called with a message when open repairs something (cut a torn tail, rebuilt an index). */
  onWarning?: (message: string) => void;
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
  /** Everything appended before the flush started is on disk. */
  flushed?(): void;
  segmentsDeleted?(result: RetentionResult): void;
}

export interface TimestampLookup {
  offset: number;
  timestamp: number;
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
  private startOffset: number;
  private observer: LogObserver = {};
  private isClosed = false;
  private closing: Promise<void> | undefined;

  private constructor(dir: string, config: LogConfig, lru: MappingLru, segments: Segment[]) {
    this.dir = dir;
    this.config = config;
    this.lru = lru;
    this.segments = segments;
    this.startOffset = segments[0]!.baseOffset;
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
    lockDir(path);
    try {
      const segments = await loadSegments(path, config, lru, warn);
      return new PartitionLog(path, config, lru, segments);
    } catch (err) {
      unlockDir(path);
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
   */
  appendNow(batches: Uint8Array, summaries?: BatchSummaries): { result: AppendResult; flushed: Promise<void> | undefined } {
    const result = this.appendBytes(batches, summaries);
    return { result, flushed: this.flusher.appended(result.recordCount) };
  }

  private appendBytes(batches: Uint8Array, given: BatchSummaries | undefined): AppendResult {
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
    const appended = active.append(batches, firstOffset, summaries);
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
      const codec = compressionCodecOf(fields[f + S.ATTRIBUTES]!);
      if (codec !== CompressionCodec.NONE) {
        throw new SkeinError('SKEIN_UNSUPPORTED_COMPRESSION', `compression codec ${codec} is not supported yet`, { codec });
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
      this.startOffset = this.segments[0]!.baseOffset;
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
      this.startOffset = this.segments[0]!.baseOffset;
    }
    const result = { deletedSegments, deletedBytes, logStartOffset: this.startOffset };
    if (deletedSegments > 0) this.observer.segmentsDeleted?.(result);
    return result;
  }

  /** Flushes everything appended so far (group commit with concurrent callers). */
  flush(): Promise<void> {
    this.ensureOpen();
    return this.flusher.flush();
  }

  private async flushAll(): Promise<void> {
    const pending = this.segments.filter((s) => s.flushedEnd < s.size);
    try {
      await Promise.all(pending.map((s) => s.flush()));
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `flush of ${this.dir} failed`);
    }
    if (!this.isClosed) this.observer.flushed?.();
  }

  /**
   * Flushes, seals the active segment (indexes written, file cut to its logical size once no
   * view remains), writes the recovery point and the clean-shutdown marker, and releases the
   * folder. Idempotent; every other call afterwards throws SKEIN_CLOSED. Views stay readable.
   */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.isClosed = true;
    this.flusher.stop();
    try {
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
      unlockDir(this.dir);
    }
  }

  private ensureOpen(): void {
    if (this.isClosed) throw new SkeinError('SKEIN_CLOSED', `log ${this.dir} is closed`, { path: this.dir });
  }
}

function prepareDir(dir: string, create: boolean): string {
  try {
    if (create) mkdirSync(dir, { recursive: false });
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
      const segment = await Segment.load(dir, base, config, lru, recover);
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
      segments.push(segment);
    }
    if (segments.length === 0) {
      segments.push(Segment.create(dir, 0, config, lru));
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
