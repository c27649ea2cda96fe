/**
 * Where a broker's consumer groups live: the GroupCoordinator (group/) over __consumer_offsets,
 * and where that topic's partitions are. Alone, the broker owns every partition of the topic
 * (LocalOffsetsTopic: folders in the data folder, opened at open when present, created at first
 * use) and coordinates every group. In a cluster (`followCluster`), the topic is the cluster's
 * (ClusterOffsetsTopic, created through the controller) and the broker coordinates the groups of
 * the partitions it leads (CoordinatorLeadership). FindCoordinator is answered here.
 *
 * Lifecycle: `open` (the coordinator started) before the broker is made, `load` once the broker
 * can wrap logs (legacy offsets migrated, partitions loaded), `followCluster` at most once,
 * `close` with the broker. Event loop only. Files only through the LogManager; Partitions made by
 * the broker's `wrap`; nothing of sockets or Kafka numeric codes.
 */
import { SkeinError } from '../errors.js';
import type { LogManager } from '../storage/log-manager.js';
import type { LogConfig } from '../storage/log-config.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { Partition } from '../partition/partition.js';
import type { ClusterMember } from '../cluster/cluster-member.js';
import type { Replication } from '../cluster/replication.js';
import type { BrokerOptions } from './broker-options.js';
import type { ClusterTopics } from './cluster-topics.js';
import { GroupCoordinator } from './group/group-coordinator.js';
import { OffsetsTopicStore } from './group/offsets-topic-store.js';
import { ClusterOffsetsTopic, DEFAULT_OFFSETS_TOPIC_PARTITIONS, DEFAULT_OFFSETS_TOPIC_REPLICATION_FACTOR, LocalOffsetsTopic, offsetsLogConfig, offsetsTopicConfigs } from './group/offsets-topic.js';
import { CoordinatorLeadership } from './group/coordinator-leadership.js';
import { migrateLegacyOffsets } from './group/legacy-offsets.js';
import { CONSUMER_OFFSETS_TOPIC } from './topic-name.js';
import type { TopicRegistry } from './topic-registry.js';
import type { BrokerDescription } from './types.js';

/** How long a write to __consumer_offsets waits for its replicas (Kafka offsets.commit.timeout.ms). */
const OFFSETS_COMMIT_TIMEOUT_MS = 5000;

export type GroupSettings = Pick<
  BrokerOptions,
  'offsetsSegmentBytes' | 'offsetsTopicPartitions' | 'offsetsTopicReplicationFactor' | 'groupInitialRebalanceDelayMs' | 'groupMinSessionTimeoutMs' | 'groupMaxSessionTimeoutMs' | 'onWarning'
>;

export interface GroupCoordinationOptions {
  logs: LogManager;
  topics: TopicRegistry;
  /** Makes the broker's Partition of a log of partition p of __consumer_offsets. */
  wrap: (partition: number, log: PartitionLog) => Promise<Partition>;
  /** The KIP-516 id of a topic in the metadata log (offsets carry it). */
  topicIdOf: (topic: string) => string | undefined;
  settings: GroupSettings;
}

export class GroupCoordination {
  readonly groups: GroupCoordinator;
  /** Log settings of a partition of __consumer_offsets (also for a cluster's replicas of it). */
  readonly logConfig: Partial<LogConfig>;
  private readonly options: GroupCoordinationOptions;
  /** The store the coordinator writes through, and where its partitions are (one broker, then a cluster). */
  private readonly store: OffsetsTopicStore;
  private topic: LocalOffsetsTopic | ClusterOffsetsTopic;
  private leadership: CoordinatorLeadership | undefined;

  private constructor(options: GroupCoordinationOptions, topic: LocalOffsetsTopic, store: OffsetsTopicStore, groups: GroupCoordinator) {
    this.options = options;
    this.topic = topic;
    this.store = store;
    this.groups = groups;
    this.logConfig = offsetsLogConfig(this.segmentBytes);
  }

