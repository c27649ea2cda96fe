/**
 * One topic-partition (Kafka's Partition + UnifiedLog in one class): the storage PartitionLog,
 * the producer state (idempotence), the log start offset, the high watermark, the leader epoch,
 * and the append pipeline
 *
 *   validate once (native scan → one summary per batch) → decompress where needed →
 *   producer-state check → append → publish events.
 *
 * Every step after the scan reads the batch summaries (batch-summary.ts), never the headers.
 *
 * Leader epochs (KIP-101/279): as leader, every appended batch is stamped with `leaderEpoch`
 * (patched in the mapping beside baseOffset, no copy) and the LeaderEpochCache records where
 * each epoch starts; a follower appends the leader's batches as they are (appendAsFollower)
 * and learns their epochs. `endOffsetForEpoch` answers OffsetForLeaderEpoch; `truncateTo`
 * removes a diverged tail (log, epochs, producer state, high watermark together).
 *
 * High watermark: consumers read only below it. On one broker it follows the log end offset
 * (`followLogEnd`, the default); the cluster turns that off and moves it with
 * `setHighWatermark` as followers catch up. Events (types.ts, docs/partition.md) are how
 * long-poll fetches, metrics and replication learn what happened: nothing hooks the broker.
 *
 * Lifecycle: made by the broker over an open PartitionLog; the broker's LogManager closes the
 * log. Runs on the event loop; CPU-heavy work goes to the partition's worker (src/workers).
 * Knows nothing of topics' configs, groups, sockets or the protocol: the name is a label.
 */
import { SkeinError } from '../errors.js';
import type { AppendResult, PartitionLog } from '../storage/partition-log.js';
import { BatchSummaries, S, SUMMARY_FIELDS } from '../records/batch-summary.js';
import { ScanStop } from '../native/binding.js';
import { readBaseOffset, readPartitionLeaderEpoch } from '../records/batch-header.js';
import { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET, type EpochEndOffset, type EpochEntry } from './leader-epoch-cache.js';
import { validateCompressedBatches } from '../records/validate-compressed-batch.js';
import type { WorkerPool } from '../workers/pool.js';
import { unwrapOutcome, type TaskOutcome } from '../workers/tasks/task-errors.js';
import { PartitionEvents } from './events.js';
import { ProducerStateTable, REBUILD_RECORDS } from './producer-state.js';
import { checkSequences, producerHeaders, producerHeaderOf } from './producer-batches.js';
import { partitionKey, rebuildProducerStateOnPool } from './pooled-recovery.js';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type Acks,
  type PartitionEventName,
  type PartitionListener,
  type PartitionRead,
  type ProduceResult,
} from './types.js';

const ACKS = new Set([-1, 0, 1]);

export interface PartitionOptions {
  /** Where a listener's error goes (it never fails the append that raised the event). */
  onWarning?: (message: string) => void;
  /** The worker pool for large compressed batches (this partition's tasks go to one lane). None: all inline. */
  pool?: WorkerPool;
  /** Offload limits: a compressed request goes to the pool from this many records or compressed bytes. */
  poolThreshold?: PoolThreshold;
}

/**
 * When a produce request's compressed batches are checked on the pool instead of inline.
 * Measured (docs/compression.md, Pools): a pool round trip costs 60-80 us of latency for a
 * small task; inline validation of 100 records of 100 B cost 6-130 us by codec, of 1000
 * records 120-1400 us, of 10,000 records 2.7-4.8 ms. From about a thousand records the hop
 * is cheaper than the work it moves, and work of that size is what stalls other partitions.
 */
export interface PoolThreshold {
  records: number;
  bytes: number;
}

export const DEFAULT_POOL_THRESHOLD: PoolThreshold = { records: 1000, bytes: 64 * 1024 };

export interface ProduceOutcome {
  result: ProduceResult;
  /** What acks 1 and -1 wait for: the flush the log's policy asks, if any. */
  durable: Promise<void> | undefined;
}

