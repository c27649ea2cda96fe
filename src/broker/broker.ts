/**
 * The broker: the registry of this broker's topic-partitions and the routing of requests to
 * each one's Partition (src/partition: produce, reads, offsets, idempotence, retention). Both
 * front doors drive this one object: the embedded client (src/client) calls it directly, the
 * Kafka protocol server (src/protocol) translates requests to these calls. So an in-process
 * consumer and a kafkajs consumer can share a group.
 *
 * Each concern behind its methods has a file of its own, wired here at open:
 * - topic-registry.ts: the topics by name, their Partitions, the observers (metrics);
 * - topic-admin.ts: create, delete, add partitions, alter configs (metadata log or controller);
 *   topic-descriptions.ts: what is answered about topics (local or cluster);
 * - partition-opener.ts: logs opened by name and wrapped in Partitions;
 * - fetch-reader.ts: the fetch read path and its long polls (fetch-waiters.ts);
 * - log-maintenance.ts: the retention and log cleaner schedule;
 * - producer-ids.ts: producer id blocks; serial-queue.ts: metadata changes one at a time;
 * - group-coordination.ts: the group coordinator over __consumer_offsets, FindCoordinator;
 * - cluster-attachment.ts: a cluster's topics, replication and HW checkpoints (attachCluster).
 *
 * Lifecycle: open, then attachCluster at most once, then close. No sockets and no file paths
 * here: partition logs are obtained by name from the LogManager. Runs on the event loop.
 */
import { SkeinError } from '../errors.js';
import { LogManager } from '../storage/log-manager.js';
import type { Partition } from '../partition/partition.js';
import { WorkerPool } from '../workers/pool.js';
import type { ClusterMember } from '../cluster/cluster-member.js';
import type { LeaderEndpointFactory } from '../cluster/leader-endpoint.js';
import { validateBrokerOptions, type BrokerOptions } from './broker-options.js';
import { ClusterAttachment } from './cluster-attachment.js';
import { FetchReader } from './fetch-reader.js';
import { GroupCoordination } from './group-coordination.js';
import type { GroupCoordinator } from './group/group-coordinator.js';
import { LogMaintenance, type LogCleanerRound } from './log-maintenance.js';
import { MetadataLog } from './metadata-log.js';
import { partitionLimitsOf } from './partition-limits.js';
import { PartitionOpener } from './partition-opener.js';
import { ProducerIds } from './producer-ids.js';
import { SerialQueue } from './serial-queue.js';
import { TopicAdmin } from './topic-admin.js';
import { TopicDescriptions } from './topic-descriptions.js';
import { TopicRegistry, type BrokerObserver } from './topic-registry.js';
import { CONSUMER_OFFSETS_TOPIC, METADATA_TOPIC, isInternalTopic, partitionLogName } from './topic-name.js';
import { validateTopicConfigs, type DescribedConfig, type TopicConfigValues } from './topic-config.js';
import type { Acks, BrokerDescription, FetchRequest, FetchResult, NewTopic, ProduceResult, TopicDescription } from './types.js';

export type { BrokerOptions } from './broker-options.js';
export type { TopicChange } from './topic-admin.js';
export type { BrokerObserver } from './topic-registry.js';
export type { LogCleanerRound } from './log-maintenance.js';

export class Broker {
  readonly nodeId: number;
  readonly groups: GroupCoordinator;
  private readonly logs: LogManager;
  private readonly topics: TopicRegistry;
  private readonly partitions: PartitionOpener;
  private readonly admin: TopicAdmin;
  private readonly descriptions: TopicDescriptions;
  private readonly reads: FetchReader;
  private readonly maintenance: LogMaintenance;
  private readonly producerIds: ProducerIds;
  private readonly coordination: GroupCoordination;
  /** Serialises metadata changes so concurrent admin calls see each other's results. */
  private readonly queue = new SerialQueue();
  private readonly topicDefaults: TopicConfigValues;
  private readonly autoCreate: boolean;
  /** Partitions' worker pool, and whether this broker made it (and so closes it). */
  private readonly pool: WorkerPool | undefined;
  private readonly ownsPool: boolean;
  private readonly onWarning: ((message: string) => void) | undefined;
  private readonly warn: (message: string) => void;
  private advertised: BrokerDescription;
  private isClosed = false;
  private closing: Promise<void> | undefined;
  /** Set when the broker is part of a cluster: topics then come from etcd (cluster-attachment.ts). */
  private cluster: ClusterAttachment | undefined;