  /** Makes the coordinator over this broker's own __consumer_offsets and starts it (nothing loaded yet). */
  static async open(options: GroupCoordinationOptions): Promise<GroupCoordination> {
    const { settings, topics } = options;
    // __consumer_offsets as Kafka has it (src/broker/group/offsets-topic*.ts): alone, this
    // broker owns every partition; the folders appear at first use. Compacted by the log cleaner.
    const segmentBytes = segmentBytesOf(settings);
    const topic = new LocalOffsetsTopic(
      options.logs,
      settings.offsetsTopicPartitions ?? DEFAULT_OFFSETS_TOPIC_PARTITIONS,
      offsetsLogConfig(segmentBytes),
      options.wrap,
      (partitions) => topics.set({ name: CONSUMER_OFFSETS_TOPIC, topicId: '', internal: true, configs: offsetsTopicConfigs(segmentBytes), partitions }),
    );
    const store = new OffsetsTopicStore(topic.partitionCount, topic, settings.onWarning);
    const groups = new GroupCoordinator({
      offsetStore: store,
      topicIdOf: options.topicIdOf,
      initialRebalanceDelayMs: settings.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: settings.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: settings.groupMaxSessionTimeoutMs,
    });
    await groups.start();
    return new GroupCoordination(options, topic, store, groups);
  }

  /** Loads what a former run committed: offsets of the legacy JSON log first, then every partition. */
  async load(warn: (message: string) => void): Promise<void> {
    const topic = this.topic as LocalOffsetsTopic;
    // The JSON log of older versions first: it sits where the new partition 0 goes.
    const migrated = await migrateLegacyOffsets(this.options.logs, topic, this.store);
    if (migrated) warn(`migrated ${migrated.found} committed offsets from the JSON offsets log to __consumer_offsets (${migrated.written} written now)`);
    await topic.openIfPresent();
    for (let p = 0; p < topic.partitionCount; p++) await this.groups.becomeCoordinator(p);
  }

  /**
   * From now on __consumer_offsets is the cluster's (created through the controller) and this
   * broker coordinates the groups of the partitions it leads (group/coordinator-leadership.ts).
   * A local topic from before the cluster stays on disk; its folders serve as replicas only if
   * the cluster assigns them here.
   */
  async followCluster(member: ClusterMember, cluster: ClusterTopics, replication: Replication, warn: (message: string) => void): Promise<void> {
    const { topics, settings } = this.options;
    for (const p of this.groups.ownedPartitions()) this.groups.resign(p);
    if (topics.get(CONSUMER_OFFSETS_TOPIC)?.internal) topics.delete(CONSUMER_OFFSETS_TOPIC);
    const topic = new ClusterOffsetsTopic({
      member,
      partitionCount: this.store.partitionCount,
      replicationFactor: settings.offsetsTopicReplicationFactor ?? DEFAULT_OFFSETS_TOPIC_REPLICATION_FACTOR,
      configs: offsetsTopicConfigs(this.segmentBytes),
      local: (p) => topics.replica(CONSUMER_OFFSETS_TOPIC, p),
      settled: () => cluster.settled(),
      produce: async (replica, records) => {
        replication.checkEnoughReplicas(replica);
        const result = await replica.produce(records, -1);
        await replication.waitForHighWatermark(replica, result.lastOffset + 1, OFFSETS_COMMIT_TIMEOUT_MS);
      },
    });
    this.topic = topic;
    this.store.usePartitions(topic);
    this.leadership = new CoordinatorLeadership({ member, topic, coordinator: this.groups, settled: () => cluster.settled(), warn });
    await this.leadership.start();
  }

  /**
   * The broker that coordinates a group (FindCoordinator): the leader of the group's partition
   * of __consumer_offsets, abs(javaHash(key)) % partitions, as in Kafka, so every member of a
   * group meets at one broker and the group moves with that partition's leadership. The topic
   * is created at the first call (one broker: its folders; a cluster: through the controller).
   * SKEIN_COORDINATOR_NOT_AVAILABLE while the partition has no leader.
   */
  async findCoordinator(key: string, broker: { readonly listener: BrokerDescription; brokers(): BrokerDescription[] }): Promise<BrokerDescription> {
    const p = this.store.partitionOf(key);
    await this.topic.ensureCreated();
    if (!(this.topic instanceof ClusterOffsetsTopic)) return broker.listener;
    const leader = this.topic.leaderOf(p);
    const found = leader === undefined ? undefined : broker.brokers().find((b) => b.nodeId === leader);
    if (!found) throw new SkeinError('SKEIN_COORDINATOR_NOT_AVAILABLE', `__consumer_offsets-${p}, which holds group ${key}, has no live leader`, { groupId: key, partition: p });
    return found;
  }

  /** Stops following the cluster's leadership; the coordinator closes (parked requests fail with SKEIN_CLOSED). */
  close(): void {
    this.leadership?.close();
    this.groups.close();
  }

  private get segmentBytes(): number {
    return segmentBytesOf(this.options.settings);
  }
}

/** offsets.topic.segment.bytes. Default 64 MiB. */
function segmentBytesOf(settings: GroupSettings): number {
  return settings.offsetsSegmentBytes ?? 64 * 1024 * 1024;
}
