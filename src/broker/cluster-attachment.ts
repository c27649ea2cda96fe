/**
 * A broker's membership of a cluster, once attached (Broker.attachCluster): the topic registry
 * follows the cluster state in etcd (ClusterTopics), Replication leads and follows this
 * broker's replicas, and the replication-offset-checkpoint file keeps their high watermarks
 * across restarts. Here too the local side of the cluster's decisions: a replica assigned to
 * this broker is opened (replicated: its HW moves with the followers, from the checkpointed
 * one) and registered; a topic deleted or a replica moved away is detached and its folder
 * deleted. A produce with acks -1 to a led replica waits here until the ISR has it.
 *
 * Lifecycle: made (synchronously, so the broker sees it at once) when the broker joins, then
 * `start` applies the cluster state; `close` with the broker, the HW checkpoint written last by
 * `closeCheckpoints` before the logs close. Event loop only. Replica changes run on the
 * broker's SerialQueue, with topic changes. No sockets, no file paths (folders by name
 * through the PartitionOpener).
 */
import type { ClusterMember } from '../cluster/cluster-member.js';
import type { LeaderEndpointFactory } from '../cluster/leader-endpoint.js';
import { Replication } from '../cluster/replication.js';
import type { LogConfig } from '../storage/log-config.js';
import type { Partition } from '../partition/partition.js';
import { ClusterTopics } from './cluster-topics.js';
import { HighWatermarkCheckpoints } from './high-watermark-checkpoints.js';
import type { FetchReader } from './fetch-reader.js';
import type { PartitionOpener } from './partition-opener.js';
import type { SerialQueue } from './serial-queue.js';
import { logConfigOf, type TopicConfigValues } from './topic-config.js';
import { CONSUMER_OFFSETS_TOPIC, isInternalTopic } from './topic-name.js';
import type { TopicRegistry } from './topic-registry.js';
import type { ProduceResult } from './types.js';

export interface ClusterAttachmentOptions {
  member: ClusterMember;
  /** Connects this broker to the leaders of the partitions it follows; without it its replicas never fetch. */
  leaderEndpoints?: LeaderEndpointFactory;
  /** The broker's data folder (the HW checkpoint file lives there). */
  dir: string;
  topics: TopicRegistry;
  partitions: PartitionOpener;
  queue: SerialQueue;
  topicDefaults: TopicConfigValues;
  /** Log settings of a replica of __consumer_offsets. */
  offsetsLogConfig: Partial<LogConfig>;
  /** Wakes fetches: followers' when a led replica is appended to, consumers' when a replica goes away. */
  reads: FetchReader;
  closed: () => boolean;
  warn: (message: string) => void;
  onWarning: ((message: string) => void) | undefined;
}

export class ClusterAttachment {
  /** The topic registry as the cluster has it (cluster-topics.ts). */
  readonly topics: ClusterTopics;
  /** Leads and follows this broker's replicas (src/cluster/replication.ts). */
  readonly replication: Replication;
  /** replication-offset-checkpoint (cluster only: a broker alone keeps its HW at its log end). */
  private readonly hwCheckpoints: HighWatermarkCheckpoints;
  private readonly options: ClusterAttachmentOptions;

  constructor(options: ClusterAttachmentOptions) {
    this.options = options;
    const { member, topics: registry, queue } = options;
    const replication = new Replication({
      member,
      leaderEndpoints: options.leaderEndpoints,
      replica: (topic, partition) => registry.replica(topic, partition),
      minInsyncReplicas: (topic) => Number(member.cache.topic(topic)?.configs['min.insync.replicas'] ?? member.options.minInsyncReplicas),
      onWarning: options.warn,
    });
    this.replication = replication;
    // Read before any replica opens: each starts with the HW it had (Kafka's ReplicaManager).
    this.hwCheckpoints = HighWatermarkCheckpoints.open({
      dir: options.dir,
      intervalMs: member.options.replicaHighWatermarkCheckpointIntervalMs,
      partitions: () => registry.allPartitions(),
      warn: options.warn,
    });
    this.topics = new ClusterTopics(member, {
      open: (topic, partition, configs) => queue.run(() => this.openReplica(topic, partition, configs)),
      has: (topic, partition) => registry.replica(topic, partition) !== undefined,
      deleteTopic: (topic) => queue.run(() => this.deleteLocalTopic(topic)),
      deleteReplica: (topic, partition) => queue.run(() => this.deleteLocalReplica(topic, partition)),
      setLeaderEpoch: (topic, partition, epoch) => {
        const state = registry.replica(topic, partition);
        if (state && epoch > state.leaderEpoch) state.leaderEpoch = epoch;
      },
      applied: (state) => replication.apply(state),
      onWarning: options.onWarning ?? (() => undefined),
    });
  }