  private constructor(options: BrokerOptions, logs: LogManager, metadata: MetadataLog, topics: TopicRegistry, coordination: GroupCoordination) {
    this.nodeId = options.nodeId ?? 0;
    this.onWarning = options.onWarning;
    this.warn = options.onWarning ?? (() => {});
    this.logs = logs;
    this.topics = topics;
    this.coordination = coordination;
    this.groups = coordination.groups;
    const pool = options.workerPool ?? {};
    this.pool = pool === false ? undefined : pool instanceof WorkerPool ? pool : new WorkerPool({ size: pool.size, tasksInFlight: pool.tasksInFlight, niceness: pool.niceness });
    this.ownsPool = pool !== false && !(pool instanceof WorkerPool);
    this.autoCreate = options.autoCreateTopics ?? true;
    const numPartitions = options.numPartitions ?? 1;
    const retentionCheckIntervalMs = options.retentionCheckIntervalMs ?? 300_000;
    const topicDefaults = validateTopicConfigs(Object.entries(options.topicDefaults ?? {}).map(([name, value]) => ({ name, value })));
    this.topicDefaults = topicDefaults;
    this.producerIds = new ProducerIds(metadata);
    this.advertised = { nodeId: this.nodeId, host: '127.0.0.1', port: 9092 };
    const closed = () => this.isClosed;
    const clusterTopics = () => this.cluster?.topics;
    this.reads = new FetchReader({ partition: (t, p) => this.partitionOrThrow(t, p), replication: () => this.cluster?.replication, closed, fetched: (result) => topics.tellFetched(result) });
    this.partitions = new PartitionOpener({ logs, pool: this.pool, topicDefaults, highWatermarkMoved: (p) => this.reads.wakeReaders(p), closed, onWarning: options.onWarning });
    const brokerSettings = { numPartitions, autoCreateTopics: this.autoCreate, retentionCheckIntervalMs, dir: logs.dir };
    this.descriptions = new TopicDescriptions({ nodeId: this.nodeId, topics, cluster: clusterTopics, topicDefaults, brokerSettings });
    this.admin = new TopicAdmin({
      topics, partitions: this.partitions, metadata, queue: this.queue, cluster: clusterTopics, topicDefaults,
      forgetOffsets: (matches) => this.groups.forgetOffsets(matches),
      wakeReaders: (p) => this.reads.wakeReaders(p),
      ensureOpen: () => this.ensureOpen(),
      hasTopic: (name) => this.hasTopic(name),
      numPartitions, autoCreateTopics: this.autoCreate, limits: partitionLimitsOf(options), onTopicChange: options.onTopicChange,
    });
    const logCleanerIntervalMs = options.logCleanerIntervalMs ?? 15_000;
    this.maintenance = new LogMaintenance({ topics, topicDefaults, retentionCheckIntervalMs, logCleanerIntervalMs, closed, warn: this.warn });
  }

