/**
 * The broker: the topic registry (create, delete, add partitions, configs, the metadata log),
 * request routing to each topic-partition's Partition (src/partition: produce, reads, offsets,
 * idempotence, retention), long-poll fetch over many partitions, producer ids, the retention
 * schedule, and the group coordinator. Both front doors drive this one object: the embedded
 * client (src/client) calls it directly, the Kafka protocol server (src/protocol) translates
 * requests to these calls. So an in-process consumer and a kafkajs consumer can share a group.
 *
 * No sockets and no file paths here: partition logs are obtained by name from the LogManager
 * and wrapped in a Partition. Runs on the event loop.
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SkeinError } from '../errors.js';
import { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { MappingLru } from '../storage/mapping-lru.js';
import { Partition } from '../partition/partition.js';
import { partitionKey, poolScanner } from '../partition/pooled-recovery.js';
import type { SegmentScanner } from '../storage/segment-recovery.js';
import { WorkerPool } from '../workers/pool.js';
import type { ClusterMember } from '../cluster/cluster-member.js';
import type { LeaderEndpointFactory } from '../cluster/leader-endpoint.js';
import { Replication } from '../cluster/replication.js';
import { HighWatermarkCheckpoints } from './high-watermark-checkpoints.js';
import { ClusterTopics } from './cluster-topics.js';
import { GroupCoordinator } from './group/group-coordinator.js';
import { OffsetsTopicStore } from './group/offsets-topic-store.js';
import { ClusterOffsetsTopic, DEFAULT_OFFSETS_TOPIC_PARTITIONS, DEFAULT_OFFSETS_TOPIC_REPLICATION_FACTOR, LocalOffsetsTopic, offsetsLogConfig, offsetsTopicConfigs } from './group/offsets-topic.js';
import { CoordinatorLeadership } from './group/coordinator-leadership.js';
import { migrateLegacyOffsets } from './group/legacy-offsets.js';
import { MetadataLog } from './metadata-log.js';
import { checkPartitionLimits, partitionLimitsOf, type PartitionLimits } from './partition-limits.js';
import { removeStrayFolders, staleOffset } from './topic-ids.js';
import { FetchWaiters } from './fetch-waiters.js';
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
  /** log.cleaner.backoff.ms: how often compacted logs are checked for cleaning. Default 15000; 0 turns the cleaner off. */
  logCleanerIntervalMs?: number;
  /** offsets.topic.segment.bytes: segment size of __consumer_offsets. Default 64 MiB. */
  offsetsSegmentBytes?: number;
  /** offsets.topic.num.partitions: partitions of __consumer_offsets when it is created. Default 50. */
  offsetsTopicPartitions?: number;
  /** offsets.topic.replication.factor (a cluster; capped by the live brokers). Default 3. */
  offsetsTopicReplicationFactor?: number;
  /** Group coordinator settings. */
  groupInitialRebalanceDelayMs?: number;
  groupMinSessionTimeoutMs?: number;
  groupMaxSessionTimeoutMs?: number;
  /** Most partitions one createTopics/createPartitions may add. Default 10000 (Kafka 4.0's cap). */
  maxPartitionsPerRequest?: number;
  /** Most partitions of all topics on this broker (KIP-578's max.broker.partitions). Default 20000. */
  maxBrokerPartitions?: number;
  mappingLru?: MappingLru;
  onWarning?: (message: string) => void;
  /**
   * Worker threads for partitions' CPU work (large compressed batches, scans at open), each
   * partition's work on one thread in order (src/workers/pool.ts). A pool to share,
   * { size, tasksInFlight } for a new one (default size: the cores less one; threads start on
   * first use; tasksInFlight: tasks handed ahead to a thread, default 4), or false for none:
   * all work inline on the event loop.
   */
  workerPool?: WorkerPool | { size?: number; tasksInFlight?: number } | false;
  /** Told of each topic created or deleted, partitions added and configs changed (one log line each). */
  onTopicChange?: (change: TopicChange) => void;
}

export type TopicChange =
  | { type: 'created'; topic: string; partitions: number; configs: Record<string, string> }
  | { type: 'deleted'; topic: string }
  | { type: 'partitions-added'; topic: string; partitions: number }
  | { type: 'configs-changed'; topic: string; configs: Record<string, string> };

interface TopicState {
  name: string;
  /** KIP-516 topic id of this incarnation ('' for the internal topics). */
  topicId: string;
  internal: boolean;
  configs: TopicConfigValues;
  partitions: Partition[];
}