export class Partition {
  readonly topic: string;
  readonly partition: number;
  /** `<topic>\0<partition>`: a key for maps of partitions. */
  readonly key: string;
  readonly log: PartitionLog;
  /**
   * Leader epoch of this replica: stamped into every batch it appends as leader. 0 on a
   * single broker (or the latest epoch its log holds); set by becomeLeader / becomeFollower.
   */
  leaderEpoch: number;
  /** True while the high watermark follows the log end (one broker). */
  followLogEnd = true;
  private role: 'leader' | 'follower' = 'leader';
  private readonly epochs: LeaderEpochCache;
  private producers = new ProducerStateTable();
  private readonly events: PartitionEvents;
  private readonly pool: WorkerPool | undefined;
  private readonly poolThreshold: PoolThreshold;
  /** The last produce waiting its turn behind pool work (undefined: none; appends run inline). */
  private queue: Promise<unknown> | undefined;
  private queued = 0;
  private hw: number;

  /**
   * A partition over an open log. With a pool, its producer state is rebuilt on the
   * partition's worker lane (pooled-recovery.ts) instead of on the calling thread, as the
   * constructor does.
   */
  static async open(topic: string, partition: number, log: PartitionLog, options: PartitionOptions = {}): Promise<Partition> {
    const opened = new Partition(topic, partition, log, options, options.pool === undefined);
    if (options.pool) await rebuildProducerStateOnPool(options.pool, opened.key, log, opened.producers);
    return opened;
  }

  /** `rebuild` false: the caller rebuilds the producer state (Partition.open). */
  constructor(topic: string, partition: number, log: PartitionLog, options: PartitionOptions = {}, rebuild = true) {
    this.topic = topic;
    this.partition = partition;
    this.key = partitionKey(topic, partition);
    this.log = log;
    const warn = options.onWarning;
    this.events = new PartitionEvents((err) => warn?.(`a listener of ${topic}-${partition} threw: ${String(err)}`));
    this.pool = options.pool;
    this.poolThreshold = options.poolThreshold ?? DEFAULT_POOL_THRESHOLD;
    this.hw = log.logEndOffset;
    this.epochs = LeaderEpochCache.open(log, (message) => warn?.(message));
    this.leaderEpoch = Math.max(0, this.epochs.latestEpoch);
    log.observe({
      segmentRolled: (baseOffset) => this.events.emit('segmentRolled', { baseOffset }),
      flushed: (seconds) => this.events.emit('flushed', { logEndOffset: this.log.logEndOffset, seconds }),
      segmentsDeleted: (result) => {
        this.epochs.truncateFromStart(result.logStartOffset);
        if (this.hw < result.logStartOffset) this.moveHighWatermark(result.logStartOffset);
        this.events.emit('segmentsDeleted', result);
      },
      logStartMoved: (logStartOffset) => {
        this.epochs.truncateFromStart(logStartOffset);
        if (this.hw < logStartOffset) this.moveHighWatermark(logStartOffset);
      },
    });
    if (rebuild) this.rebuildProducerState();
  }

  /* ------------------------------- offsets ------------------------------- */

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  /** Consumers read below this offset; ListOffsets latest answers it. */
  get highWatermark(): number {
    return this.hw;
  }