  /** Opens the data folder: replays topic metadata, opens (and recovers) every partition, loads committed offsets. */
  static async open(options: BrokerOptions): Promise<Broker> {
    validateBrokerOptions(options);
    const logs = LogManager.open({ dir: options.dir, mappingLru: options.mappingLru, onWarning: options.onWarning });
    // Set once made: the offsets topic wraps its logs through it, and a failed open closes what it started.
    let broker: Broker | undefined;
    let coordination: GroupCoordination | undefined;
    try {
      const metadataLog = await logs.open(partitionLogName(METADATA_TOPIC, 0), { flushMessages: 1, segmentBytes: 16 * 1024 * 1024 });
      const metadata = await MetadataLog.load(metadataLog);
      const topics = new TopicRegistry();
      coordination = await GroupCoordination.open({
        logs,
        topics,
        wrap: (p, log) => broker!.partitions.wrap(CONSUMER_OFFSETS_TOPIC, p, log),
        topicIdOf: (topic) => metadata.topics.get(topic)?.topicId,
        settings: options,
      });
      broker = new Broker(options, logs, metadata, topics, coordination);
      await coordination.load(broker.warn);
      await broker.admin.load(logs, broker.warn);
      return broker;
    } catch (err) {
      // Nothing of a failed open runs on: the broker, once made, closes as any broker does
      // (retention and cleaner timers, the group coordinator, the pool it made, its logs);
      // before that the coordinator and the logs close. The logs' closing releases the
      // folder's lock, so a retry in this process can open the folder.
      if (broker) await broker.close().catch(() => undefined);
      else coordination?.close();
      await logs.close().catch(() => undefined);
      throw err;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The partitions' worker pool (the embedded consumer decompresses large batches there), if any. */
  get workerPool(): WorkerPool | undefined {
    return this.pool;
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
    return this.autoCreate;
  }

  /* ---------------------------------- cluster ---------------------------------- */

  /**
   * Makes this broker a member of a cluster (after it listens and has joined through etcd):
   * from now on topics, replicas and leaders are the cluster's, and the broker opens a log for
   * each replica assigned to it. Topics of the local metadata log stay readable only if the
   * cluster also has them. `leaderEndpoints` connects this broker to the leaders of the
   * partitions it follows (src/protocol/peer/); without it its replicas never fetch.
   */
  async attachCluster(member: ClusterMember, options: { leaderEndpoints?: LeaderEndpointFactory } = {}): Promise<void> {
    this.ensureOpen();
    if (this.cluster) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'this broker is already part of a cluster');
    const cluster = new ClusterAttachment({
      member, leaderEndpoints: options.leaderEndpoints, dir: this.logs.dir, topicDefaults: this.topicDefaults, offsetsLogConfig: this.coordination.logConfig,
      topics: this.topics, partitions: this.partitions, queue: this.queue, reads: this.reads,
      closed: () => this.isClosed, warn: this.warn, onWarning: this.onWarning,
    });
    this.cluster = cluster;
    // Producer ids from now on come from the cluster's counter (initProducerId).
    this.producerIds.joinCluster();
    await cluster.start();
    await this.coordination.followCluster(member, cluster.topics, cluster.replication, this.warn);
  }

  /** The live brokers (this one alone outside a cluster). */
  brokers(): BrokerDescription[] {
    return this.cluster ? this.cluster.topics.brokers() : [this.listener];
  }

  /** The broker that coordinates a group (FindCoordinator; GroupCoordination.findCoordinator). */
  async findCoordinator(key: string): Promise<BrokerDescription> {
    this.ensureOpen();
    return this.coordination.findCoordinator(key, this);
  }

  /** This broker's membership of its cluster (reassignment and leader election requests); undefined alone. */
  get clusterMember(): ClusterMember | undefined {
    return this.cluster?.topics.member;
  }

  /** True once the broker is part of a cluster (attachCluster). */
  get inCluster(): boolean {
    return this.cluster !== undefined;
  }

  /** The controller's node id (this broker outside a cluster; -1 while a cluster has none). */
  get controllerId(): number {
    return this.cluster ? this.cluster.topics.controllerId() : this.nodeId;
  }

  /* ---------------------------------- topics ---------------------------------- */

  /**
   * Adds an observer (see BrokerObserver); it is told at once about every open partition of a
   * user topic. Returns the function that removes it.
   */
  observe(observer: BrokerObserver): () => void {
    return this.topics.observe(observer);
  }

  /** Creates a topic. SKEIN_TOPIC_ALREADY_EXISTS, SKEIN_INVALID_TOPIC, SKEIN_INVALID_PARTITIONS, SKEIN_INVALID_CONFIG. */
  createTopic(spec: NewTopic, options: { validateOnly?: boolean } = {}): Promise<void> {
    this.ensureOpen();
    return this.admin.createTopic(spec, options);
  }

  /**
   * The topic, created with the broker defaults if it does not exist and auto-creation is on
   * (and `allowAutoCreate`); otherwise SKEIN_UNKNOWN_TOPIC_OR_PARTITION.
   */
  async ensureTopic(name: string, allowAutoCreate = true): Promise<void> {
    this.ensureOpen();
    return this.admin.ensureTopic(name, allowAutoCreate);
  }

  /** Deletes a topic and its data. Fetches waiting on it are woken (and then find it gone). */
  deleteTopic(name: string): Promise<void> {
    this.ensureOpen();
    return this.admin.deleteTopic(name);
  }

  /** Grows a topic to `count` partitions (never shrinks: SKEIN_INVALID_PARTITIONS). */
  createPartitions(name: string, count: number, assignment?: number[][]): Promise<void> {
    this.ensureOpen();
    return this.admin.createPartitions(name, count, assignment);
  }

  /** Sets topic configs: `incremental` merges (null removes one), otherwise they replace them all. */
  alterConfigs(name: string, entries: Array<{ name: string; value: string | null }>, options: { incremental?: boolean; validateOnly?: boolean } = {}): Promise<void> {
    this.ensureOpen();
    return this.admin.alterConfigs(name, entries, options);
  }

  /** The KIP-516 id of a topic's live incarnation, or undefined when it does not exist. */
  topicId(name: string): string | undefined {
    return this.descriptions.topicId(name);
  }

  /** Names of the topics (internal ones only when asked). */
  listTopics(includeInternal = false): string[] {
    this.ensureOpen();
    return this.descriptions.listTopics(includeInternal);
  }

  hasTopic(name: string): boolean {
    return this.descriptions.hasTopic(name);
  }

  partitionCount(name: string): number {
    return this.descriptions.partitionCount(name);
  }

  describeTopic(name: string): TopicDescription {
    this.ensureOpen();
    return this.descriptions.describeTopic(name);
  }

  describeConfigs(name: string): DescribedConfig[] {
    this.ensureOpen();
    return this.descriptions.describeConfigs(name);
  }

  /** The broker's own configs, as a BROKER resource of DescribeConfigs presents them. */
  describeBrokerConfigs(): Array<{ name: string; value: string; isDefault: boolean }> {
    this.ensureOpen();
    return this.descriptions.describeBrokerConfigs();
  }

  /** The partition a data request names: SKEIN_UNKNOWN_TOPIC_OR_PARTITION, or (cluster) SKEIN_NOT_LEADER_OR_FOLLOWER. */
  private partitionOrThrow(topic: string, partition: number): Partition {
    if (this.cluster && topic !== METADATA_TOPIC) this.cluster.topics.checkLeader(topic, partition);
    const state = this.topics.topicOrThrow(topic).partitions[partition];
    if (!state || !Number.isInteger(partition)) {
      throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    return state;
  }

  /* ---------------------------------- data ---------------------------------- */

  /**
   * Appends RecordBatch v2 bytes to a partition (see Partition.produce). In a cluster, acks -1
   * is refused with SKEIN_NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas, and
   * answers once the high watermark passed the batch (or fails after `timeoutMs`).
   */
  async produce(topic: string, partition: number, records: Buffer, acks: Acks = -1, timeoutMs?: number): Promise<ProduceResult> {
    const replica = this.produceTarget(topic, partition);
    return this.cluster && acks === -1 ? this.cluster.produce(replica, records, timeoutMs) : replica.produce(records, acks);
  }

  /** The synchronous part of produce (see Partition.produceNow); `durable` is what acks 1 and -1 wait for. */
  produceNow(topic: string, partition: number, records: Buffer, acks: Acks = -1): { result: ProduceResult; durable: Promise<void> | undefined } {
    const replica = this.produceTarget(topic, partition);
    return this.cluster && acks === -1 ? this.cluster.produceNow(replica, records) : replica.produceNow(records, acks);
  }

  /** The partition a produce names; internal topics are written by the broker only. */
  private produceTarget(topic: string, partition: number): Partition {
    this.ensureOpen();
    if (isInternalTopic(topic)) throw new SkeinError('SKEIN_INVALID_TOPIC', `${topic} is internal`, { topic });
    return this.partitionOrThrow(topic, partition);
  }

  /** This broker's own replica of a partition, led or followed (admin and tests); undefined when it holds none. */
  localReplica(topic: string, partition: number): Partition | undefined {
    return this.topics.replica(topic, partition);
  }

  /** The Partition of a topic-partition (events, high watermark); SKEIN_UNKNOWN_TOPIC_OR_PARTITION. */
  partitionFor(topic: string, partition: number): Partition {
    this.ensureOpen();
    return this.partitionOrThrow(topic, partition);
  }

  /**
   * Reads from many partitions at once, waiting up to maxWaitMs until minBytes are available
   * (long poll, fetch-reader.ts). Per-partition failures are reported in that partition's result.
   */
  fetch(request: FetchRequest): Promise<FetchResult> {
    return this.reads.fetch(request);
  }

  /**
   * Kafka ListOffsets: -2 earliest, -1 latest, otherwise the first record at or after the
   * timestamp; `leaderEpoch` is the epoch of the offset found (Partition.listOffsets).
   * `currentLeaderEpoch` (v4+, KIP-320; -1: not checked) is fenced as in Fetch.
   */
  listOffsets(topic: string, partition: number, timestamp: number, currentLeaderEpoch = -1): { offset: number; timestamp: number; leaderEpoch: number } {
    this.ensureOpen();
    const p = this.partitionOrThrow(topic, partition);
    p.checkLeaderEpoch(currentLeaderEpoch);
    return p.listOffsets(timestamp);
  }

  /**
   * Kafka OffsetForLeaderEpoch for a partition this broker leads (NOT_LEADER_OR_FOLLOWER
   * otherwise, in a cluster): a `currentLeaderEpoch` other than -1 is checked first (KIP-320:
   * older than ours SKEIN_FENCED_LEADER_EPOCH, newer SKEIN_UNKNOWN_LEADER_EPOCH), then the
   * largest epoch <= `leaderEpoch` and where it ends (Partition.endOffsetForEpoch).
   */
  offsetForLeaderEpoch(topic: string, partition: number, currentLeaderEpoch: number, leaderEpoch: number): { leaderEpoch: number; endOffset: number } {
    this.ensureOpen();
    const p = this.partitionOrThrow(topic, partition);
    p.checkLeaderEpoch(currentLeaderEpoch);
    return p.endOffsetForEpoch(leaderEpoch);
  }

  /**
   * DeleteRecords: records below `offset` (-1: the high watermark) are no longer served and
   * their whole segments are deleted. Resolves with the new log start offset.
   */
  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    this.ensureOpen();
    const p = this.partitionOrThrow(topic, partition);
    return p.log.deleteRecordsBefore(offset === -1 ? p.highWatermark : offset).logStartOffset;
  }

  /** Start offset and high watermark of a partition, for lag and admin. */
  offsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number } {
    return this.partitionOrThrow(topic, partition).offsets();
  }

