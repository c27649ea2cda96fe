/**
 * The options a Broker opens with (Broker.open): its data folder, node id, topic defaults and
 * limits, the retention and cleaner schedules, __consumer_offsets and group settings, the
 * worker pool. Each part of the broker reads the settings that concern it; the ones that could
 * stop it opening halfway are checked here first. No state, no I/O; knows nothing of what the
 * settings drive.
 */
import { SkeinError } from '../errors.js';
import type { MappingLru } from '../storage/mapping-lru.js';
import type { WorkerPool } from '../workers/pool.js';
import { partitionLimitsOf } from './partition-limits.js';
import type { TopicChange } from './topic-admin.js';

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
   * { size, tasksInFlight, niceness } for a new one (default size: the cores less one; threads
   * start on first use; tasksInFlight: tasks handed ahead to a thread, default 32; niceness:
   * the threads' nice value on Linux, default 10, below the event loop), or false for none: all
   * work inline on the event loop.
   */
  workerPool?: WorkerPool | { size?: number; tasksInFlight?: number; niceness?: number } | false;
  /** Told of each topic created or deleted, partitions added and configs changed (one log line each). */
  onTopicChange?: (change: TopicChange) => void;
}

/** Refuses options Broker.open cannot work with, before anything is opened. */
export function validateBrokerOptions(options: BrokerOptions): void {
  if (!options || typeof options.dir !== 'string') {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'Broker.open needs { dir }');
  }
  const numPartitions = options.numPartitions ?? 1;
  if (!Number.isInteger(numPartitions) || numPartitions < 1) {
    throw new SkeinError('SKEIN_INVALID_PARTITIONS', `numPartitions must be a positive integer, got ${String(numPartitions)}`);
  }
  partitionLimitsOf(options);
}
