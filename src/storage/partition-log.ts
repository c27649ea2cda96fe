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
 *
 * This class is the log's face and owns its lifecycle (open, flush policy, close); the work
 * is split by concern over one shared LogState (log-state.ts): log-loader.ts (open),
 * log-append.ts with append-validation.ts and log-roll.ts (appends and rolls), log-read.ts
 * (reads across segments, lookup by timestamp), log-retention.ts (retention, DeleteRecords),
 * log-truncation.ts (truncateTo, truncateFullyAndStartAt), log-compaction.ts (the cleaner).
 */
import { sep } from 'node:path';
import { native } from '../native/binding.js';
import { SkeinError, fromSystemError } from '../errors.js';
import type { BatchSummaries } from '../records/batch-summary.js';
import { iterateBatches } from '../records/record-iterator.js';
import type { SegmentScanner } from './segment-recovery.js';
import { resolveLogConfig, type LogConfig } from './log-config.js';
import { FlushScheduler } from './flush-scheduler.js';
import { sharedMappingLru, type MappingLru } from './mapping-lru.js';
import { writeCleanShutdownMarker, writeRecoveryPoint } from './checkpoint-file.js';
import { FolderLock } from './folder-lock.js';
import { LogState, type LogObserver } from './log-state.js';
import { loadSegments, prepareDir } from './log-loader.js';
import { appendAssigned, appendKept, type AppendResult } from './log-append.js';
import { rollActive } from './log-roll.js';
import { offsetForTimestamp, readLog, type ReadOptions, type ReadResult, type TimestampLookup } from './log-read.js';
import { applyRetention, deleteRecordsBefore, deleteSegmentsBefore, type RetentionResult } from './log-retention.js';
import { truncateFullyAndStartAt, truncateTo } from './log-truncation.js';
import { LogCompactor, type CleanableState, type CompactOptions, type CompactResult } from './log-compaction.js';

export type { AppendResult } from './log-append.js';
export type { ReadOptions, ReadResult, TimestampLookup } from './log-read.js';
export type { RetentionResult } from './log-retention.js';
export type { CompactOptions, CompactResult } from './log-compaction.js';
export type { LogObserver } from './log-state.js';

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

export class PartitionLog {
  readonly dir: string;
  private readonly state: LogState;
  private readonly flusher: FlushScheduler;
  private readonly compactor: LogCompactor;
  private readonly lock: FolderLock | undefined;
  private closing: Promise<void> | undefined;