  /** A fresh producer id with epoch 0 (Kafka InitProducerId for an idempotent producer; producer-ids.ts). */
  async initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    this.ensureOpen();
    return this.queue.run(() => this.producerIds.next(this.cluster?.topics.member));
  }

  /** Applies retention to every partition whose cleanup.policy includes delete. */
  applyRetention(now: number = Date.now()): number {
    return this.maintenance.applyRetention(now);
  }

  /** One round of the log cleaner over the compacted topics (one round at a time). */
  runLogCleaner(now: number = Date.now()): Promise<LogCleanerRound> {
    return this.maintenance.runLogCleaner(now);
  }

  /** Flushes every partition (tests, shutdown hooks). */
  async flush(): Promise<void> {
    this.ensureOpen();
    await Promise.all(this.topics.allPartitions().map((p) => p.flush()));
  }

  /** Stops timers, wakes waiting fetches, closes the group coordinator and every log. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.isClosed = true;
      const replicationClosed = this.cluster?.close();
      const cleaning = this.maintenance.close();
      this.reads.wakeAll();
      this.coordination.close();
      this.closing = this.queue.idle().then(() => Promise.all([cleaning, replicationClosed])).then(async () => {
        // Clean shutdown: the HWs as they stand, before the logs close.
        this.cluster?.closeCheckpoints();
        // Pool work still queued fails with SKEIN_CLOSED; then the logs close.
        if (this.ownsPool) await this.pool!.close();
        await this.logs.close();
      });
    }
    return this.closing;
  }

  private ensureOpen(): void {
    if (this.isClosed) throw new SkeinError('SKEIN_CLOSED', 'the broker is closed');
  }
}