/** What one round of the log cleaner did. */
export interface LogCleanerRound {
  partitionsCleaned: number;
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * Told as partitions of user topics come and go (at observe() for those already open) and of
 * every fetch's result (both front doors fetch through Broker.fetch): the metrics subscribe to
 * partitions' events and count deliveries here, once per record, whoever fetched.
 */
export interface BrokerObserver {
  partitionAdded?(partition: Partition): void;
  partitionRemoved?(partition: Partition): void;
  fetched?(result: FetchResult): void;
}

/** Producer ids are reserved in blocks so that one persisted record serves many InitProducerId calls. */
const PRODUCER_ID_BLOCK = 1000;
/** How long a write to __consumer_offsets waits for its replicas (Kafka offsets.commit.timeout.ms). */
const OFFSETS_COMMIT_TIMEOUT_MS = 5000;

export class Broker {
  readonly nodeId: number;
  readonly groups: GroupCoordinator;
  private readonly logs: LogManager;
  private readonly metadata: MetadataLog;
  private readonly options: Required<Pick<BrokerOptions, 'autoCreateTopics' | 'numPartitions' | 'retentionCheckIntervalMs'>> & Pick<BrokerOptions, 'onTopicChange'>;
  private readonly topicDefaults: TopicConfigValues;
  private readonly limits: PartitionLimits;
  private readonly topics = new Map<string, TopicState>();
  private readonly creating = new Map<string, Promise<void>>();
  private readonly waiters = new FetchWaiters();
  private readonly observers = new Set<BrokerObserver>();
  private readonly onWarning: ((message: string) => void) | undefined;
  /** Partitions' worker pool, and whether this broker made it (and so closes it). */
  private readonly pool: WorkerPool | undefined;
  private readonly ownsPool: boolean;
  private readonly retentionTimer: NodeJS.Timeout | undefined;
  private readonly cleanerTimer: NodeJS.Timeout | undefined;
  private cleanerRun: Promise<LogCleanerRound> | undefined;
  private readonly warn: (message: string) => void;
  private nextProducerId: number;
  private producerIdBlockEnd: number;
  /** In a cluster: the end of the ids this folder handed out before it joined (0 for a new folder). */
  private localProducerIdsEnd = 0;
  private advertised: BrokerDescription;
  private isClosed = false;
  private closing: Promise<void> | undefined;
  /** Set when the broker is part of a cluster: topics then come from etcd (cluster-topics.ts). */
  private cluster: ClusterTopics | undefined;
  /** Set with `cluster`: leads and follows this broker's replicas (src/cluster/replication.ts). */
  private replication: Replication | undefined;
  /** replication-offset-checkpoint (cluster only: a broker alone keeps its HW at its log end). */
  private hwCheckpoints: HighWatermarkCheckpoints | undefined;
  /** __consumer_offsets: the store the coordinator writes through, and where its partitions are (one broker, then a cluster). */
  private offsetsStore!: OffsetsTopicStore;
  private offsetsTopic!: LocalOffsetsTopic | ClusterOffsetsTopic;
  private offsetsSettings!: { replicationFactor: number; segmentBytes: number };
  private coordinatorLeadership: CoordinatorLeadership | undefined;
  /** Serialises metadata changes so concurrent admin calls see each other's results. */
  private metadataQueue: Promise<unknown> = Promise.resolve();