  private constructor(state: LogState, lock: FolderLock | undefined) {
    this.dir = state.dir;
    this.state = state;
    this.lock = lock;
    this.flusher = new FlushScheduler(() => this.flushAll(), state.config.flushMessages, state.config.flushMs);
    this.compactor = new LogCompactor(state);
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
      return new PartitionLog(new LogState(path, config, lru, segments), lock);
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  get logStartOffset(): number {
    return this.state.startOffset;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.state.logEndOffset;
  }

  /** Base offset of the segment being appended to (where rebuilding recent per-batch state starts). */
  get activeSegmentBaseOffset(): number {
    return this.state.active.baseOffset;
  }

  /**
   * Where the active segment's batches from `offset` are: the file, the position of the offset
   * index entry at or before it, and the end of the valid data. For walks of recent headers on
   * another thread (the producer-state rebuild on the partition's worker lane).
   */
  activeSegmentTail(offset: number): { path: string; position: number; end: number } {
    const active = this.state.active;
    const position = offset <= active.baseOffset ? 0 : active.offsetIndex.lookup(offset).position;
    return { path: active.path, position, end: active.size };
  }

  /** Bytes of batches held in all segments. */
  get size(): number {
    return this.state.size;
  }

  get segmentCount(): number {
    return this.state.segments.length;
  }

  get closed(): boolean {
    return this.state.closed;
  }

  /** Flushes run so far (group commit makes this smaller than the number of appends that waited). */
  get flushCount(): number {
    return this.flusher.flushCount;
  }

  /** A copy of the settings in force. */
  get settings(): LogConfig {
    return { ...this.state.config };
  }

  /** Sets who is told about rolls, flushes and deletions (one observer; the partition above). */
  observe(observer: LogObserver): void {
    this.state.observer = observer;
  }

  /** Changes settings for what follows (segment sizes apply from the next roll). */
  updateConfig(overrides: Partial<LogConfig>): void {
    this.ensureOpen();
    const config = this.state.config;
    const next = resolveLogConfig({ ...config, ...overrides });
    Object.assign(config, next);
    this.flusher.setPolicy(next.flushMessages, next.flushMs);
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
    this.ensureOpen();
    const result = appendAssigned(this.state, batches, summaries, leaderEpoch);
    return { result, flushed: this.flusher.appended(result.recordCount) };
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
    const result = appendKept(this.state, batches, given);
    return { result, flushed: this.flusher.appended(result.recordCount) };
  }

  /** Starts a new segment now (tests, operators, time-based retention of the active segment). */
  roll(): void {
    this.ensureOpen();
    rollActive(this.state);
  }

  /**
   * Reads whole batches from the one containing `offset`. Offset == logEndOffset gives an
   * empty result (nothing yet); below logStartOffset or above logEndOffset throws
   * OffsetOutOfRangeError. Damaged bytes found on the way throw CorruptSegmentError.
   */
  read(offset: number, options: ReadOptions = {}): ReadResult {
    this.ensureOpen();
    return readLog(this.state, offset, options);
  }

  /**
   * Every whole batch from the one containing `offset` to the log end, as views, read `chunkBytes`
   * at a time: for replaying a log (metadata, committed offsets, producer state). The first batch
   * may start before `offset`. Appends made while iterating are included.
   */
  *batchesFrom(offset: number, chunkBytes = 4 * 1024 * 1024): Generator<Buffer> {
    let next = Math.max(offset, this.state.startOffset);
    while (next < this.logEndOffset) {
      const read = this.read(next, { maxBytes: chunkBytes });
      for (const view of read.views) yield* iterateBatches(view);
      if (read.nextOffset <= next) return;
      next = read.nextOffset;
    }
  }

  /**
   * The first record whose timestamp is >= `timestamp` (Kafka ListOffsets by time), or
   * undefined when every record is older.
   */
  offsetForTimestamp(timestamp: number): TimestampLookup | undefined {
    this.ensureOpen();
    return offsetForTimestamp(this.state, timestamp);
  }

  /**
   * Deletes whole segments past retention: those whose newest record is older than
   * retentionMs, and the oldest ones while the log would still hold more than retentionBytes.
   * The active segment is rolled first when everything in it has expired by time. The log
   * start offset moves to the first remaining segment. Views of deleted segments stay valid.
   */
  applyRetention(now: number = Date.now()): RetentionResult {
    this.ensureOpen();
    return applyRetention(this.state, now);
  }

  /**
   * Deletes the whole segments that end at or below `offset` (never the active one), moving
   * the log start offset to the first remaining segment. For logs that rewrite their own live
   * state past `offset` (a snapshot) and can drop what came before. Views stay valid.
   */
  deleteSegmentsBefore(offset: number): RetentionResult {
    this.ensureOpen();
    return deleteSegmentsBefore(this.state, offset);
  }

  /**
   * What the log cleaner would work on now: the sealed segments from the log start up to the
   * first one that is active or newer than min.compaction.lag.ms, and the share of their bytes
   * not cleaned yet (the dirty ratio that min.cleanable.dirty.ratio is compared with).
   */
  cleanableState(now: number = Date.now()): CleanableState {
    this.ensureOpen();
    return this.compactor.cleanableState(now);
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
    return this.compactor.compact(options);
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
    return deleteRecordsBefore(this.state, offset);
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
    return truncateTo(this.state, offset);
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
    truncateFullyAndStartAt(this.state, offset);
  }

  /** Flushes everything appended so far (group commit with concurrent callers). */
  flush(): Promise<void> {
    this.ensureOpen();
    return this.flusher.flush();
  }

  private async flushAll(): Promise<void> {
    const started = performance.now();
    const pending = this.state.segments.filter((s) => s.flushedEnd < s.size);
    try {
      await Promise.all(pending.map((s) => s.flush()));
    } catch (err) {
      throw fromSystemError(err as NodeJS.ErrnoException, `flush of ${this.dir} failed`);
    }
    if (!this.state.closed) this.state.observer.flushed?.((performance.now() - started) / 1000);
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
    const state = this.state;
    state.closed = true;
    this.flusher.stop();
    try {
      // A cleaning pass in flight swaps nothing once closed; wait for its files to be settled.
      await this.compactor.idle();
      await this.flusher.idle();
      await this.flushAll();
      for (const segment of state.segments) segment.close();
      writeRecoveryPoint(this.dir, state.active.nextOffset);
      writeCleanShutdownMarker(this.dir);
    } finally {
      // Whatever failed above (index files or checkpoints on a full disk), every segment is
      // released and the folder unlocked: a close that threw used to leave it locked in this
      // process for good (SKEIN_LOG_LOCKED on every reopen). The first error is what close()
      // reports; without the clean-shutdown marker the next open recovers.
      for (const segment of state.segments) {
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
    if (this.state.closed) throw new SkeinError('SKEIN_CLOSED', `log ${this.dir} is closed`, { path: this.dir });
  }
}
