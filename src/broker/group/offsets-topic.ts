/**
 * Where the partitions of `__consumer_offsets` come from, in each of a broker's two modes
 * (the OffsetsPartitions an OffsetsTopicStore writes through):
 *
 * - LocalOffsetsTopic, one broker alone: the topic's folders `__consumer_offsets-<p>` in the
 *   data folder, opened at open when they exist and created (all partitions) at first use,
 *   as Kafka creates the topic on the first FindCoordinator. The broker owns every partition.
 * - ClusterOffsetsTopic, a broker of a cluster: the topic is a cluster topic, created at first
 *   use through the controller (etcd) with offsets.topic.num.partitions partitions and
 *   offsets.topic.replication.factor replicas (capped by the live brokers), compacted; the
 *   broker holds the replicas assigned to it (opened by ClusterTopics like any replica).
 *
 * Both run on the event loop and know no sockets; files only through the LogManager.
 */
import { SkeinError } from '../../errors.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { PartitionLog } from '../../storage/partition-log.js';
import type { LogConfig } from '../../storage/log-config.js';
import type { Partition } from '../../partition/partition.js';
import type { ClusterMember } from '../../cluster/cluster-member.js';
import { NO_LEADER } from '../../cluster/partition-state.js';
import { CONSUMER_OFFSETS_TOPIC, partitionLogName } from '../topic-name.js';
import type { OffsetsPartitions } from './offsets-topic-store.js';

/** Kafka's defaults: offsets.topic.num.partitions, offsets.topic.replication.factor. */
export const DEFAULT_OFFSETS_TOPIC_PARTITIONS = 50;
export const DEFAULT_OFFSETS_TOPIC_REPLICATION_FACTOR = 3;

/** The topic configs `__consumer_offsets` is created with (Kafka: compact, 100 MiB segments; ours 64 MiB). */
export function offsetsTopicConfigs(segmentBytes: number): Record<string, string> {
  return { 'cleanup.policy': 'compact', 'segment.bytes': String(segmentBytes) };
}

/**
 * Log settings of an offsets partition. Commits are acknowledged from the page cache and
 * flushed within a second, as Kafka acknowledges them once written to the leader's log: a
 * power loss can lose the last second of commits, whose records are then delivered again (at
 * least once), never lost. Each partition reserves only a small first extent: fifty mostly idle
 * partitions must not reserve 4 MiB of disk each.
 */
export function offsetsLogConfig(segmentBytes: number): Partial<LogConfig> {
  return { flushMs: 1000, segmentBytes, preallocateBytes: 64 * 1024 };
}

export class LocalOffsetsTopic implements OffsetsPartitions {
  readonly partitionCount: number;
  private readonly logs: LogManager;
  private readonly config: Partial<LogConfig>;
  private readonly wrap: (partition: number, log: PartitionLog) => Partition | Promise<Partition>;
  private readonly opened: (partitions: Partition[]) => void;
  private partitions: Partition[] | undefined;
  private creating: Promise<void> | undefined;

  /**
   * `wrap` makes the broker's Partition of a log; `opened` is told once the topic exists
   * (the broker lists it and serves reads of it).
   */
  constructor(logs: LogManager, partitionCount: number, config: Partial<LogConfig>, wrap: (partition: number, log: PartitionLog) => Partition | Promise<Partition>, opened: (partitions: Partition[]) => void) {
    this.logs = logs;
    this.partitionCount = partitionCount;
    this.config = config;
    this.wrap = wrap;
    this.opened = opened;
  }

  /** True once the topic's folders are open. */
  get exists(): boolean {
    return this.partitions !== undefined;
  }

  /** Opens the topic if a former run created it (its partition 0 folder is there). */
  async openIfPresent(): Promise<void> {
    if (this.logs.listNames().includes(partitionLogName(CONSUMER_OFFSETS_TOPIC, 0))) await this.ensureCreated();
  }

  partition(p: number): Partition | undefined {
    return this.partitions?.[p];
  }