  private constructor(options: BrokerOptions, logs: LogManager, metadata: MetadataLog, groups: GroupCoordinator) {
    this.nodeId = options.nodeId ?? 0;
    this.warn = options.onWarning ?? (() => {});
    this.logs = logs;
    this.metadata = metadata;
    this.groups = groups;
    this.onWarning = options.onWarning;
    const pool = options.workerPool ?? {};
    this.pool = pool === false ? undefined : pool instanceof WorkerPool ? pool : new WorkerPool({ size: pool.size, tasksInFlight: pool.tasksInFlight });
    this.ownsPool = pool !== false && !(pool instanceof WorkerPool);
    this.options = {
      autoCreateTopics: options.autoCreateTopics ?? true,
      numPartitions: options.numPartitions ?? 1,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? 300_000,
      onTopicChange: options.onTopicChange,
    };
    this.limits = partitionLimitsOf(options);
    this.topicDefaults = validateTopicConfigs(Object.entries(options.topicDefaults ?? {}).map(([name, value]) => ({ name, value })));
    this.nextProducerId = metadata.nextProducerIdBlock;
    this.producerIdBlockEnd = metadata.nextProducerIdBlock;
    this.advertised = { nodeId: this.nodeId, host: '127.0.0.1', port: 9092 };
    if (this.options.retentionCheckIntervalMs > 0) {
      this.retentionTimer = setInterval(() => this.applyRetention(), this.options.retentionCheckIntervalMs);
      this.retentionTimer.unref();
    }
    const cleanerMs = options.logCleanerIntervalMs ?? 15_000;
    if (cleanerMs > 0) {
      this.cleanerTimer = setInterval(() => void this.runLogCleaner().catch(() => undefined), cleanerMs);
      this.cleanerTimer.unref();
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
    partitionLimitsOf(options);
    const logs = LogManager.open({ dir: options.dir, mappingLru: options.mappingLru, onWarning: options.onWarning });
    // Set once made: the offsets topic wraps its logs through it, and a failed open closes its pool.
    let broker: Broker | undefined;
    try {
      const metadataLog = await logs.open(partitionLogName(METADATA_TOPIC, 0), { flushMessages: 1, segmentBytes: 16 * 1024 * 1024 });
      const metadata = await MetadataLog.load(metadataLog);
      // __consumer_offsets as Kafka has it (src/broker/group/offsets-topic*.ts): alone, this
      // broker owns every partition; the folders appear at first use. Compacted by the log cleaner.
      const segmentBytes = options.offsetsSegmentBytes ?? 64 * 1024 * 1024;
      const offsetsTopic = new LocalOffsetsTopic(
        logs,
        options.offsetsTopicPartitions ?? DEFAULT_OFFSETS_TOPIC_PARTITIONS,
        offsetsLogConfig(segmentBytes),
        (p, log) => broker!.partitionOf(CONSUMER_OFFSETS_TOPIC, p, log),
        (partitions) => broker!.topics.set(CONSUMER_OFFSETS_TOPIC, { name: CONSUMER_OFFSETS_TOPIC, topicId: '', internal: true, configs: offsetsTopicConfigs(segmentBytes), partitions }),
      );
      const offsetsStore = new OffsetsTopicStore(offsetsTopic.partitionCount, offsetsTopic, options.onWarning);
      const groups = new GroupCoordinator({
        offsetStore: offsetsStore,
        topicIdOf: (topic) => metadata.topics.get(topic)?.topicId,
        initialRebalanceDelayMs: options.groupInitialRebalanceDelayMs,
        minSessionTimeoutMs: options.groupMinSessionTimeoutMs,
        maxSessionTimeoutMs: options.groupMaxSessionTimeoutMs,
      });
      await groups.start();
      broker = new Broker(options, logs, metadata, groups);
      broker.offsetsStore = offsetsStore;
      broker.offsetsTopic = offsetsTopic;
      broker.offsetsSettings = { replicationFactor: options.offsetsTopicReplicationFactor ?? DEFAULT_OFFSETS_TOPIC_REPLICATION_FACTOR, segmentBytes };
      // The JSON log of older versions first: it sits where the new partition 0 goes.
      const migrated = await migrateLegacyOffsets(logs, offsetsTopic, offsetsStore);
      if (migrated) broker.warn(`migrated ${migrated.found} committed offsets from the JSON offsets log to __consumer_offsets (${migrated.written} written now)`);
      await offsetsTopic.openIfPresent();
      for (let p = 0; p < offsetsTopic.partitionCount; p++) await groups.becomeCoordinator(p);
      // Topics from before topic ids get one now (their folders adopt it as they open).
      for (const [topic, t] of metadata.topics) if (t.topicId === undefined) await metadata.append({ type: 'topic-id-assigned', topic, topicId: randomUUID() });
      // Folders of deleted topics and of creations cut short go before anything can read them.
      await removeStrayFolders(logs, metadata, options.onWarning ?? (() => {}));
      for (const [name, topic] of metadata.topics) {
        const partitions = await broker.openPartitions(name, topic.topicId!, topic.configs, 0, topic.numPartitions, false);
        broker.topics.set(name, { name, topicId: topic.topicId!, internal: false, configs: topic.configs, partitions });
      }
      // Offsets of topics deleted before a crash could tombstone them.
      await groups.forgetOffsets((o) => staleOffset(o, metadata));
      return broker;
    } catch (err) {
      await logs.close().catch(() => undefined);
      // Partitions open with their scans on the pool: a failed open stops the threads it started.
      if (broker?.ownsPool) await broker.pool?.close().catch(() => undefined);
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
    return this.options.autoCreateTopics;
  }

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
    const replication = new Replication({
      member,
      leaderEndpoints: options.leaderEndpoints,
      replica: (topic, partition) => this.topics.get(topic)?.partitions[partition],
      minInsyncReplicas: (topic) => Number(member.cache.topic(topic)?.configs['min.insync.replicas'] ?? member.options.minInsyncReplicas),
      onWarning: this.warn,
    });
    this.replication = replication;
    // Read before any replica opens: each starts with the HW it had (Kafka's ReplicaManager).
    this.hwCheckpoints = HighWatermarkCheckpoints.open({
      dir: this.logs.dir,
      intervalMs: member.options.replicaHighWatermarkCheckpointIntervalMs,
      partitions: () => [...this.topics.values()].flatMap((t) => t.partitions.filter((p) => p !== undefined)),
      warn: this.warn,
    });
    // Producer ids from now on come from the cluster's counter (initProducerId), not what is left
    // of a local block; the cluster's blocks for this broker start above every id this folder
    // handed out alone (its logs may hold those producers' state).
    this.localProducerIdsEnd = this.producerIdBlockEnd;
    this.nextProducerId = this.producerIdBlockEnd;
    this.cluster = new ClusterTopics(member, {
      open: (topic, partition, configs) => this.serialise(() => this.openReplica(topic, partition, configs)),
      has: (topic, partition) => this.topics.get(topic)?.partitions[partition] !== undefined,
      deleteTopic: (topic) => this.serialise(() => this.deleteLocalTopic(topic)),
      deleteReplica: (topic, partition) => this.serialise(() => this.deleteLocalReplica(topic, partition)),
      setLeaderEpoch: (topic, partition, epoch) => {
        const state = this.topics.get(topic)?.partitions[partition];
        if (state && epoch > state.leaderEpoch) state.leaderEpoch = epoch;
      },
      applied: (state) => replication.apply(state),
      onWarning: this.onWarning ?? (() => undefined),
    });
    await this.cluster.syncAll();
    await this.followOffsetsLeadership(member, this.cluster);
  }

  /**
   * From now on __consumer_offsets is the cluster's (created through the controller) and this
   * broker coordinates the groups of the partitions it leads (group/coordinator-leadership.ts).
   * A local topic from before the cluster stays on disk; its folders serve as replicas only if
   * the cluster assigns them here.
   */
  private async followOffsetsLeadership(member: ClusterMember, cluster: ClusterTopics): Promise<void> {
    for (const p of this.groups.ownedPartitions()) this.groups.resign(p);
    if (this.topics.get(CONSUMER_OFFSETS_TOPIC)?.internal) this.topics.delete(CONSUMER_OFFSETS_TOPIC);
    const topic = new ClusterOffsetsTopic({
      member,
      partitionCount: this.offsetsStore.partitionCount,
      replicationFactor: this.offsetsSettings.replicationFactor,
      configs: offsetsTopicConfigs(this.offsetsSettings.segmentBytes),
      local: (p) => this.topics.get(CONSUMER_OFFSETS_TOPIC)?.partitions[p],
      settled: () => cluster.settled(),
      produce: async (replica, records) => {
        const replication = this.replication;
        if (!replication) {
          await replica.produce(records, -1);
          return;
        }
        replication.checkEnoughReplicas(replica);
        const result = await replica.produce(records, -1);
        await replication.waitForHighWatermark(replica, result.lastOffset + 1, OFFSETS_COMMIT_TIMEOUT_MS);
      },
    });
    this.offsetsTopic = topic;
    this.offsetsStore.usePartitions(topic);
    this.coordinatorLeadership = new CoordinatorLeadership({ member, topic, coordinator: this.groups, settled: () => cluster.settled(), warn: this.warn });
    await this.coordinatorLeadership.start();
  }

  /** The live brokers (this one alone outside a cluster). */
  brokers(): BrokerDescription[] {
    return this.cluster ? this.cluster.brokers() : [this.listener];
  }

  /**
   * The broker that coordinates a group (FindCoordinator): the leader of the group's partition
   * of __consumer_offsets, abs(javaHash(key)) % partitions, as in Kafka, so every member of a
   * group meets at one broker and the group moves with that partition's leadership. The topic
   * is created at the first call (one broker: its folders; a cluster: through the controller).
   * SKEIN_COORDINATOR_NOT_AVAILABLE while the partition has no leader.
   */
  async findCoordinator(key: string): Promise<BrokerDescription> {
    this.ensureOpen();
    const p = this.offsetsStore.partitionOf(key);
    await this.offsetsTopic.ensureCreated();
    if (!(this.offsetsTopic instanceof ClusterOffsetsTopic)) return this.listener;
    const leader = this.offsetsTopic.leaderOf(p);
    const found = leader === undefined ? undefined : this.brokers().find((b) => b.nodeId === leader);
    if (!found) throw new SkeinError('SKEIN_COORDINATOR_NOT_AVAILABLE', `__consumer_offsets-${p}, which holds group ${key}, has no live leader`, { groupId: key, partition: p });
    return found;
  }

  /** This broker's membership of its cluster (reassignment and leader election requests); undefined alone. */
  get clusterMember(): ClusterMember | undefined {
    return this.cluster?.member;
  }

  /** True once the broker is part of a cluster (attachCluster). */
  get inCluster(): boolean {
    return this.cluster !== undefined;
  }

  /** The controller's node id (this broker outside a cluster; -1 while a cluster has none). */
  get controllerId(): number {
    return this.cluster ? this.cluster.controllerId() : this.nodeId;
  }

  /** Opens this broker's replica of a cluster topic's partition (idempotent). */
  private async openReplica(name: string, partition: number, configs: TopicConfigValues): Promise<void> {
    if (this.isClosed) return;
    let topic = this.topics.get(name);
    if (!topic) {
      // Cluster topics live in etcd, not in the local metadata log: no local topic id.
      topic = { name, topicId: '', internal: isInternalTopic(name), configs, partitions: [] };
      this.topics.set(name, topic);
    }
    if (topic.partitions[partition]) return;
    const logConfig = name === CONSUMER_OFFSETS_TOPIC ? offsetsLogConfig(this.offsetsSettings.segmentBytes) : logConfigOf(configs, this.topicDefaults);
    const log = await this.logs.open(partitionLogName(name, partition), logConfig, undefined, this.scannerOf(name, partition));
    const replica = await this.partitionOf(name, partition, log);
    // Replicated: the HW moves as followers catch up, and followers' long polls wake on appends.
    replica.followLogEnd = false;
    // Not at the log end: what lies beyond the checkpointed HW was never known to be on the ISR.
    replica.restoreHighWatermark(this.hwCheckpoints?.highWatermarkOf(name, partition));
    replica.on('appended', () => this.waiters.notify(replicaFetchKey(replica.key)));
    topic.partitions[partition] = replica;
    // Observers (metrics) count the partitions of user topics only.
    if (!topic.internal) this.tellAdded([replica]);
  }

  private async deleteLocalTopic(name: string): Promise<void> {
    const topic = this.topics.get(name);
    if (!topic || topic.internal || this.isClosed) return;
    this.topics.delete(name);
    for (const p of topic.partitions) {
      if (!p) continue;
      for (const o of this.observers) o.partitionRemoved?.(p);
      this.replication?.forget(p);
      p.detach();
      this.waiters.notify(p.key);
      await this.logs.delete(partitionLogName(name, p.partition));
    }
  }

  /** Deletes this broker's replica of one cluster partition (moved to other brokers by a reassignment). */
  private async deleteLocalReplica(name: string, partition: number): Promise<void> {
    const topic = this.topics.get(name);
    const p = topic?.partitions[partition];
    if (!topic || !p || topic.internal || this.isClosed) return;
    delete topic.partitions[partition];
    this.replication?.forget(p);
    p.detach();
    this.waiters.notify(p.key);
    await this.logs.delete(partitionLogName(name, partition));
  }

  /* ---------------------------------- topics ---------------------------------- */

  /**
   * Adds an observer (see BrokerObserver); it is told at once about every open partition of a
   * user topic. Returns the function that removes it.
   */
  observe(observer: BrokerObserver): () => void {
    this.observers.add(observer);
    for (const t of this.topics.values()) if (!t.internal) for (const p of t.partitions) observer.partitionAdded?.(p);
    return () => void this.observers.delete(observer);
  }

  private tellAdded(partitions: Partition[]): void {
    for (const o of this.observers) for (const p of partitions) o.partitionAdded?.(p);
  }

  /**
   * Wraps a log in its Partition (its producer state rebuilt on the partition's worker lane);
   * long-poll fetches wake when its high watermark moves.
   */
  private async partitionOf(topic: string, partition: number, log: PartitionLog): Promise<Partition> {
    const state = await Partition.open(topic, partition, log, { onWarning: this.onWarning, pool: this.pool });
    state.on('highWatermark', () => this.waiters.notify(state.key));
    return state;
  }

  /** Where the scans of a partition's segments run at open: its worker lane, if there is a pool. */
  private scannerOf(topic: string, partition: number): SegmentScanner | undefined {
    return this.pool ? poolScanner(this.pool, partitionKey(topic, partition)) : undefined;
  }

  /**
   * Opens partitions [from, to) of a topic incarnation. With `creating`, all or none: on a
   * failure (or close) half way the folders just created are removed again (a crash half way
   * leaves them to removeStrayFolders at the next open). Without it (committed partitions, at
   * open) nothing is ever removed: the error is thrown and the folders stay as they are.
   */
  private async openPartitions(name: string, topicId: string, configs: TopicConfigValues, from: number, to: number, creating: boolean): Promise<Partition[]> {
    const logConfig = logConfigOf(configs, this.topicDefaults);
    const opened: Partition[] = [];
    try {
      for (let partition = from; partition < to; partition++) {
        // Opening a log finishes without reaching the event loop: let sockets, timers and close() in.
        if ((partition - from) % 16 === 15) await nextTurn();
        if (this.isClosed) throw new SkeinError('SKEIN_CLOSED', `the broker closed while opening topic ${name}`, { topic: name });
        const log = await this.logs.open(partitionLogName(name, partition), logConfig, topicId, this.scannerOf(name, partition));
        opened.push(await this.partitionOf(name, partition, log));
      }
      return opened;
    } catch (err) {
      if (creating) await this.removePartitions(opened);
      throw err;
    }
  }

  /** Removes the folders of partitions never committed; what cannot go now goes at the next open. */
  private async removePartitions(partitions: Partition[]): Promise<void> {
    for (const p of partitions) await this.logs.delete(partitionLogName(p.topic, p.partition)).catch(() => undefined);
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
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      return Promise.reject(new SkeinError('SKEIN_INVALID_PARTITIONS', `numPartitions must be a positive integer, got ${String(spec.numPartitions)}`, { topic: name }));
    }
    let configs: TopicConfigValues;
    try {
      configs = validateTopicConfigs(spec.configEntries);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.cluster) {
      const cluster = this.cluster;
      return (async () => {
        if (cluster.hasTopic(name)) throw new SkeinError('SKEIN_TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
        if (options.validateOnly) return;
        await cluster.member.createTopic({
          name,
          partitions: numPartitions,
          replicationFactor: spec.replicationFactor === undefined || spec.replicationFactor === -1 ? undefined : spec.replicationFactor,
          assignment: spec.replicaAssignment,
          configs,
        });
        await cluster.settled();
      })();
    }
    return this.serialise(async () => {
      this.ensureOpen();
      if (this.topics.has(name)) throw new SkeinError('SKEIN_TOPIC_ALREADY_EXISTS', `topic ${name} already exists`, { topic: name });
      checkPartitionLimits(this.limits, name, numPartitions, this.totalPartitions());
      if (options.validateOnly) return;
      // Intent, folders, commit: the topic exists for readers only once 'topic-created' is stored.
      const topicId = randomUUID();
      await this.metadata.append({ type: 'topic-creating', topic: name, topicId });
      const partitions = await this.openPartitions(name, topicId, configs, 0, numPartitions, true);
      try {
        await this.metadata.append({ type: 'topic-created', topic: name, numPartitions, configs, topicId });
      } catch (err) {
        await this.removePartitions(partitions);
        throw err;
      }
      this.topics.set(name, { name, topicId, internal: false, configs, partitions });
      this.tellAdded(partitions);
      this.options.onTopicChange?.({ type: 'created', topic: name, partitions: numPartitions, configs: { ...configs } });
    });
  }

  /**
   * The topic, created with the broker defaults if it does not exist and auto-creation is on
   * (and `allowAutoCreate`); otherwise SKEIN_UNKNOWN_TOPIC_OR_PARTITION.
   */
  async ensureTopic(name: string, allowAutoCreate = true): Promise<void> {
    this.ensureOpen();
    if (this.hasTopic(name)) return;
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
    if (this.cluster && !isInternalTopic(name)) {
      const cluster = this.cluster;
      return cluster.member.deleteTopic(name).then(() => cluster.settled());
    }
    return this.serialise(async () => {
      const topic = this.topics.get(name);
      if (!topic || topic.internal) {
        throw new SkeinError(topic ? 'SKEIN_INVALID_TOPIC' : 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION', topic ? `${name} is internal` : `unknown topic ${name}`, { topic: name });
      }
      // The commit point: from here the topic id is dead, and a crash before the folders are
      // gone leaves them to removeStrayFolders (and its offsets to staleOffset) at the next open.
      await this.metadata.append({ type: 'topic-deleted', topic: name, topicId: topic.topicId });
      this.topics.delete(name);
      for (const p of topic.partitions) {
        for (const o of this.observers) o.partitionRemoved?.(p);
        p.detach();
        this.waiters.notify(p.key);
      }
      for (const p of topic.partitions) await this.logs.delete(partitionLogName(name, p.partition));
      await this.groups.forgetOffsets((o) => o.topic === name);
      this.options.onTopicChange?.({ type: 'deleted', topic: name });
    });
  }

  /** Grows a topic to `count` partitions (never shrinks: SKEIN_INVALID_PARTITIONS). */
  createPartitions(name: string, count: number, assignment?: number[][]): Promise<void> {
    this.ensureOpen();
    if (this.cluster && !isInternalTopic(name)) {
      const cluster = this.cluster;
      return cluster.member.createPartitions(name, count, assignment).then(() => cluster.settled());
    }
    return this.serialise(async () => {
      const topic = this.topicOrThrow(name);
      if (topic.internal) throw new SkeinError('SKEIN_INVALID_TOPIC', `${name} is internal`, { topic: name });
      const current = topic.partitions.length;
      if (!Number.isInteger(count) || count <= current) {
        throw new SkeinError('SKEIN_INVALID_PARTITIONS', `topic ${name} has ${current} partitions; the new count must be an integer above that, got ${String(count)}`, { topic: name });
      }
      checkPartitionLimits(this.limits, name, count - current, this.totalPartitions());
      // Folders first, then the commit: folders past the committed count are removed at open.
      const added = await this.openPartitions(name, topic.topicId, topic.configs, current, count, true);
      try {
        await this.metadata.append({ type: 'partitions-added', topic: name, numPartitions: count });
      } catch (err) {
        await this.removePartitions(added);
        throw err;
      }
      topic.partitions.push(...added);
      this.tellAdded(added);
      this.options.onTopicChange?.({ type: 'partitions-added', topic: name, partitions: count });
    });
  }

  /** Partitions of every topic but the internal ones. */
  private totalPartitions(): number {
    let total = 0;
    for (const t of this.topics.values()) if (!t.internal) total += t.partitions.length;
    return total;
  }

  /** The KIP-516 id of a topic's live incarnation, or undefined when it does not exist. */
  topicId(name: string): string | undefined {
    const topic = this.topics.get(name);
    return topic && !topic.internal ? topic.topicId : undefined;
  }

  /** Names of the topics (internal ones only when asked). */
  listTopics(includeInternal = false): string[] {
    this.ensureOpen();
    const local = [...this.topics.values()].filter((t) => (includeInternal || !t.internal) && (!this.cluster || t.name === METADATA_TOPIC)).map((t) => t.name);
    const clustered = this.cluster ? this.cluster.topics().filter((t) => includeInternal || !isInternalTopic(t)) : [];
    return [...local, ...clustered].sort();
  }

  hasTopic(name: string): boolean {
    if (this.cluster && name !== METADATA_TOPIC) return this.cluster.hasTopic(name);
    return this.topics.has(name);
  }

  partitionCount(name: string): number {
    if (this.cluster && name !== METADATA_TOPIC) return this.cluster.partitionCount(name);
    return this.topicOrThrow(name).partitions.length;
  }

  describeTopic(name: string): TopicDescription {
    this.ensureOpen();
    if (this.cluster && name !== METADATA_TOPIC) {
      const local = this.topics.get(name);
      return {
        name,
        internal: isInternalTopic(name),
        partitions: this.cluster.describe(name).map((p) => {
          const replica = local?.partitions[p.partition];
          return {
            ...p,
            logStartOffset: replica?.logStartOffset ?? -1,
            highWatermark: replica?.highWatermark ?? -1,
            sizeBytes: replica?.log.size ?? 0,
            segments: replica?.log.segmentCount ?? 0,
          };
        }),
      };
    }
    const topic = this.topicOrThrow(name);
    return {
      name,
      internal: topic.internal,
      partitions: topic.partitions.map((p) => ({
        partition: p.partition,
        leader: this.nodeId,
        // The epoch its batches are stamped with (0, or the latest its log holds), so clients'
        // KIP-320 checks (Fetch, ListOffsets, OffsetForLeaderEpoch) agree with Metadata.
        leaderEpoch: p.leaderEpoch,
        replicas: [this.nodeId],
        isr: [this.nodeId],
        logStartOffset: p.logStartOffset,
        highWatermark: p.highWatermark,
        sizeBytes: p.log.size,
        segments: p.log.segmentCount,
      })),
    };
  }

  describeConfigs(name: string): DescribedConfig[] {
    this.ensureOpen();
    const clusterConfigs = this.cluster && name !== METADATA_TOPIC ? this.cluster.configs(name) : undefined;
    if (this.cluster && name !== METADATA_TOPIC && !clusterConfigs) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    return describeTopicConfigs(clusterConfigs ?? this.topicOrThrow(name).configs, this.topicDefaults);
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

  private partitionOrThrow(topic: string, partition: number): Partition {
    if (this.cluster && topic !== METADATA_TOPIC) this.cluster.checkLeader(topic, partition);
    const state = this.topicOrThrow(topic).partitions[partition];
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
    this.ensureOpen();
    if (isInternalTopic(topic)) throw new SkeinError('SKEIN_INVALID_TOPIC', `${topic} is internal`, { topic });
    const replica = this.partitionOrThrow(topic, partition);
    if (acks !== -1 || !this.replication) return replica.produce(records, acks);
    this.replication.checkEnoughReplicas(replica);
    const result = await replica.produce(records, acks);
    await this.replication.waitForHighWatermark(replica, result.lastOffset + 1, timeoutMs);
    return result;
  }

  /** The synchronous part of produce (see Partition.produceNow); `durable` is what acks 1 and -1 wait for. */
  produceNow(topic: string, partition: number, records: Buffer, acks: Acks = -1): { result: ProduceResult; durable: Promise<void> | undefined } {
    this.ensureOpen();
    if (isInternalTopic(topic)) throw new SkeinError('SKEIN_INVALID_TOPIC', `${topic} is internal`, { topic });
    const replica = this.partitionOrThrow(topic, partition);
    if (acks !== -1 || !this.replication) return replica.produceNow(records, acks);
    this.replication.checkEnoughReplicas(replica);
    const outcome = replica.produceNow(records, acks);
    const replicated = this.replication.waitForHighWatermark(replica, outcome.result.lastOffset + 1);
    return { result: outcome.result, durable: outcome.durable ? Promise.all([outcome.durable, replicated]).then(() => undefined) : replicated };
  }

  /** This broker's own replica of a partition, led or followed (admin and tests); undefined when it holds none. */
  localReplica(topic: string, partition: number): Partition | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** The Partition of a topic-partition (events, high watermark); SKEIN_UNKNOWN_TOPIC_OR_PARTITION. */
  partitionFor(topic: string, partition: number): Partition {
    this.ensureOpen();
    return this.partitionOrThrow(topic, partition);
  }

  /**
   * Reads from many partitions at once, waiting up to maxWaitMs until minBytes are available
   * (long poll: woken by appends, never by polling). Per-partition failures are reported in
   * that partition's result; the first partition with data always gets one whole batch.
   */
  async fetch(request: FetchRequest): Promise<FetchResult> {
    this.ensureOpen();
    const minBytes = Math.max(1, request.minBytes ?? 1);
    // Monotonic: a wall clock stepped back (NTP, an operator) must not hold a long poll for hours.
    const deadline = performance.now() + Math.max(0, request.maxWaitMs);
    const fromReplica = this.replication !== undefined && (request.replicaId ?? -1) >= 0;
    const keys = request.partitions.map((p) => (fromReplica ? replicaFetchKey(`${p.topic}\u0000${p.partition}`) : `${p.topic}\u0000${p.partition}`));
    for (let pass = 0; ; pass++) {
      const result = this.readPartitions(request, fromReplica ? pass === 0 : undefined);
      const bytes = result.partitions.reduce((n, p) => n + p.bytes, 0);
      const failed = result.partitions.some((p) => p.error || p.divergingEpoch);
      const remaining = deadline - performance.now();
      if (bytes >= minBytes || failed || remaining <= 0 || request.signal?.aborted || this.isClosed) {
        for (const o of this.observers) o.fetched?.(result);
        return result;
      }
      await this.waiters.wait(keys, remaining, request.signal);
      if (this.isClosed) throw new SkeinError('SKEIN_CLOSED', 'the broker closed during a fetch');
    }
  }

  /**
   * One read of every partition of a fetch. `replicaPass` is set for a follower's fetch (true
   * on its first pass, when its fetch offsets tell the leader its log end): read up to the log
   * end instead of the high watermark.
   */
  private readPartitions(request: FetchRequest, replicaPass?: boolean): FetchResult {
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
        if (p.currentLeaderEpoch !== undefined) state.checkLeaderEpoch(p.currentLeaderEpoch);
        if (replicaPass !== undefined) {
          // A follower whose log diverged learns where, and truncates; its fetch offset then
          // says nothing of how far it is (Kafka does not count it either).
          out.divergingEpoch = divergenceOf(state, p.lastFetchedEpoch, p.fetchOffset);
          if (replicaPass && !out.divergingEpoch) this.replication!.onFollowerFetch(state, request.replicaId!, p.fetchOffset);
        }
        out.highWatermark = state.highWatermark;
        out.lastStableOffset = state.highWatermark;
        out.logStartOffset = state.logStartOffset;
        const maxBytes = Math.min(p.maxBytes, budget);
        if ((maxBytes <= 0 && !first) || out.divergingEpoch) continue;
        const read = replicaPass === undefined ? state.read(p.fetchOffset, maxBytes, first) : state.readForReplica(p.fetchOffset, maxBytes, first);
        out.records = read.records;
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

  /**
   * A fresh producer id with epoch 0 (Kafka InitProducerId for an idempotent producer). Ids
   * come in blocks: from the local metadata log on one broker, from a counter in etcd in a
   * cluster (ClusterMember.allocateProducerIds), since a producer that moves to another
   * broker after a failover must not meet another producer with its id there: with the
   * same id, the new leader takes its sequence numbers for the other's (OUT_OF_ORDER_SEQUENCE_NUMBER
   * on every send, or a batch answered as a "duplicate" of the other's and never written).
   */
  async initProducerId(): Promise<{ producerId: number; producerEpoch: number }> {
    this.ensureOpen();
    return this.serialise(async () => {
      if (this.nextProducerId >= this.producerIdBlockEnd) {
        const member = this.cluster?.member;
        if (member) {
          const start = await member.allocateProducerIds(PRODUCER_ID_BLOCK, this.localProducerIdsEnd);
          this.nextProducerId = start;
          this.producerIdBlockEnd = start + PRODUCER_ID_BLOCK;
        } else {
          const end = this.producerIdBlockEnd + PRODUCER_ID_BLOCK;
          await this.metadata.append({ type: 'producer-id-block', nextProducerId: end });
          this.nextProducerId = this.producerIdBlockEnd;
          this.producerIdBlockEnd = end;
        }
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
          deleted += p.applyRetention(now);
        } catch {
          // A partition that cannot apply retention now (closed during deletion) is retried next round.
        }
      }
    }
    return deleted;
  }

  /**
   * One round of the log cleaner: every partition of a topic whose cleanup.policy includes
   * compact, and __consumer_offsets, is compacted if its dirty ratio asks for it (the file
   * work runs on the cleaner's worker thread). One round at a time; partitions in turn.
   */
  runLogCleaner(now: number = Date.now()): Promise<LogCleanerRound> {
    if (this.cleanerRun) return this.cleanerRun;
    const run = (async () => {
      const round: LogCleanerRound = { partitionsCleaned: 0, bytesBefore: 0, bytesAfter: 0 };
      for (const topic of [...this.topics.values()]) {
        const policy = topic.name === CONSUMER_OFFSETS_TOPIC ? 'compact' : (topic.configs['cleanup.policy'] ?? this.topicDefaults['cleanup.policy'] ?? 'delete');
        if (!policy.split(',').includes('compact')) continue;
        for (const p of topic.partitions) {
          // A cluster topic's array has holes where other brokers hold the replicas.
          if (!p || this.isClosed || p.log.closed) continue;
          try {
            const result = await p.log.compact({ now });
            if (!result.cleaned) continue;
            round.partitionsCleaned += 1;
            round.bytesBefore += result.bytesBefore;
            round.bytesAfter += result.bytesAfter;
          } catch (err) {
            // A partition deleted or closed during its pass; a failing disk is reported by appends.
            this.warn(`log cleaner: ${topic.name}-${p.partition}: ${(err as Error).message}`);
          }
        }
      }
      return round;
    })();
    this.cleanerRun = run.finally(() => {
      this.cleanerRun = undefined;
    });
    return this.cleanerRun;
  }

  /** Flushes every partition (tests, shutdown hooks). */
  async flush(): Promise<void> {
    this.ensureOpen();
    await Promise.all([...this.topics.values()].flatMap((t) => t.partitions.map((p) => p.flush())));
  }

  /** Stops timers, wakes waiting fetches, closes the group coordinator and every log. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.isClosed = true;
      this.coordinatorLeadership?.close();
      this.cluster?.close();
      const replicationClosed = this.replication?.close().catch(() => undefined);
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      if (this.cleanerTimer) clearInterval(this.cleanerTimer);
      this.waiters.wakeAll();
      this.groups.close();
      const cleaning = this.cleanerRun?.catch(() => undefined);
      this.closing = this.metadataQueue.then(() => Promise.all([cleaning, replicationClosed])).then(async () => {
        // Clean shutdown: the HWs as they stand, before the logs close.
        this.hwCheckpoints?.close();
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

/**
 * Where a follower's log diverges from the leader's (Kafka's validateFetchOffsetAndMaybeGetDivergingEpoch):
 * the leader's end of the follower's last epoch, when that is before the fetch offset or the
 * leader knows only an older epoch. Nothing for a follower that sent no epoch, or when the
 * leader has no epoch to compare.
 */
function divergenceOf(replica: Partition, lastFetchedEpoch: number | undefined, fetchOffset: number): { epoch: number; endOffset: number } | undefined {
  if (lastFetchedEpoch === undefined || lastFetchedEpoch < 0) return undefined;
  const end = replica.endOffsetForEpoch(lastFetchedEpoch);
  if (end.leaderEpoch < 0 || end.endOffset < 0) return undefined;
  if (end.leaderEpoch < lastFetchedEpoch || end.endOffset < fetchOffset) return { epoch: end.leaderEpoch, endOffset: end.endOffset };
  return undefined;
}

/** The waiters' key of follower fetches of a partition: woken by appends, not by the high watermark. */
function replicaFetchKey(key: string): string {
  return `replica\u0000${key}`;
}
