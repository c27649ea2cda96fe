/**
 * The broker: topics and their partitions over the storage layer, produce with acks and
 * idempotence, long-poll fetch, offsets by time, producer ids, retention on a schedule, and
 * the group coordinator. Both front doors drive this one object: the embedded client
 * (src/client) calls it directly, the Kafka protocol server (src/protocol) translates requests
 * to these calls. So an in-process consumer and a kafkajs consumer can share a group.
 *
 * No sockets and no file paths here: partitions are PartitionLogs obtained by name from the
 * LogManager. Runs on the event loop; flushes and scans happen in the storage layer's async work.
 */
import { SkeinError } from '../errors.js';
import { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { MappingLru } from '../storage/mapping-lru.js';
import {
  LOG_OVERHEAD,
  readBaseOffset,
  readBaseSequence,
  readBatchLength,
  readLastOffsetDelta,
  readProducerEpoch,
  readProducerId,
} from '../records/batch-header.js';
import { GroupCoordinator } from './group/group-coordinator.js';
import { OffsetLogStore } from './offset-log-store.js';
import { MetadataLog } from './metadata-log.js';
import { FetchWaiters } from './fetch-waiters.js';
import { ProducerStateTable, REBUILD_RECORDS, type ProducerBatchHeader } from './producer-state.js';
import {
  CONSUMER_OFFSETS_TOPIC,
  METADATA_TOPIC,
  isInternalTopic,
  partitionLogName,
  validateTopicName,
} from './topic-name.js';
import {
  describeBrokerConfigs,
  describeTopicConfigs,
  logConfigOf,
  validateTopicConfigs,
  type DescribedConfig,
  type TopicConfigValues,
} from './topic-config.js';
import {
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  type Acks,
  type BrokerDescription,
  type FetchPartitionResult,
  type FetchRequest,
  type FetchResult,
  type NewTopic,
  type ProduceResult,
  type TopicDescription,
} from './types.js';

export interface BrokerOptions {
  /** Data folder: one sub-folder per partition, as Kafka lays out log.dirs. */
  dir: string;
  nodeId?: number;
  /** auto.create.topics.enable: topics named by producers and metadata requests are created. Default true. */
  autoCreateTopics?: boolean;
  /** num.partitions for auto-created topics and createTopics without a count. Default 1. */
  numPartitions?: number;
  /** Broker-wide defaults for topic configs, by Kafka name (e.g. { 'retention.ms': '3600000' }). */
  topicDefaults?: Record<string, string>;
  /** log.retention.check.interval.ms. Default 300000 (5 minutes). */
  retentionCheckIntervalMs?: number;
  /** Group coordinator settings. */
  groupInitialRebalanceDelayMs?: number;
  groupMinSessionTimeoutMs?: number;
  groupMaxSessionTimeoutMs?: number;
  mappingLru?: MappingLru;
  onWarning?: (message: string) => void;
  /** Told of each topic created or deleted, partitions added and configs changed (one log line each). */
  onTopicChange?: (change: TopicChange) => void;
}

export type TopicChange =
  | { type: 'created'; topic: string; partitions: number; configs: Record<string, string> }
  | { type: 'deleted'; topic: string }
  | { type: 'partitions-added'; topic: string; partitions: number }
  | { type: 'configs-changed'; topic: string; configs: Record<string, string> };

interface PartitionState {
  topic: string;
  partition: number;
  /** Key in the fetch waiters. */
  key: string;
  log: PartitionLog;
  producers: ProducerStateTable;
}

interface TopicState {
  name: string;
  internal: boolean;
  configs: TopicConfigValues;
  partitions: PartitionState[];
}

const ACKS = new Set([-1, 0, 1]);
/** Producer ids are reserved in blocks so that one persisted record serves many InitProducerId calls. */
const PRODUCER_ID_BLOCK = 1000;

export class Broker {
  readonly nodeId: number;
  readonly groups: GroupCoordinator;
  private readonly logs: LogManager;
  private readonly metadata: MetadataLog;
  private readonly options: Required<Pick<BrokerOptions, 'autoCreateTopics' | 'numPartitions' | 'retentionCheckIntervalMs'>> & Pick<BrokerOptions, 'onTopicChange'>;
  private readonly topicDefaults: TopicConfigValues;
  private readonly topics = new Map<string, TopicState>();
  private readonly creating = new Map<string, Promise<void>>();
  private readonly waiters = new FetchWaiters();
  private readonly retentionTimer: NodeJS.Timeout | undefined;
  private nextProducerId: number;
  private producerIdBlockEnd: number;
  private advertised: BrokerDescription;
  private isClosed = false;
  private closing: Promise<void> | undefined;
  /** Serialises metadata changes so concurrent admin calls see each other's results. */
  private metadataQueue: Promise<unknown> = Promise.resolve();

  private constructor(options: BrokerOptions, logs: LogManager, metadata: MetadataLog, groups: GroupCoordinator) {
    this.nodeId = options.nodeId ?? 0;
    this.logs = logs;
    this.metadata = metadata;
    this.groups = groups;
    this.options = {
      autoCreateTopics: options.autoCreateTopics ?? true,
      numPartitions: options.numPartitions ?? 1,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? 300_000,
      onTopicChange: options.onTopicChange,
    };
    this.topicDefaults = validateTopicConfigs(Object.entries(options.topicDefaults ?? {}).map(([name, value]) => ({ name, value })));
    this.nextProducerId = metadata.nextProducerIdBlock;
    this.producerIdBlockEnd = metadata.nextProducerIdBlock;
    this.advertised = { nodeId: this.nodeId, host: '127.0.0.1', port: 9092 };
    if (this.options.retentionCheckIntervalMs > 0) {
      this.retentionTimer = setInterval(() => this.applyRetention(), this.options.retentionCheckIntervalMs);
      this.retentionTimer.unref();
    }
  }

  /** Opens the data folder: replays topic metadata, opens (and recovers) every partition, loads committed offsets. */
  static async open(options: BrokerOptions): Promise<Broker> {
    if (!options || typeof options.dir !== 'string') {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'Broker.open needs { dir }');
    }
    const numPartitions = options.numPartitions ?? 1;
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      throw new SkeinError('SKEIN_INVALID_PARTITIONS', `numPartitions must be a positive integer, got ${String(numPartitions)}`);
    }
    const logs = LogManager.open({ dir: options.dir, mappingLru: options.mappingLru, onWarning: options.onWarning });
    try {
      const metadataLog = await logs.open(partitionLogName(METADATA_TOPIC, 0), { flushMessages: 1, segmentBytes: 16 * 1024 * 1024 });
      const metadata = await MetadataLog.load(metadataLog);
      // Commits are acknowledged from the page cache (they survive a crash of this process) and
      // flushed within a second, as Kafka acknowledges them once written to the leader's log
      // (it relies on replication, not fsync). kafkajs commits after every batch; a flush per
      // commit made protocol consumers wait on the disk. A power loss can lose the last second
      // of commits: those records are delivered again (at least once), never lost.
      const offsetsLog = await logs.open(partitionLogName(CONSUMER_OFFSETS_TOPIC, 0), { flushMs: 1000, segmentBytes: 64 * 1024 * 1024 });
      const groups = new GroupCoordinator({
        offsetStore: new OffsetLogStore(offsetsLog),
        initialRebalanceDelayMs: options.groupInitialRebalanceDelayMs,
        minSessionTimeoutMs: options.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: options.groupMaxSessionTimeoutMs,
      });
      await groups.start();
      const broker = new Broker(options, logs, metadata, groups);
      broker.topics.set(CONSUMER_OFFSETS_TOPIC, {
        name: CONSUMER_OFFSETS_TOPIC,
        internal: true,
        configs: {},
        partitions: [broker.partitionState(CONSUMER_OFFSETS_TOPIC, 0, offsetsLog)],
      });
      for (const [name, topic] of metadata.topics) await broker.openTopic(name, topic.numPartitions, topic.configs);
      return broker;
    } catch (err) {
      await logs.close().catch(() => undefined);
      throw err;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The data folder this broker was opened on. */
  get dataDir(): string {
    return this.logs.dir;
  }

  /** Where clients reach this broker (set by the protocol server when it listens). */
  get listener(): BrokerDescription {
    return { ...this.advertised };
  }

  setAdvertisedListener(host: string, port: number): void {
    this.advertised = { nodeId: this.nodeId, host, port };
  }

  get autoCreateTopics(): boolean {
    return this.options.autoCreateTopics;
  }

  /* ---------------------------------- topics ---------------------------------- */

  private partitionState(topic: string, partition: number, log: PartitionLog): PartitionState {
    const state: PartitionState = { topic, partition, key: `${topic}\u0000${partition}`, log, producers: new ProducerStateTable() };
    this.rebuildProducerState(state);
    return state;
  }

  /** Producer state from the batch headers of the most recent records (see producer-state.ts). */
  private rebuildProducerState(state: PartitionState): void {
    const { log } = state;
    const from = Math.max(log.activeSegmentBaseOffset, log.logEndOffset - REBUILD_RECORDS);
    for (const batch of log.batchesFrom(from, 8 * 1024 * 1024)) {
      const header = headerOf(batch, 0);
      if (header.producerId < 0) continue;
      const baseOffset = readBaseOffset(batch, 0);
      state.producers.record(header, baseOffset, baseOffset + header.lastOffsetDelta);
    }
  }

  private async openTopic(name: string, numPartitions: number, configs: TopicConfigValues, from = 0): Promise<TopicState> {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = { name, internal: false, configs, partitions: [] };
      this.topics.set(name, topic);
    }
    const logConfig = logConfigOf(configs, this.topicDefaults);
    for (let partition = from; partition < numPartitions; partition++) {
      const log = await this.logs.open(partitionLogName(name, partition), logConfig);
      topic.partitions[partition] = this.partitionState(name, partition, log);
    }
    return topic;
  }

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const next = this.metadataQueue.then(work, work);
    this.metadataQueue = next.catch(() => undefined);
    return next;
  }

  /** Creates a topic. SKEIN_TOPIC_ALREADY_EXISTS, SKEIN_INVALID_TOPIC, SKEIN_INVALID_PARTITIONS, SKEIN_INVALID_CONFIG. */
  createTopic(spec: NewTopic, options: { validateOnly?: boolean } = {}): Promise<void> {
    this.ensureOpen();
    const name = validateTopicName(spec?.topic);
    if (isInternalTopic(name) || name.startsWith('__skein')) {
      return Promise.reject(new SkeinError('SKEIN_INVALID_TOPIC', `${name} is reserved for the broker`, { topic: name }));
    }
    const numPartitions = spec.numPartitions === undefined || spec.numPartitions === -1 ? this.options.numPartitions : spec.numPartitions;
    if (!Number.isInteger(numPartitions) || numPartitions < 1 || numPartitions > 100_000) {
      return Promise.reject(new SkeinError('SKEIN_INVALID_PARTITIONS', `numPartitions must be an integer in [1, 100000], got ${String(spec.numPartitions)}`, { topic: name }));
    }
    let configs: TopicConfigValues;
    try {
      configs = validateTopicConfigs(spec.configEntries);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.serialise(async () => {
      this.ensureOpen();
      if (this.topics.has(name)) throw new SkeinError('SKEIN_TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
      if (options.validateOnly) return;
      await this.metadata.append({ type: 'topic-created', topic: name, numPartitions, configs });
      await this.openTopic(name, numPartitions, configs);
      this.options.onTopicChange?.({ type: 'created', topic: name, partitions: numPartitions, configs: { ...configs } });
    });
  }

  /**
   * The topic, created with the broker defaults if it does not exist and auto-creation is on
   * (and `allowAutoCreate`); otherwise SKEIN_UNKNOWN_TOPIC_OR_PARTITION.
   */
  async ensureTopic(name: string, allowAutoCreate = true): Promise<void> {
    this.ensureOpen();
    if (this.topics.has(name)) return;
    validateTopicName(name);
    if (!allowAutoCreate || !this.options.autoCreateTopics || isInternalTopic(name)) {
      throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    }
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.createTopic({ topic: name }).catch((err: unknown) => {
        if (!(err instanceof SkeinError && err.code === 'SKEIN_TOPIC_ALREADY_EXISTS')) throw err;
      });
      this.creating.set(name, pending);
      pending.finally(() => this.creating.delete(name)).catch(() => undefined);
    }
    await pending;
  }

  /** Deletes a topic and its data. Fetches waiting on it are woken (and then find it gone). */
  deleteTopic(name: string): Promise<void> {
    this.ensureOpen();
    return this.serialise(async () => {
      const topic = this.topics.get(name);
      if (!topic || topic.internal) {
        throw new SkeinError(topic ? 'SKEIN_INVALID_TOPIC' : 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION', topic ? `${name} is internal` : `unknown topic ${name}`, { topic: name });
      }
      await this.metadata.append({ type: 'topic-deleted', topic: name });
      this.topics.delete(name);
      for (const p of topic.partitions) {
        this.waiters.notify(p.key);
        await this.logs.delete(partitionLogName(name, p.partition));
      }
      this.options.onTopicChange?.({ type: 'deleted', topic: name });
    });
  }

  /** Grows a topic to `count` partitions (never shrinks: SKEIN_INVALID_PARTITIONS). */
  createPartitions(name: string, count: number): Promise<void> {
    this.ensureOpen();
    return this.serialise(async () => {
      const topic = this.topicOrThrow(name);
      if (topic.internal) throw new SkeinError('SKEIN_INVALID_TOPIC', `${name} is internal`, { topic: name });
      const current = topic.partitions.length;
      if (!Number.isInteger(count) || count <= current || count > 100_000) {
        throw new SkeinError('SKEIN_INVALID_PARTITIONS', `topic ${name} has ${current} partitions; the new count must be an integer above that, got ${String(count)}`, { topic: name });
      }
      await this.metadata.append({ type: 'partitions-added', topic: name, numPartitions: count });
      await this.openTopic(name, count, topic.configs, current);
      this.options.onTopicChange?.({ type: 'partitions-added', topic: name, partitions: count });
    });
  }

  /** Names of the topics (internal ones only when asked). */
  listTopics(includeInternal = false): string[] {
    this.ensureOpen();
    return [...this.topics.values()].filter((t) => includeInternal || !t.internal).map((t) => t.name).sort();
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name);
  }

  partitionCount(name: string): number {
    return this.topicOrThrow(name).partitions.length;
  }

  describeTopic(name: string): TopicDescription {
    this.ensureOpen();
    const topic = this.topicOrThrow(name);
    return {
      name,
      internal: topic.internal,
      partitions: topic.partitions.map((p) => ({
        partition: p.partition,
        leader: this.nodeId,
        replicas: [this.nodeId],
        isr: [this.nodeId],
        logStartOffset: p.log.logStartOffset,
        highWatermark: p.log.logEndOffset,
        sizeBytes: p.log.size,
        segments: p.log.segmentCount,
      })),
    };
  }

  describeConfigs(name: string): DescribedConfig[] {
    this.ensureOpen();
    return describeTopicConfigs(this.topicOrThrow(name).configs, this.topicDefaults);
  }

  /** The broker's own configs, as a BROKER resource of DescribeConfigs presents them. */
  describeBrokerConfigs(): Array<{ name: string; value: string; isDefault: boolean }> {
    this.ensureOpen();
    return describeBrokerConfigs(this.topicDefaults, {
      'broker.id': String(this.nodeId),
      'node.id': String(this.nodeId),
      'num.partitions': String(this.options.numPartitions),
      'default.replication.factor': '1',
      'auto.create.topics.enable': String(this.options.autoCreateTopics),
      'log.retention.check.interval.ms': String(this.options.retentionCheckIntervalMs),
      'log.dirs': this.dataDir,
    });
  }

  /**
   * Sets topic configs. `incremental` (Kafka IncrementalAlterConfigs) merges into the current
   * ones, a value of null removing one; otherwise (AlterConfigs) the entries replace them all.
   */
  alterConfigs(name: string, entries: Array<{ name: string; value: string | null }>, options: { incremental?: boolean; validateOnly?: boolean } = {}): Promise<void> {
    this.ensureOpen();
    return this.serialise(async () => {
      const topic = this.topicOrThrow(name);
      if (topic.internal) throw new SkeinError('SKEIN_INVALID_TOPIC', `${name} is internal`, { topic: name });
      const base: TopicConfigValues = options.incremental ? { ...topic.configs } : {};
      for (const entry of entries) {
        if (entry.value === null) delete base[entry.name];
        else base[entry.name] = entry.value;
      }
      const configs = validateTopicConfigs(Object.entries(base).map(([n, value]) => ({ name: n, value })));
      if (options.validateOnly) return;
      await this.metadata.append({ type: 'configs-altered', topic: name, configs });
      topic.configs = configs;
      const logConfig = logConfigOf(configs, this.topicDefaults);
      for (const p of topic.partitions) p.log.updateConfig(logConfig);
      this.options.onTopicChange?.({ type: 'configs-changed', topic: name, configs: { ...configs } });
    });
  }

  private topicOrThrow(name: string): TopicState {
    const topic = this.topics.get(name);
    if (!topic) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    return topic;
  }

  private partitionOrThrow(topic: string, partition: number): PartitionState {
    const state = this.topicOrThrow(topic).partitions[partition];
    if (!state || !Number.isInteger(partition)) {
      throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    return state;
  }

  /* ---------------------------------- data ---------------------------------- */

  /**
   * Appends RecordBatch v2 bytes to a partition. acks 0 returns once appended without waiting
   * for anything; acks 1 and -1 wait until the batch is as durable as the topic's flush policy
   * asks (as Kafka flushes inside the append when flush.messages is reached). Batches of an
   * idempotent producer are checked against its sequence: a repeat is answered with the
   * original offsets and written nowhere.
   */
  async produce(topic: string, partition: number, records: Buffer, acks: Acks = -1): Promise<ProduceResult> {
    const { result, durable } = this.produceNow(topic, partition, records, acks);
    if (durable) await durable;
    return result;
  }

  /**
   * The synchronous part of produce: validates, appends, records the producer's sequence and
   * wakes waiting fetches before it returns, or throws and changes nothing. `durable` is what
   * acks 1 and -1 wait for. Recording the sequence before returning matters: the next batch of
   * the same producer may arrive before any promise settles, and must see this one.
   */
  produceNow(topic: string, partition: number, records: Buffer, acks: Acks = -1): { result: ProduceResult; durable: Promise<void> | undefined } {
    this.ensureOpen();
    if (!ACKS.has(acks)) throw new SkeinError('SKEIN_INVALID_REQUIRED_ACKS', `acks must be -1, 0 or 1, got ${String(acks)}`);
    if (isInternalTopic(topic)) throw new SkeinError('SKEIN_INVALID_TOPIC', `${topic} is internal`, { topic });
    const state = this.partitionOrThrow(topic, partition);
    const headers = producerHeaders(records);
    if (headers.length > 0) {
      const duplicate = checkSequences(state.producers, headers);
      if (duplicate) return { result: { ...duplicate, logAppendTime: -1, logStartOffset: state.log.logStartOffset }, durable: undefined };
    }
    const { result, flushed } = state.log.appendNow(records);
    let offset = result.baseOffset;
    for (const header of headers) {
      state.producers.record(header, offset, offset + header.lastOffsetDelta);
      offset += header.lastOffsetDelta + 1;
    }
    // Readers may see the batch as soon as it is appended (before a flush completes).
    this.waiters.notify(state.key);
    if (acks === 0) flushed?.catch(() => undefined);
    return {
      result: { baseOffset: result.baseOffset, lastOffset: result.lastOffset, logAppendTime: -1, logStartOffset: result.logStartOffset },
      durable: acks === 0 ? undefined : flushed,
    };
  }

  /**
   * Reads from many partitions at once, waiting up to maxWaitMs until minBytes are available
   * (long poll: woken by appends, never by polling). Per-partition failures are reported in
   * that partition's result; the first partition with data always gets one whole batch.
   */
  async fetch(request: FetchRequest): Promise<FetchResult> {
    this.ensureOpen();
    const minBytes = Math.max(1, request.minBytes ?? 1);
    const deadline = Date.now() + Math.max(0, request.maxWaitMs);
    const keys = request.partitions.map((p) => `${p.topic}\u0000${p.partition}`);
    for (;;) {
      const result = this.readPartitions(request);
      const bytes = result.partitions.reduce((n, p) => n + p.bytes, 0);
      const failed = result.partitions.some((p) => p.error);
      const remaining = deadline - Date.now();
      if (bytes >= minBytes || failed || remaining <= 0 || request.signal?.aborted || this.isClosed) return result;
      await this.waiters.wait(keys, remaining, request.signal);
      if (this.isClosed) throw new SkeinError('SKEIN_CLOSED', 'the broker closed during a fetch');
    }
  }

  private readPartitions(request: FetchRequest): FetchResult {
    let budget = request.maxBytes ?? 50 * 1024 * 1024;
    let first = true;
    const partitions: FetchPartitionResult[] = [];
    for (const p of request.partitions) {
      const out: FetchPartitionResult = {
        topic: p.topic,
        partition: p.partition,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        records: [],
        bytes: 0,
      };
      partitions.push(out);
      try {
        const state = this.partitionOrThrow(p.topic, p.partition);
        const log = state.log;
        out.highWatermark = log.logEndOffset;
        out.lastStableOffset = log.logEndOffset;
        out.logStartOffset = log.logStartOffset;
        const maxBytes = Math.min(p.maxBytes, budget);
        if (maxBytes <= 0 && !first) continue;
        const read = log.read(p.fetchOffset, { maxBytes: Math.max(0, maxBytes), minOneBatch: first });
        out.records = read.views;
        out.bytes = read.bytes;
        budget -= read.bytes;
        if (read.bytes > 0) first = false;
      } catch (err) {
        if (!(err instanceof SkeinError)) throw err;
        out.error = err;
      }
    }
    return { partitions };
  }

  /** Kafka ListOffsets: -2 earliest, -1 latest, otherwise the first record at or after the timestamp. */
  listOffsets(topic: string, partition: number, timestamp: number): { offset: number; timestamp: number } {
    this.ensureOpen();
    const { log } = this.partitionOrThrow(topic, partition);
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: log.logStartOffset, timestamp: -1 };
    if (timestamp === LATEST_TIMESTAMP) return { offset: log.logEndOffset, timestamp: -1 };
    if (!Number.isFinite(timestamp) || timestamp < 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `timestamp must be -1, -2 or a time in ms, got ${String(timestamp)}`);
    }
    const found = log.offsetForTimestamp(timestamp);
    return found ?? { offset: -1, timestamp: -1 };
  }

  /** Start and end offsets of a partition, for lag and admin. */
  /**
   * DeleteRecords: records below `offset` (-1: the high watermark) are no longer served and
   * their whole segments are deleted. Resolves with the new log start offset.
   */
  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    this.ensureOpen();
    const { log } = this.partitionOrThrow(topic, partition);
    return log.deleteRecordsBefore(offset === -1 ? log.logEndOffset : offset).logStartOffset;
  }

  offsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number } {
    const { log } = this.partitionOrThrow(topic, partition);
    return { logStartOffset: log.logStartOffset, highWatermark: log.logEndOffset };
  }

  /** A fresh producer id with epoch 0 (Kafka InitProducerId for an idempotent producer). */
  async initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    this.ensureOpen();
    return this.serialise(async () => {
      if (this.nextProducerId >= this.producerIdBlockEnd) {
        const end = this.producerIdBlockEnd + PRODUCER_ID_BLOCK;
        await this.metadata.append({ type: 'producer-id-block', nextProducerId: end });
        this.nextProducerId = this.producerIdBlockEnd;
        this.producerIdBlockEnd = end;
      }
      return { producerId: this.nextProducerId++, producerEpoch: 0 };
    });
  }

  /** Applies retention to every partition whose cleanup.policy includes delete. */
  applyRetention(now: number = Date.now()): number {
    if (this.isClosed) return 0;
    let deleted = 0;
    for (const topic of this.topics.values()) {
      if (topic.internal) continue;
      const policy = topic.configs['cleanup.policy'] ?? this.topicDefaults['cleanup.policy'] ?? 'delete';
      if (!policy.split(',').includes('delete')) continue;
      for (const p of topic.partitions) {
        try {
          deleted += p.log.applyRetention(now).deletedSegments;
        } catch {
          // A partition that cannot apply retention now (closed during deletion) is retried next round.
        }
      }
    }
    return deleted;
  }

  /** Flushes every partition (tests, shutdown hooks). */
  async flush(): Promise<void> {
    this.ensureOpen();
    await Promise.all([...this.topics.values()].flatMap((t) => t.partitions.map((p) => p.log.flush())));
  }

  /** Stops timers, wakes waiting fetches, closes the group coordinator and every log. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.isClosed = true;
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      this.waiters.wakeAll();
      this.groups.close();
      this.closing = this.metadataQueue.then(() => this.logs.close());
    }
    return this.closing;
  }

  private ensureOpen(): void {
    if (this.isClosed) throw new SkeinError('SKEIN_CLOSED', 'the broker is closed');
  }
}

function headerOf(buf: Buffer, at: number): ProducerBatchHeader {
  return {
    producerId: readProducerId(buf, at),
    producerEpoch: readProducerEpoch(buf, at),
    baseSequence: readBaseSequence(buf, at),
    lastOffsetDelta: readLastOffsetDelta(buf, at),
  };
}

/** The idempotence headers of each batch of a produce buffer, or [] when it is not idempotent. */
function producerHeaders(records: Buffer): ProducerBatchHeader[] {
  if (records.length < 61 || readProducerId(records, 0) < 0) return [];
  const headers: ProducerBatchHeader[] = [];
  for (let at = 0; at + 61 <= records.length; ) {
    headers.push(headerOf(records, at));
    at += LOG_OVERHEAD + readBatchLength(records, at);
  }
  return headers;
}

/**
 * Checks every batch of one produce request; returns the original offsets when the whole
 * request repeats batches already written, throws when sequences do not follow.
 */
function checkSequences(table: ProducerStateTable, headers: ProducerBatchHeader[]): { baseOffset: number; lastOffset: number } | undefined {
  const first = table.check(headers[0]!);
  for (let i = 1; i < headers.length; i++) {
    const previous = headers[i - 1]!;
    const header = headers[i]!;
    if (header.producerId !== previous.producerId || header.baseSequence !== previous.baseSequence + previous.lastOffsetDelta + 1) {
      throw new SkeinError('SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER', 'the batches of one produce request do not continue each other', {
        producerId: header.producerId,
      });
    }
  }
  if (!first.duplicate) return undefined;
  if (headers.length > 1) {
    const last = table.check(headers[headers.length - 1]!);
    if (!last.duplicate) throw new SkeinError('SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER', 'a produce request repeats some batches but not all');
    return { baseOffset: first.baseOffset, lastOffset: last.lastOffset };
  }
  return { baseOffset: first.baseOffset, lastOffset: first.lastOffset };
}

