/**
 * The embedded producer, shaped like kafkajs's: `send({ topic, messages, acks })`,
 * `sendBatch({ topicMessages })`, `connect()`, `disconnect()`.
 *
 * Batching: records are gathered per partition into one RecordBatch until it holds
 * `batchSize` bytes or `lingerMs` passed (0: until the current turn of the event loop ends,
 * so every send made in one tick shares batches). Partitioning: an explicit `partition`, else
 * the Java client's default partitioner (murmur2 of the key; sticky for null keys).
 * Idempotence (on by default): the producer gets a producer id at connect and numbers its
 * batches per partition, so a batch the broker already has is never written twice and a gap
 * is refused. A send resolves once every batch holding its records is acknowledged.
 * Compression (`compression` per send or for the producer, kafkajs's CompressionTypes): the
 * batch's records are compressed when it is encoded, on the calling thread.
 */
import { SkeinError } from '../errors.js';
import { encodeRecordBatch, type RecordInput } from '../records/encode-record-batch.js';
import type { Broker } from '../broker/broker.js';
import type { Acks } from '../broker/types.js';
import { createDefaultPartitioner, type Partitioner } from './partitioner.js';
import { compressionNameOf, type CompressionOption } from './compression-types.js';
import { compressOnPool, isLargeBatch, type CompressedRecords } from './pooled-compression.js';
import { sealCompressedBatch } from '../records/seal-compressed-batch.js';
import type { CompressionName } from '../records/batch-header.js';
import { array, nonEmptyString, object, optionalBoolean, optionalFunction, optionalInteger, timestamp as checkTimestamp } from './arguments.js';
import { addTopicMessages, recordSize, type Message, type PartitionPiece } from './send-pieces.js';

export type { Message } from './send-pieces.js';
export type MessageValue = Buffer | string | null;

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /** -1 (all, default), 0 (no wait) or 1. */
  acks?: Acks;
  /** kafkajs's CompressionTypes (None 0, GZIP 1, Snappy 2, LZ4 3, ZSTD 4) or a codec name. Default: the producer's. */
  compression?: CompressionOption;
}

export interface ProducerBatch {
  topicMessages: Array<{ topic: string; messages: Message[] }>;
  acks?: Acks;
  /** As in ProducerRecord. */
  compression?: CompressionOption;
}

/** One entry per partition a send wrote to, as kafkajs reports it (offsets as decimal strings). */
export interface RecordMetadata {
  topicName: string;
  partition: number;
  errorCode: number;
  baseOffset: string;
  logAppendTime: string;
  logStartOffset: string;
}

export interface ProducerOptions {
  /** Idempotent producer (producer id + sequence numbers). Default true. */
  idempotent?: boolean;
  /** Max bytes of records in one batch (Java batch.size). Default 16384. */
  batchSize?: number;
  /** How long a batch may wait for more records (Java linger.ms). Default 0: the current tick. */
  lingerMs?: number;
  /** Create topics on first use when the broker allows it. Default true. */
  allowAutoTopicCreation?: boolean;
  /** A custom partitioner; the default is the Java client's. */
  createPartitioner?: (batchSize: number) => Partitioner;
  /** Codec of every batch unless a send says otherwise (CompressionTypes or a name). Default none. */
  compression?: CompressionOption;
}

interface Waiter {
  resolve: (offset: { baseOffset: number; logStartOffset: number }) => void;
  reject: (err: unknown) => void;
  /** Index of the waiter's first record in the batch. */
  index: number;
}

interface OpenBatch {
  topic: string;
  partition: number;
  acks: Acks;
  compression: CompressionName;
  records: RecordInput[];
  /** The time of the send of the first record: the timestamp of records that carry none. */
  sentAt: number;
  /** Per record, when records from sends made at different times share the batch. */
  sentAts: number[] | undefined;
  bytes: number;
  waiters: Waiter[];
}

export class Producer {
  private readonly broker: Broker;
  private readonly idempotent: boolean;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly allowAutoTopicCreation: boolean;
  private readonly partitioner: Partitioner;
  private readonly defaultPartitioner: boolean;
  private readonly compression: CompressionName;
  private readonly open = new Map<string, OpenBatch>();
  private readonly sequences = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Per partition: the last batch waiting for compression on the pool, behind which later batches queue. */
  private readonly chains = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private producerId = -1;
  private producerEpoch = -1;
  private connecting: Promise<void> | undefined;
  /** True once connect() finished (the producer id is known). */
  private connected = false;
  private disconnected = false;