  /** Opens (creating if needed) every partition's folder; one attempt at a time, retried after a failure. */
  ensureCreated(): Promise<void> {
    if (this.partitions) return Promise.resolve();
    this.creating ??= (async () => {
      const partitions: Partition[] = [];
      for (let p = 0; p < this.partitionCount; p++) {
        // Opening a log does not reach the event loop on its own: let sockets and timers in between.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const log = await this.logs.open(partitionLogName(CONSUMER_OFFSETS_TOPIC, p), this.config);
        partitions.push(await this.wrap(p, log));
      }
      this.partitions = partitions;
      this.opened(partitions);
    })().finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }
}

export class ClusterOffsetsTopic implements OffsetsPartitions {
  readonly partitionCount: number;
  private readonly member: ClusterMember;
  private readonly replicationFactor: number;
  private readonly configs: Record<string, string>;
  private readonly local: (p: number) => Partition | undefined;
  private readonly settled: () => Promise<void>;
  private readonly replicated: (replica: Partition, records: Buffer) => Promise<void>;
  private creating: Promise<void> | undefined;

  constructor(options: {
    member: ClusterMember;
    partitionCount: number;
    replicationFactor: number;
    configs: Record<string, string>;
    /** This broker's replica of partition p, if open. */
    local: (p: number) => Partition | undefined;
    /** Resolves once the broker has applied every cluster change seen so far (replicas opened). */
    settled: () => Promise<void>;
    /** Appends to this broker's led replica with acks -1: resolves once the HW passed the records. */
    produce: (replica: Partition, records: Buffer) => Promise<void>;
  }) {
    this.member = options.member;
    this.partitionCount = options.partitionCount;
    this.replicationFactor = options.replicationFactor;
    this.configs = options.configs;
    this.local = options.local;
    this.settled = options.settled;
    this.replicated = options.produce;
  }

  get exists(): boolean {
    return this.member.cache.topic(CONSUMER_OFFSETS_TOPIC) !== undefined;
  }

  /** A commit is answered only once replicated (Kafka's coordinator appends with acks -1 too). */
  produce(partition: Partition, records: Buffer): Promise<void> {
    return this.replicated(partition, records);
  }

  partition(p: number): Partition | undefined {
    return this.local(p);
  }

  /**
   * Creates the topic through etcd unless it exists: replicas spread over the live brokers as
   * for any topic, the replication factor capped by how many are alive (Kafka refuses to create
   * it with fewer brokers than the factor; a cluster that starts with one broker would then have
   * no groups at all). Another broker creating it at the same time is fine.
   */
  ensureCreated(): Promise<void> {
    if (this.exists) return Promise.resolve();
    this.creating ??= (async () => {
      const live = this.member.cache.liveBrokerIds().size;
      if (live === 0) throw new SkeinError('SKEIN_COORDINATOR_NOT_AVAILABLE', 'no live broker to hold __consumer_offsets yet');
      try {
        await this.member.createTopic({
          name: CONSUMER_OFFSETS_TOPIC,
          partitions: this.partitionCount,
          replicationFactor: Math.max(1, Math.min(this.replicationFactor, live)),
          configs: this.configs,
        });
      } catch (err) {
        if (!(err instanceof SkeinError && err.code === 'SKEIN_TOPIC_ALREADY_EXISTS')) throw err;
        // Created by another broker and not yet seen through the watch: read it now.
        await this.member.refresh();
      }
      await this.settled();
    })().finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  /** The leader the cluster records for partition p: a node id, NO_LEADER (-1), or undefined while the topic does not exist. */
  leaderOf(p: number): number | undefined {
    const state = this.member.cache.partition(CONSUMER_OFFSETS_TOPIC, p);
    return state ? state.leader : undefined;
  }

  /** Whether this broker may coordinate the groups of partition p now: the recorded leader, a live session, the replica open. */
  leads(p: number): boolean {
    const leader = this.leaderOf(p);
    return leader !== undefined && leader !== NO_LEADER && leader === this.member.nodeId && this.member.sessionActive && this.local(p) !== undefined;
  }
}