  /** Applies the cluster state: this broker's replicas opened, led or followed. */
  start(): Promise<void> {
    return this.topics.syncAll();
  }

  /** Stops following the cluster; resolves once replication has stopped (never rejects). */
  close(): Promise<unknown> {
    this.topics.close();
    return this.replication.close().catch(() => undefined);
  }

  /** Clean shutdown: the HWs as they stand, written before the logs close. */
  closeCheckpoints(): void {
    this.hwCheckpoints.close();
  }

  /**
   * Appends with acks -1 to a replica this broker leads: refused with SKEIN_NOT_ENOUGH_REPLICAS
   * when the ISR is below min.insync.replicas, answered once the high watermark passed the
   * batch (or failed after `timeoutMs`).
   */
  async produce(replica: Partition, records: Buffer, timeoutMs?: number): Promise<ProduceResult> {
    this.replication.checkEnoughReplicas(replica);
    const result = await replica.produce(records, -1);
    await this.replication.waitForHighWatermark(replica, result.lastOffset + 1, timeoutMs);
    return result;
  }

  /** The synchronous part of produce with acks -1: `durable` also waits for the high watermark. */
  produceNow(replica: Partition, records: Buffer): { result: ProduceResult; durable: Promise<void> | undefined } {
    this.replication.checkEnoughReplicas(replica);
    const outcome = replica.produceNow(records, -1);
    const replicated = this.replication.waitForHighWatermark(replica, outcome.result.lastOffset + 1);
    return { result: outcome.result, durable: outcome.durable ? Promise.all([outcome.durable, replicated]).then(() => undefined) : replicated };
  }

  /** Opens this broker's replica of a cluster topic's partition (idempotent). */
  private async openReplica(name: string, partition: number, configs: TopicConfigValues): Promise<void> {
    const { topics: registry, partitions } = this.options;
    if (this.options.closed()) return;
    let topic = registry.get(name);
    if (!topic) {
      // Cluster topics live in etcd, not in the local metadata log: no local topic id.
      topic = { name, topicId: '', internal: isInternalTopic(name), configs, partitions: [] };
      registry.set(topic);
    }
    if (topic.partitions[partition]) return;
    const logConfig = name === CONSUMER_OFFSETS_TOPIC ? this.options.offsetsLogConfig : logConfigOf(configs, this.options.topicDefaults);
    const replica = await partitions.open(name, partition, logConfig);
    // Replicated: the HW moves as followers catch up, and followers' long polls wake on appends.
    replica.followLogEnd = false;
    // Not at the log end: what lies beyond the checkpointed HW was never known to be on the ISR.
    replica.restoreHighWatermark(this.hwCheckpoints.highWatermarkOf(name, partition));
    replica.on('appended', () => this.options.reads.wakeFollowers(replica));
    topic.partitions[partition] = replica;
    // Observers (metrics) count the partitions of user topics only.
    if (!topic.internal) registry.tellAdded([replica]);
  }

  private async deleteLocalTopic(name: string): Promise<void> {
    const topic = this.options.topics.get(name);
    if (!topic || topic.internal || this.options.closed()) return;
    // The registry tells observers (metrics) of each replica it held.
    for (const p of this.options.topics.delete(name)) await this.retire(p);
  }

  /** Deletes this broker's replica of one cluster partition (moved to other brokers by a reassignment). */
  private async deleteLocalReplica(name: string, partition: number): Promise<void> {
    if (this.options.topics.get(name)?.internal || this.options.closed()) return;
    // The registry tells observers (metrics), as for a deleted topic.
    const p = this.options.topics.deleteReplica(name, partition);
    if (p) await this.retire(p);
  }

  /** A replica this broker no longer holds: replication forgets it, fetches waiting on it wake, its folder goes. */
  private retire(p: Partition): Promise<void> {
    this.replication.forget(p);
    p.detach();
    this.options.reads.wakeReaders(p);
    return this.options.partitions.delete(p.topic, p.partition);
  }
}