  /**
   * Moves the high watermark (the cluster calls this as followers acknowledge). Kept within
   * [logStartOffset, logEndOffset]; never moves back except to follow a truncation.
   */
  setHighWatermark(offset: number): void {
    if (!Number.isSafeInteger(offset)) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a high watermark must be an integer, got ${String(offset)}`);
    }
    const bounded = Math.min(Math.max(offset, this.log.logStartOffset), this.log.logEndOffset);
    if (bounded > this.hw) this.moveHighWatermark(bounded);
  }

  /**
   * Sets the high watermark a replica starts with in a cluster (Kafka reads it from
   * `replication-offset-checkpoint` when it opens a partition), which may be below the log
   * end: records beyond it were never known to be on the ISR, and are not served until the
   * leader learns they are. Undefined (no checkpoint entry) starts at the log start, as Kafka
   * does. Clamped to [logStartOffset, logEndOffset]. For the broker right after opening the
   * replica, before anything reads it.
   */
  restoreHighWatermark(offset: number | undefined): void {
    const log = this.log;
    const restored = Math.min(Math.max(offset ?? log.logStartOffset, log.logStartOffset), log.logEndOffset);
    if (restored !== this.hw) this.moveHighWatermark(restored);
  }

  private moveHighWatermark(offset: number): void {
    const previous = this.hw;
    this.hw = offset;
    if (this.events.has('highWatermark')) this.events.emit('highWatermark', { highWatermark: offset, previous });
  }

  /* -------------------------------- events -------------------------------- */

  /** Subscribes to an event (see types.ts); returns the function that unsubscribes. */
  on<E extends PartitionEventName>(event: E, listener: PartitionListener<E>): () => void {
    return this.events.on(event, listener);
  }

  /* ---------------------------- append pipeline ---------------------------- */

  /**
   * Appends RecordBatch v2 bytes. acks 0 returns once appended; acks 1 and -1 also wait until
   * the batch is as durable as the log's flush policy asks. A repeat of an idempotent
   * producer's batch is answered with its original offsets and written nowhere.
   *
   * Large compressed requests are checked on this partition's pool lane (off the event loop);
   * while one is, later produce() calls of this partition wait their turn, so appends keep
   * the order of the calls. Small ones run inline, synchronously, as produceNow.
   */
  async produce(records: Buffer, acks: Acks = -1): Promise<ProduceResult> {
    checkProduceArguments(records, acks);
    const summaries = BatchSummaries.of(records);
    const offload = this.pool !== undefined && summaries.complete && summaries.anyCompressed && this.isLarge(records, summaries);
    if (!offload && this.queue === undefined) {
      const { result, durable } = this.appendChecked(records, summaries, acks, true);
      if (durable) await durable;
      return result;
    }
    // Start the pool work now (it runs while earlier appends finish), append in call order.
    const checked = offload ? this.validateOnPool(records) : undefined;
    const turn = (this.queue ?? Promise.resolve()).then(async () => {
      if (checked) unwrapOutcome(await checked);
      return this.appendChecked(records, summaries, acks, !checked);
    });
    this.queued += 1;
    const settled = turn.then(
      () => undefined,
      () => undefined,
    );
    this.queue = settled;
    settled.then(() => {
      this.queued -= 1;
      if (this.queued === 0) this.queue = undefined;
    });
    const { result, durable } = await turn;
    if (durable) await durable;
    return result;
  }

  /**
   * The synchronous produce: validates (compressed batches inline, whatever their size),
   * appends, records the producer's sequence and publishes events before it returns, or throws
   * and changes nothing. Recording the sequence before returning matters: the next batch of
   * the same producer may arrive before any promise settles, and must see this one. It does
   * not wait behind produce() calls queued on pool work: those belong to other producers (one
   * producer uses one path), and order is only promised per producer. It does not keep
   * `records` once it returns (the bytes are copied into the log): the embedded producer
   * reuses one encode buffer for all its batches on that promise.
   */
  produceNow(records: Buffer, acks: Acks = -1): ProduceOutcome {
    checkProduceArguments(records, acks);
    return this.appendChecked(records, BatchSummaries.of(records), acks, true);
  }

  private isLarge(records: Buffer, summaries: BatchSummaries): boolean {
    return summaries.records >= this.poolThreshold.records || records.length >= this.poolThreshold.bytes;
  }

  private validateOnPool(records: Buffer): Promise<TaskOutcome<number>> {
    // A copy of exactly these bytes, handed over (not cloned again): a Buffer may be a view of
    // a much larger pooled ArrayBuffer, which structured clone would copy whole.
    const copy = new Uint8Array(records);
    return this.pool!.run<TaskOutcome<number>>(this.key, 'validateCompressed', { batches: copy, maxDecompressedBytes: this.log.settings.maxMessageBytes }, [
      copy.buffer as ArrayBuffer,
    ]);
  }

  /**
   * The pipeline after the scan: inner validation of compressed batches (unless the pool did
   * it), producer-state check, append, producer-state record, events.
   */
  private appendChecked(records: Buffer, summaries: BatchSummaries, acks: Acks, validateInline: boolean): ProduceOutcome {
    if (this.role !== 'leader') {
      throw new SkeinError('SKEIN_NOT_LEADER_OR_FOLLOWER', `${this.topic}-${this.partition} is a follower here (epoch ${this.leaderEpoch}); produce to its leader`);
    }
    // Decompress where needed: only compressed batches, to check count, offsets and size cap.
    // An invalid buffer goes straight to the log, which refuses it with the coded error.
    if (validateInline && summaries.complete && summaries.anyCompressed) {
      validateCompressedBatches(records, { maxDecompressedBytes: this.log.settings.maxMessageBytes, verifyCrc: false });
    }
    // Producer state: a repeat is answered with its offsets, a gap refused, before any write.
    const headers = summaries.complete ? producerHeaders(summaries) : [];
    if (headers.length > 0) {
      const duplicate = checkSequences(this.producers, headers);
      if (duplicate) return { result: { ...duplicate, logAppendTime: -1, logStartOffset: this.log.logStartOffset }, durable: undefined };
    }
    // Append (the log reads the same summaries: sizes, offset deltas, timestamps), stamping
    // our epoch into each batch; the first batch of a new epoch records where it starts.
    const epoch = this.leaderEpoch;
    const { result, flushed } = this.log.appendNow(records, summaries, epoch);
    if (epoch !== this.epochs.latestEpoch) this.epochs.assign(epoch, result.baseOffset);
    let offset = result.baseOffset;
    for (const header of headers) {
      this.producers.record(header, offset, offset + header.lastOffsetDelta);
      offset += header.lastOffsetDelta + 1;
    }
    // Publish: appended, then the high watermark (which wakes long-poll fetches).
    this.published(result, records.length);
    if (acks === 0) flushed?.catch(() => undefined);
    return {
      result: { baseOffset: result.baseOffset, lastOffset: result.lastOffset, logAppendTime: -1, logStartOffset: result.logStartOffset },
      durable: acks === 0 ? undefined : flushed,
    };
  }

  /** After an append: `appended`, then the high watermark (readers may see it before a flush). */
  private published(result: AppendResult, bytes: number): void {
    if (this.events.has('appended')) {
      this.events.emit('appended', { baseOffset: result.baseOffset, lastOffset: result.lastOffset, records: result.recordCount, bytes });
    }
    if (this.followLogEnd) this.moveHighWatermark(result.lastOffset + 1);
  }

  /** Producer state from the batch headers of the most recent records (see producer-state.ts). */
  private rebuildProducerState(): void {
    const log = this.log;
    const from = Math.max(log.activeSegmentBaseOffset, log.logEndOffset - REBUILD_RECORDS);
    for (const batch of log.batchesFrom(from, 8 * 1024 * 1024)) {
      const header = producerHeaderOf(batch, 0);
      if (header.producerId < 0) continue;
      const baseOffset = batch.readBigInt64BE(0);
      this.producers.record(header, Number(baseOffset), Number(baseOffset) + header.lastOffsetDelta);
    }
  }

  /* ------------------------- leader epochs, followers ------------------------- */

  /** True while this replica leads (the default: one broker). */
  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /** The epochs of this log and where each starts, oldest first (a copy). */
  get epochEntries(): EpochEntry[] {
    return this.epochs.entries;
  }

  /**
   * Makes this replica the leader for `epoch` (Kafka's makeLeader): the epoch starts at the
   * current log end offset (recorded now, so OffsetForLeaderEpoch answers it before anything
   * is appended), and appends are stamped with it. An epoch older than the current one is
   * refused (SKEIN_FENCED_LEADER_EPOCH: a stale order); the same epoch again changes nothing.
   */
  becomeLeader(epoch: number): void {
    this.checkNewEpoch(epoch);
    this.role = 'leader';
    this.leaderEpoch = epoch;
    this.epochs.assign(epoch, this.log.logEndOffset);
  }

  /**
   * Makes this replica a follower in `epoch`: produce is refused (SKEIN_NOT_LEADER_OR_FOLLOWER)
   * and the log grows only through appendAsFollower. The caller then asks the leader where its
   * own latest epoch ends (endOffsetForEpoch on the leader) and truncates to that.
   */
  becomeFollower(epoch: number): void {
    this.checkNewEpoch(epoch);
    this.role = 'follower';
    this.leaderEpoch = epoch;
  }

  private checkNewEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a leader epoch must be an integer >= 0, got ${String(epoch)}`);
    }
    if (epoch < this.leaderEpoch) {
      throw new SkeinError('SKEIN_FENCED_LEADER_EPOCH', `${this.topic}-${this.partition} is at leader epoch ${this.leaderEpoch}; epoch ${epoch} is older`, {
        currentLeaderEpoch: this.leaderEpoch,
        requestedLeaderEpoch: epoch,
      });
    }
  }

  /**
   * KIP-320 fencing of a request that names the epoch it expects: -1 (none given) passes;
   * older than ours: SKEIN_FENCED_LEADER_EPOCH; newer: SKEIN_UNKNOWN_LEADER_EPOCH.
   */
  checkLeaderEpoch(currentLeaderEpoch: number): void {
    if (currentLeaderEpoch === UNDEFINED_EPOCH || currentLeaderEpoch === this.leaderEpoch) return;
    const context = { currentLeaderEpoch: this.leaderEpoch, requestedLeaderEpoch: currentLeaderEpoch };
    if (currentLeaderEpoch < this.leaderEpoch) {
      throw new SkeinError('SKEIN_FENCED_LEADER_EPOCH', `${this.topic}-${this.partition}: epoch ${currentLeaderEpoch} is older than ${this.leaderEpoch}`, context);
    }
    throw new SkeinError('SKEIN_UNKNOWN_LEADER_EPOCH', `${this.topic}-${this.partition}: epoch ${currentLeaderEpoch} is newer than ${this.leaderEpoch} known here`, context);
  }

  /**
   * Kafka's endOffsetForEpoch (OffsetForLeaderEpoch): the largest epoch <= `epoch` this log
   * knows and where it ends (start of the next epoch, or the log end offset for the latest);
   * for an epoch below every known one, (epoch, start of the first known); undefined
   * (-1, -1) for -1, an epoch above the latest, or a log with no epochs. A leader whose epoch
   * began at its log end answers for it even before anything was appended in it.
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    const end = this.log.logEndOffset;
    if (epoch < 0) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (this.role === 'leader' && this.leaderEpoch > this.epochs.latestEpoch) {
      // The current epoch is not recorded yet (single broker, nothing appended since open):
      // it starts at the log end, so it ends there, and every older epoch ends there too.
      if (epoch === this.leaderEpoch) return { leaderEpoch: epoch, endOffset: end };
      if (epoch > this.leaderEpoch) return { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
      if (epoch >= this.epochs.latestEpoch && this.epochs.latestEpoch >= 0) return { leaderEpoch: this.epochs.latestEpoch, endOffset: end };
      if (this.epochs.latestEpoch < 0) return { leaderEpoch: epoch, endOffset: end };
    }
    return this.epochs.endOffsetFor(epoch, end);
  }

  /**
   * Learns the leader epochs of batches this broker did not stamp (a follower's copy of its
   * leader's batches, already appended at their own offsets): each batch whose epoch is not
   * the latest known starts that epoch at its baseOffset. Batches of epoch -1 (never stamped)
   * are skipped. `summaries` are of these very bytes.
   */
  recordEpochsOf(batches: Uint8Array, summaries: BatchSummaries): void {
    const fields = summaries.fields;
    for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
      const at = fields[f + S.POSITION]!;
      const epoch = readPartitionLeaderEpoch(batches, at);
      if (epoch >= 0 && epoch !== this.epochs.latestEpoch) this.epochs.assign(epoch, readBaseOffset(batches, at));
    }
  }

  /**
   * Appends batches a follower fetched from its leader, as they are (Kafka's
   * appendAsFollower): offsets, leader epochs, timestamps and producer ids stay what the
   * leader wrote (the log keeps the leader's base offsets: they must lie above this replica's
   * log end and increase, and may skip where the leader's cleaner removed records). A fetch
   * answers from the batch holding the fetch offset, so batches wholly below the log end are
   * skipped, and a torn last batch (a size cap cut it) is left for the next fetch. Producer
   * state is recorded from every batch without the sequence checks the leader made, so an
   * idempotent producer carries on here after a failover; the epochs of the batches are
   * recorded (recordEpochsOf). The high watermark is not moved (unless followLogEnd): the
   * follower takes it from the leader's answers. Returns the records appended (0 when the
   * fetch held nothing new). Throws, changing nothing, when an offset goes back
   * (SKEIN_INVALID_RECORD: the caller truncates or starts over).
   */
  appendAsFollower(batches: Buffer): number {
    const scanned = BatchSummaries.of(batches);
    const logEnd = this.log.logEndOffset;
    const fields = scanned.fields;
    let first = -1;
    let expected = logEnd;
    for (let i = 0, f = 0; i < scanned.count; i++, f += SUMMARY_FIELDS) {
      const at = fields[f + S.POSITION]!;
      const baseOffset = readBaseOffset(batches, at);
      const lastOffset = baseOffset + fields[f + S.LAST_OFFSET_DELTA]!;
      if (first < 0) {
        if (lastOffset < logEnd) continue;
        first = i;
      }
      // Gaps are the leader's compacted ranges; an offset that goes back is not its log.
      if (baseOffset < expected) {
        throw new SkeinError('SKEIN_INVALID_RECORD', `${this.topic}-${this.partition}: the leader's batch at offset ${baseOffset} does not lie above this replica's log end ${expected}`, {
          topic: this.topic,
          partition: this.partition,
          offset: baseOffset,
          logEndOffset: logEnd,
        });
      }
      expected = lastOffset + 1;
    }
    if (first < 0) return 0;
    const from = fields[first * SUMMARY_FIELDS + S.POSITION]!;
    // A torn last batch is left for the next fetch; a damaged one is refused by the log below.
    const to = scanned.scan.stop === ScanStop.TRUNCATED ? scanned.scan.validEnd : batches.length;
    const bytes = from === 0 && to === batches.length ? batches : batches.subarray(from, to);
    const summaries = bytes === batches ? scanned : BatchSummaries.of(bytes);
    // Offsets and epochs stay what the leader stamped.
    const { result, flushed } = this.log.appendAsFollower(bytes, summaries);
    // Followers acknowledge by fetching, not by flushing (Kafka's replicas do not fsync either).
    flushed?.catch(() => undefined);
    // Every batch with a producer id, whatever the first batch is (one fetch mixes producers).
    const sf = summaries.fields;
    for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
      if (sf[f + S.PRODUCER_ID]! < 0) continue;
      const baseOffset = readBaseOffset(bytes, sf[f + S.POSITION]!);
      const header = {
        producerId: sf[f + S.PRODUCER_ID]!,
        producerEpoch: sf[f + S.PRODUCER_EPOCH]!,
        baseSequence: sf[f + S.BASE_SEQUENCE]!,
        lastOffsetDelta: sf[f + S.LAST_OFFSET_DELTA]!,
      };
      this.producers.record(header, baseOffset, baseOffset + header.lastOffsetDelta);
    }
    this.recordEpochsOf(bytes, summaries);
    this.published(result, bytes.length);
    return result.recordCount;
  }

  /**
   * Removes every record at or above `offset` (a diverged tail): the log (batches are
   * atomic, so the cut falls on the start of the batch holding `offset`), the epochs that
   * start at or past the new end, the producer state (rebuilt from what remains), and the
   * high watermark (clamped to the new end). Publishes `truncated`. Returns the new log end
   * offset. `offset` at or past the log end changes nothing.
   */
  truncateTo(offset: number): number {
    const previous = this.log.logEndOffset;
    const end = this.log.truncateTo(offset);
    if (end === previous) {
      // Nothing to cut from the log, but the epoch cache may still hold an epoch that starts
      // at its end: a replica that became leader (which records its epoch at the log end) and
      // lost the role before appending. Kept, it would be this follower's last fetched epoch,
      // which the new leader never had: every fetch would answer divergingEpoch and the
      // follower would never catch up or rejoin the ISR. Kafka's UnifiedLog.truncateTo drops
      // it here too.
      this.epochs.truncateFromEnd(end);
      return end;
    }
    // Below the log start the log was emptied and restarted (its start moved): no epoch remains.
    this.epochs.truncateFromStart(this.log.logStartOffset);
    this.epochs.truncateFromEnd(end);
    this.afterTruncation(previous);
    return end;
  }

  /**
   * Empties the log and restarts it at `offset` (a follower whose leader's log starts past
   * this log's end): no epochs, no producer state, the high watermark at `offset`.
   * Publishes `truncated`.
   */
  truncateFullyAndStartAt(offset: number): void {
    const previous = this.log.logEndOffset;
    this.log.truncateFullyAndStartAt(offset);
    this.epochs.clear();
    this.afterTruncation(previous);
  }

  private afterTruncation(previousEnd: number): void {
    const log = this.log;
    this.producers = new ProducerStateTable();
    this.rebuildProducerState();
    const end = log.logEndOffset;
    if (this.hw > end || this.hw < log.logStartOffset) {
      const previous = this.hw;
      this.hw = end;
      if (this.events.has('highWatermark')) this.events.emit('highWatermark', { highWatermark: end, previous });
    }
    this.events.emit('truncated', { logEndOffset: end, previousLogEndOffset: previousEnd, logStartOffset: log.logStartOffset });
  }

  /* --------------------------------- reads --------------------------------- */

  /**
   * Whole batches from `offset`, below the high watermark. `minOneBatch` returns the first
   * batch even when it alone exceeds maxBytes (Kafka Fetch v3+). Throws OffsetOutOfRange below
   * the log start or past the log end.
   */
  read(offset: number, maxBytes: number, minOneBatch: boolean): PartitionRead {
    const log = this.log;
    const hw = this.hw;
    const read = log.read(offset, { maxBytes: Math.max(0, maxBytes), minOneBatch, maxOffset: hw < log.logEndOffset ? hw : undefined });
    return { records: read.views, bytes: read.bytes, highWatermark: hw, logStartOffset: log.logStartOffset };
  }

  /**
   * Whole batches from `offset` up to the log end, for a follower's fetch (the leader serves
   * replicas past the high watermark: that is how the HW moves). Zero copy, as `read`.
   */
  readForReplica(offset: number, maxBytes: number, minOneBatch: boolean): PartitionRead {
    const log = this.log;
    const read = log.read(offset, { maxBytes: Math.max(0, maxBytes), minOneBatch });
    return { records: read.views, bytes: read.bytes, highWatermark: this.hw, logStartOffset: log.logStartOffset };
  }

  /** Kafka ListOffsets: -2 earliest, -1 latest (the high watermark), otherwise the first record at or after the timestamp. */
  listOffsets(timestamp: number): { offset: number; timestamp: number; leaderEpoch: number } {
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: this.log.logStartOffset, timestamp: -1, leaderEpoch: this.epochAt(this.log.logStartOffset) };
    if (timestamp === LATEST_TIMESTAMP) return { offset: this.hw, timestamp: -1, leaderEpoch: this.epochAt(this.hw - 1) };
    if (!Number.isFinite(timestamp) || timestamp < 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `timestamp must be -1, -2 or a time in ms, got ${String(timestamp)}`);
    }
    const found = this.log.offsetForTimestamp(timestamp);
    if (!found || found.offset >= this.hw) return { offset: -1, timestamp: -1, leaderEpoch: -1 };
    return { ...found, leaderEpoch: this.epochAt(found.offset) };
  }

  /**
   * The leader epoch of the record at `offset` (as Kafka's ListOffsets v4+ answers it), or
   * this replica's current epoch where the log holds no epoch for it (an empty log, the end of
   * the log, batches written before epochs were stamped).
   */
  epochAt(offset: number): number {
    const epoch = offset >= this.log.logStartOffset && offset < this.log.logEndOffset ? this.epochs.epochForOffset(offset) : UNDEFINED_EPOCH;
    return epoch >= 0 ? epoch : this.leaderEpoch;
  }

  /** Start offset and high watermark, for lag and admin. */
  offsets(): { logStartOffset: number; highWatermark: number } {
    return { logStartOffset: this.log.logStartOffset, highWatermark: this.hw };
  }

  /* ------------------------------ maintenance ------------------------------ */

  /** Deletes segments past the log's retention; `segmentsDeleted` is published when any go. */
  applyRetention(now: number = Date.now()): number {
    return this.log.applyRetention(now).deletedSegments;
  }

  flush(): Promise<void> {
    return this.log.flush();
  }

  /** Drops every listener (the partition's topic was deleted or the broker closes). */
  detach(): void {
    this.events.clear();
  }
}

function checkProduceArguments(records: unknown, acks: unknown): void {
  if (!ACKS.has(acks as number)) throw new SkeinError('SKEIN_INVALID_REQUIRED_ACKS', `acks must be -1, 0 or 1, got ${String(acks)}`);
  if (!(records instanceof Uint8Array)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'produce takes a Buffer of record batches');
}