  constructor(broker: Broker, options: ProducerOptions = {}) {
    object(options, 'producer options');
    optionalBoolean(options.idempotent, 'idempotent');
    optionalBoolean(options.allowAutoTopicCreation, 'allowAutoTopicCreation');
    optionalInteger(options.lingerMs, 'lingerMs');
    optionalFunction(options.createPartitioner, 'createPartitioner');
    this.broker = broker;
    this.idempotent = options.idempotent ?? true;
    this.batchSize = options.batchSize ?? 16384;
    this.lingerMs = options.lingerMs ?? 0;
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `batchSize must be a positive integer, got ${String(options.batchSize)}`);
    }
    if (!(this.lingerMs >= 0)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `lingerMs must be >= 0, got ${String(options.lingerMs)}`);
    this.partitioner = (options.createPartitioner ?? createDefaultPartitioner)(this.batchSize);
    this.defaultPartitioner = options.createPartitioner === undefined;
    this.compression = compressionNameOf(options.compression, 'options.compression') ?? 'none';
  }

  /** Gets a producer id (idempotent producers). Called by the first send if not called before. */
  connect(): Promise<void> {
    this.ensureConnected();
    if (!this.connecting) {
      this.connecting = this.idempotent
        ? this.broker.initProducerId().then(({ producerId, producerEpoch }) => {
            this.producerId = producerId;
            this.producerEpoch = producerEpoch;
            this.connected = true;
          })
        : Promise.resolve().then(() => {
            this.connected = true;
          });
    }
    return this.connecting;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.ensureConnected();
    object(record, 'send record');
    nonEmptyString(record.topic, 'topic');
    array(record.messages, 'messages');
    return this.sendBatch({ topicMessages: [{ topic: record.topic, messages: record.messages }], acks: record.acks, compression: record.compression });
  }

  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    // The timestamp of every record in this send that has none: the moment of the call (as
    // Kafka's producer stamps at send()), read once, not per record nor after the awaits below.
    const now = Date.now();
    this.ensureConnected();
    array(object(batch, 'sendBatch batch').topicMessages, 'topicMessages').forEach((entry, i) => {
      object(entry, `topicMessages[${i}]`);
      nonEmptyString(entry.topic, `topicMessages[${i}].topic`);
      const messages = array(entry.messages, `topicMessages[${i}].messages`);
      for (let j = 0; j < messages.length; j++) {
        const message = messages[j];
        // This runs once per record sent: the common message passes without building the
        // argument names, which only a failing check needs (they halved produce throughput).
        if (typeof message === 'object' && message !== null && !Array.isArray(message) && message.partition === undefined && message.timestamp === undefined) continue;
        const name = `topicMessages[${i}].messages[${j}]`;
        object(message, name);
        optionalInteger(message.partition, `${name}.partition`);
        if (message.timestamp !== undefined) checkTimestamp(message.timestamp, `${name}.timestamp`);
      }
    });
    const acks = batch.acks ?? -1;
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      throw new SkeinError('SKEIN_INVALID_REQUIRED_ACKS', `acks must be -1, 0 or 1, got ${String(acks)}`);
    }
    if (!batch || !Array.isArray(batch.topicMessages)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'sendBatch takes { topicMessages: [...] }');
    const compression = compressionNameOf(batch.compression, 'compression') ?? this.compression;
    // Once connected, no await: each one is a promise and a turn of the microtask queue per
    // send (end-to-end latency with one record per send counts them).
    if (!this.connected) await this.connect();
    // Validate everything before queuing anything, so a bad message fails the whole send alone.
    // Records are grouped per partition as they are read: no object, key string or clock
    // reading per record (each of those showed in produce profiles; one clock reading serves
    // the whole send, as every record in it was sent at the same moment).
    const perTopic = new Map<string, PartitionPiece[]>();
    const groups: PartitionPiece[] = [];
    for (const { topic, messages } of batch.topicMessages) {
      if (typeof topic !== 'string' || !Array.isArray(messages)) {
        throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'each topicMessages entry needs { topic, messages: [] }');
      }
      if (!this.broker.hasTopic(topic)) await this.broker.ensureTopic(topic, this.allowAutoTopicCreation);
      const numPartitions = this.broker.partitionCount(topic);
      let byPartition = perTopic.get(topic);
      if (!byPartition) perTopic.set(topic, (byPartition = []));
      // The default partitioner has nothing to choose on a one-partition topic.
      const partitioner = numPartitions === 1 && this.defaultPartitioner ? undefined : this.partitioner;
      addTopicMessages(topic, messages, numPartitions, partitioner, now, byPartition, groups, this.defaultPartitioner);
    }
    this.ensureConnected();
    // One promise per partition piece of this send, not per record: a send of 1000 records
    // into one partition costs one or two promises, whatever batch they end up in.
    const results = groups.length === 1 ? [await this.enqueue(groups[0]!, acks, compression)] : await Promise.all(groups.map((g) => this.enqueue(g, acks, compression)));
    return groups.map((g, i) => ({
      topicName: g.topic,
      partition: g.partition,
      errorCode: 0,
      baseOffset: String(results[i]!.baseOffset),
      logAppendTime: '-1',
      logStartOffset: String(results[i]!.logStartOffset),
    }));
  }

  /**
   * Adds records for one partition to its open batch, starting new batches when batchSize is
   * reached. Resolves with the offset of the first record once every piece is acknowledged.
   */
  private enqueue(piece: PartitionPiece, acks: Acks, compression: CompressionName): Promise<{ baseOffset: number; logStartOffset: number }> {
    // Not an async function: a send of one record into one batch returns its one waiter's
    // promise as it is, without an async wrapper and Promise.all around it.
    try {
      return this.enqueueNow(piece, acks, compression);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private enqueueNow(piece: PartitionPiece, acks: Acks, compression: CompressionName): Promise<{ baseOffset: number; logStartOffset: number }> {
    const { topic, partition, records, sentAt } = piece;
    // Sends with different acks or codecs never share a batch: both are per-batch properties.
    const key = `${topic}\u0000${partition}\u0000${acks}\u0000${compression}`;
    const pieces: Promise<{ baseOffset: number; logStartOffset: number }>[] = [];
    let i = 0;
    let size = recordSize(records[0]!);
    while (i < records.length) {
      let batch = this.open.get(key);
      if (batch && batch.records.length > 0 && batch.bytes + size > this.batchSize) {
        this.dispatch(key, batch);
        batch = undefined;
      }
      if (!batch) {
        batch = { topic, partition, acks, compression, records: [], sentAt, sentAts: undefined, bytes: 0, waiters: [] };
        this.open.set(key, batch);
      }
      const index = batch.records.length;
      // Records sent at another time than the batch's first: each gets its own send time.
      if (index > 0 && sentAt !== batch.sentAt && batch.sentAts === undefined) batch.sentAts = new Array<number>(index).fill(batch.sentAt);
      const sentAts = batch.sentAts;
      // Take records while they fit (always at least one, so an oversized record travels alone).
      do {
        batch.records.push(records[i]!);
        if (sentAts) sentAts.push(sentAt);
        batch.bytes += size;
        i += 1;
        if (i < records.length) size = recordSize(records[i]!);
      } while (i < records.length && batch.bytes + size <= this.batchSize);
      const target = batch;
      pieces.push(new Promise((resolve, reject) => target.waiters.push({ resolve, reject, index })));
      if (batch.bytes >= this.batchSize) this.dispatch(key, batch);
    }
    this.schedule();
    if (pieces.length === 1) return pieces[0]!;
    return Promise.all(pieces).then((results) => results[0]!);
  }

  private schedule(): void {
    if (this.timer) return;
    const fire = () => {
      this.timer = undefined;
      this.flushOpen();
    };
    this.timer = this.lingerMs > 0 ? setTimeout(fire, this.lingerMs) : setImmediate(fire);
  }

  private flushOpen(): void {
    for (const [key, batch] of [...this.open]) this.dispatch(key, batch);
  }

  /**
   * Encodes and hands one batch to the broker; its waiters settle with the result. A large
   * compressed batch is compressed on the partition's worker (pooled-compression.ts); while
   * one is, the partition's later batches queue behind it, so appends and sequence numbers
   * keep the order of dispatch.
   */
  private dispatch(key: string, batch: OpenBatch): void {
    if (this.open.get(key) === batch) this.open.delete(key);
    if (batch.records.length === 0) return;
    const sequenceKey = `${batch.topic}\u0000${batch.partition}`;
    const pool = this.broker.workerPool;
    const pooled = pool !== undefined && batch.compression !== 'none' && isLargeBatch(batch.records.length, batch.bytes);
    if (!pooled && !this.chains.has(sequenceKey)) {
      this.encodeAndAppend(batch, sequenceKey);
      return;
    }
    let compressed: Promise<CompressedRecords> | undefined;
    if (pooled) {
      try {
        compressed = compressOnPool(pool, sequenceKey, withTimestamps(batch), batch.compression, this.producerId, this.producerEpoch);
      } catch (err) {
        for (const w of batch.waiters) w.reject(err);
        return;
      }
    }
    const turn = (this.chains.get(sequenceKey) ?? Promise.resolve()).then(async () => {
      if (!compressed) {
        this.encodeAndAppend(batch, sequenceKey);
        return;
      }
      let records: CompressedRecords;
      try {
        records = await compressed;
      } catch (err) {
        for (const w of batch.waiters) w.reject(err);
        return;
      }
      this.encodeAndAppend(batch, sequenceKey, records);
    });
    this.chains.set(sequenceKey, turn);
    const done = turn.finally(() => {
      if (this.chains.get(sequenceKey) === turn) this.chains.delete(sequenceKey);
    });
    this.inFlight.add(done);
    done.finally(() => this.inFlight.delete(done)).catch(() => undefined);
  }

  /**
   * Assigns the batch its sequence numbers, encodes it (or seals the records compressed on
   * the pool) and appends it; synchronous, so a failure gives the numbers back before any
   * later batch of the partition takes some.
   */
  private encodeAndAppend(batch: OpenBatch, sequenceKey: string, compressed?: CompressedRecords): void {
    let encoded: Buffer;
    const baseSequence = this.producerId >= 0 ? this.sequences.get(sequenceKey) ?? 0 : -1;
    try {
      encoded = compressed
        ? sealed(compressed, baseSequence)
        : encodeRecordBatch(batch.records, {
            producerId: this.producerId,
            producerEpoch: this.producerEpoch,
            baseSequence,
            compression: batch.compression,
            defaultTimestamp: batch.sentAt,
            defaultTimestamps: batch.sentAts,
            // produceNow copies the bytes into the log before it returns (Partition.produceNow).
            reuseOutput: true,
          });
      if (this.producerId >= 0) this.sequences.set(sequenceKey, (baseSequence + batch.records.length) % 2 ** 31);
    } catch (err) {
      for (const w of batch.waiters) w.reject(err);
      return;
    }
    let produced: ReturnType<Broker['produceNow']>;
    try {
      produced = this.broker.produceNow(batch.topic, batch.partition, encoded, batch.acks);
    } catch (err) {
      // Nothing was appended, and no later batch of this partition was dispatched yet (this is
      // synchronous): give the sequence numbers back so the next batch follows on without a gap.
      if (this.producerId >= 0) this.sequences.set(sequenceKey, (this.sequences.get(sequenceKey)! - batch.records.length + 2 ** 31) % 2 ** 31);
      for (const w of batch.waiters) w.reject(err);
      return;
    }
    const { result, durable } = produced;
    const settle = () => {
      for (const w of batch.waiters) w.resolve({ baseOffset: result.baseOffset + w.index, logStartOffset: result.logStartOffset });
    };
    if (!durable) {
      settle();
      return;
    }
    const pending = durable.then(settle, (err) => {
      for (const w of batch.waiters) w.reject(err);
    });
    this.inFlight.add(pending);
    pending.finally(() => this.inFlight.delete(pending)).catch(() => undefined);
  }

  /** Sends everything gathered so far and waits for it. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer as NodeJS.Timeout);
      clearImmediate(this.timer as NodeJS.Immediate);
      this.timer = undefined;
    }
    this.flushOpen();
    // A batch compressed on the pool adds its flush wait when it appends: wait until none is left.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Sends what is pending, then refuses further sends with SKEIN_DISCONNECTED. */
  async disconnect(): Promise<void> {
    if (this.disconnected) return;
    await this.flush();
    this.disconnected = true;
  }

  private ensureConnected(): void {
    if (this.disconnected) throw new SkeinError('SKEIN_DISCONNECTED', 'the producer is disconnected');
    if (this.broker.closed) throw new SkeinError('SKEIN_DISCONNECTED', 'the broker is closed');
  }
}

/**
 * The batch's records as plain RecordInputs with their timestamps, for the worker: a plain
 * message (send-pieces.ts) carries neither its send time nor only cloneable fields.
 */
function withTimestamps(batch: OpenBatch): RecordInput[] {
  return batch.records.map((record, i) => ({
    key: record.key ?? null,
    value: record.value,
    headers: record.headers,
    timestamp: record.timestamp ?? batch.sentAts?.[i] ?? batch.sentAt,
  }));
}

/** The batch of records compressed on the pool, sealed into bytes of its own; their block goes back for reuse. */
function sealed(compressed: CompressedRecords, baseSequence: number): Buffer {
  try {
    return sealCompressedBatch(compressed.header, compressed.codec, compressed.records, baseSequence);
  } finally {
    compressed.release();
  }
}
