/**
 * The settings of a broker that joins a cluster, with Kafka's names and defaults where Kafka
 * has one. Validated once here, so the rest of src/cluster/ reads plain numbers.
 */
import { SkeinError } from '../errors.js';

export interface ClusterOptions {
  /** broker.id / node.id: unique in the cluster; a second live broker with it fails to start. */
  nodeId: number;
  /** etcd client URLs (`http://127.0.0.1:2379`), an array or one comma-separated string. */
  etcd: string | string[];
  /** Key prefix in etcd, so several clusters can share one etcd. Default `/skein/`. */
  prefix?: string;
  /** How long this broker's etcd lease lives without keep-alives (rounded up to whole seconds, etcd's unit). Default 10000. */
  sessionTimeoutMs?: number;
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. Default 30000. */
  replicaLagTimeMaxMs?: number;
  /** replica.high.watermark.checkpoint.interval.ms: how often the HWs are written to `replication-offset-checkpoint` (also at clean shutdown). Default 5000. */
  replicaHighWatermarkCheckpointIntervalMs?: number;
  /** default.replication.factor for topics created without one. Default 1 (Kafka's). */
  defaultReplicationFactor?: number;
  /** min.insync.replicas for topics that do not set it. Default 1 (Kafka's). */
  minInsyncReplicas?: number;
  /** unclean.leader.election.enable: elect an out-of-sync replica when no ISR member lives (can lose acknowledged records). Default false. */
  uncleanLeaderElection?: boolean;
  /** auto.leader.rebalance.enable: the controller moves leadership back to preferred replicas (first in the replica list) when brokers are imbalanced. Default true. */
  autoLeaderRebalanceEnable?: boolean;
  /** leader.imbalance.check.interval.seconds: how often the controller checks the imbalance. Default 300. */
  leaderImbalanceCheckIntervalSeconds?: number;
  /** leader.imbalance.per.broker.percentage: the share (0-100) of a broker's preferred partitions led elsewhere that triggers a rebalance. Default 10. */
  leaderImbalancePerBrokerPercentage?: number;
  /** controlled.shutdown.enable: on close, ask the controller to move this broker's leaderships first. Default true. */
  controlledShutdownEnable?: boolean;
  /** controlled.shutdown.max.retries: how many times close asks again while partitions it leads could still move. Default 3. */
  controlledShutdownMaxRetries?: number;
  /** controlled.shutdown.retry.backoff.ms: how long each ask waits for the controller before asking again. Default 5000. */
  controlledShutdownRetryBackoffMs?: number;
}

export interface ResolvedClusterOptions {
  nodeId: number;
  etcdHosts: string[];
  prefix: string;
  sessionTimeoutMs: number;
  replicaLagTimeMaxMs: number;
  replicaHighWatermarkCheckpointIntervalMs: number;
  defaultReplicationFactor: number;
  minInsyncReplicas: number;
  uncleanLeaderElection: boolean;
  autoLeaderRebalanceEnable: boolean;
  leaderImbalanceCheckIntervalSeconds: number;
  leaderImbalancePerBrokerPercentage: number;
  controlledShutdownEnable: boolean;
  controlledShutdownMaxRetries: number;
  controlledShutdownRetryBackoffMs: number;
}

function positiveInteger(value: unknown, name: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `cluster.${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

function percentage(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `cluster.${name} must be an integer in [0, 100], got ${String(value)}`);
  }
  return value;
}

export function resolveClusterOptions(options: ClusterOptions): ResolvedClusterOptions {
  if (!options || typeof options !== 'object') throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'cluster options must be an object { nodeId, etcd }');
  const nodeId = options.nodeId;
  if (typeof nodeId !== 'number' || !Number.isInteger(nodeId) || nodeId < 0 || nodeId > 0x7fffffff) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `cluster.nodeId must be an integer in [0, 2^31), got ${String(nodeId)}`);
  }
  const hosts = (Array.isArray(options.etcd) ? options.etcd : String(options.etcd ?? '').split(','))
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  if (hosts.length === 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'cluster.etcd needs at least one etcd URL (http://host:port)');
  for (const host of hosts) {
    if (!/^https?:\/\/[^/\s]+$/.test(host)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `cluster.etcd: "${host}" is not an http(s)://host:port URL`);
  }
  let prefix = options.prefix ?? '/skein/';
  if (typeof prefix !== 'string' || prefix.length === 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'cluster.prefix must be a non-empty string');
  if (!prefix.endsWith('/')) prefix += '/';
  return {
    nodeId,
    etcdHosts: hosts,
    prefix,
    sessionTimeoutMs: positiveInteger(options.sessionTimeoutMs, 'sessionTimeoutMs', 10_000, 1000),
    replicaLagTimeMaxMs: positiveInteger(options.replicaLagTimeMaxMs, 'replicaLagTimeMaxMs', 30_000),
    replicaHighWatermarkCheckpointIntervalMs: positiveInteger(options.replicaHighWatermarkCheckpointIntervalMs, 'replicaHighWatermarkCheckpointIntervalMs', 5000),
    defaultReplicationFactor: positiveInteger(options.defaultReplicationFactor, 'defaultReplicationFactor', 1),
    minInsyncReplicas: positiveInteger(options.minInsyncReplicas, 'minInsyncReplicas', 1),
    uncleanLeaderElection: options.uncleanLeaderElection === true,
    autoLeaderRebalanceEnable: options.autoLeaderRebalanceEnable !== false,
    leaderImbalanceCheckIntervalSeconds: positiveInteger(options.leaderImbalanceCheckIntervalSeconds, 'leaderImbalanceCheckIntervalSeconds', 300),
    leaderImbalancePerBrokerPercentage: percentage(options.leaderImbalancePerBrokerPercentage, 'leaderImbalancePerBrokerPercentage', 10),
    controlledShutdownEnable: options.controlledShutdownEnable !== false,
    controlledShutdownMaxRetries: positiveInteger(options.controlledShutdownMaxRetries, 'controlledShutdownMaxRetries', 3, 0),
    controlledShutdownRetryBackoffMs: positiveInteger(options.controlledShutdownRetryBackoffMs, 'controlledShutdownRetryBackoffMs', 5000, 0),
  };
}
