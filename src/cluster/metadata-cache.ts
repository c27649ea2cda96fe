/**
 * What this broker knows of the cluster: live brokers, topics and each partition's agreed
 * state, as last read from etcd (Kafka's MetadataCache). Filled by a full read at start and
 * after every reconnect of the watch, then kept current by the watch's puts and deletes, each
 * applied only if its mod revision is newer than what the cache holds (a re-read racing a watch
 * event never moves the cache backwards).
 *
 * Plain data, no etcd: the ClusterMember feeds it. Read-only for everyone else.
 */
import {
  BROKERS,
  PARTITIONS,
  TOPICS,
  parsePartitionKey,
} from './cluster-keys.js';
import {
  parsePartitionState,
  parseTopicAssignment,
  type TopicAssignment,
  type VersionedPartitionState,
} from './partition-state.js';

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
}

export type CacheChange =
  | { kind: 'broker'; nodeId: number; endpoint: BrokerEndpoint | undefined }
  | { kind: 'topic'; topic: string; assignment: TopicAssignment | undefined }
  | { kind: 'partition'; state: VersionedPartitionState }
  | { kind: 'partitionDeleted'; topic: string; partition: number };

export class MetadataCache {
  private readonly brokerMap = new Map<number, { endpoint: BrokerEndpoint; revision: number }>();
  private readonly topicMap = new Map<string, { assignment: TopicAssignment; revision: number }>();
  private readonly partitionMap = new Map<string, VersionedPartitionState>();
  /** Highest mod revision applied per key, deletes included (so a late put cannot resurrect). */
  private readonly seen = new Map<string, number>();
  private warnings: (message: string) => void;

  constructor(onWarning: (message: string) => void = () => {}) {
    this.warnings = onWarning;
  }

  brokers(): BrokerEndpoint[] {
    return [...this.brokerMap.values()].map((b) => b.endpoint).sort((a, b) => a.nodeId - b.nodeId);
  }

  broker(nodeId: number): BrokerEndpoint | undefined {
    return this.brokerMap.get(nodeId)?.endpoint;
  }

  liveBrokerIds(): Set<number> {
    return new Set(this.brokerMap.keys());
  }

  topics(): string[] {
    return [...this.topicMap.keys()].sort();
  }

  topic(name: string): TopicAssignment | undefined {
    return this.topicMap.get(name)?.assignment;
  }

  topicVersion(name: string): number | undefined {
    return this.topicMap.get(name)?.revision;
  }

  partition(topic: string, partition: number): VersionedPartitionState | undefined {
    return this.partitionMap.get(`${topic}/${partition}`);
  }

  partitions(topic?: string): VersionedPartitionState[] {
    const all = [...this.partitionMap.values()];
    return (topic === undefined ? all : all.filter((p) => p.topic === topic)).sort((a, b) =>
      a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
    );
  }

  /** A full read: replaces everything with `entries` (key relative to the prefix, value, mod revision). */
  reset(entries: { key: string; value: string; modRevision: number }[], revision: number): CacheChange[] {
    const keep = new Set(entries.map((e) => e.key));
    const changes: CacheChange[] = [];
    for (const key of this.knownKeys()) {
      if (!keep.has(key)) {
        const change = this.remove(key, revision);
        if (change) changes.push(change);
      }
    }
    for (const entry of entries) {
      const change = this.put(entry.key, entry.value, entry.modRevision);
      if (change) changes.push(change);
    }
    return changes;
  }

  /** A put seen on the watch (or read back after a write); ignored if not newer. */
  put(key: string, value: string, modRevision: number): CacheChange | undefined {
    if ((this.seen.get(key) ?? 0) >= modRevision) return undefined;
    this.seen.set(key, modRevision);
    try {
      if (key.startsWith(BROKERS)) {
        const nodeId = Number(key.slice(BROKERS.length));
        const parsed = JSON.parse(value) as Partial<BrokerEndpoint>;
        if (!Number.isInteger(nodeId) || typeof parsed.host !== 'string' || !Number.isInteger(parsed.port)) {
          this.warnings(`ignoring malformed broker registration at ${key}`);
          return undefined;
        }
        const endpoint = { nodeId, host: parsed.host, port: parsed.port! };
        this.brokerMap.set(nodeId, { endpoint, revision: modRevision });
        return { kind: 'broker', nodeId, endpoint };
      }
      if (key.startsWith(TOPICS)) {
        const topic = key.slice(TOPICS.length);
        const assignment = parseTopicAssignment(value, key);
        this.topicMap.set(topic, { assignment, revision: modRevision });
        return { kind: 'topic', topic, assignment };
      }
      const where = parsePartitionKey(key);
      if (where) {
        const state: VersionedPartitionState = { ...parsePartitionState(value, key), topic: where[0], partition: where[1], version: modRevision };
        this.partitionMap.set(`${where[0]}/${where[1]}`, state);
        return { kind: 'partition', state };
      }
    } catch (err) {
      this.warnings(`ignoring unreadable cluster state at ${key}: ${(err as Error).message}`);
    }
    return undefined;
  }

  /** A delete seen on the watch at `revision`. */
  remove(key: string, revision: number): CacheChange | undefined {
    if ((this.seen.get(key) ?? 0) > revision) return undefined;
    this.seen.set(key, revision);
    if (key.startsWith(BROKERS)) {
      const nodeId = Number(key.slice(BROKERS.length));
      if (!this.brokerMap.delete(nodeId)) return undefined;
      return { kind: 'broker', nodeId, endpoint: undefined };
    }
    if (key.startsWith(TOPICS)) {
      const topic = key.slice(TOPICS.length);
      if (!this.topicMap.delete(topic)) return undefined;
      return { kind: 'topic', topic, assignment: undefined };
    }
    const where = parsePartitionKey(key);
    if (where && this.partitionMap.delete(`${where[0]}/${where[1]}`)) {
      return { kind: 'partitionDeleted', topic: where[0], partition: where[1] };
    }
    return undefined;
  }

  private knownKeys(): string[] {
    return [
      ...[...this.brokerMap.keys()].map((id) => `${BROKERS}${id}`),
      ...[...this.topicMap.keys()].map((t) => `${TOPICS}${t}`),
      ...[...this.partitionMap.values()].map((p) => `${PARTITIONS}${p.topic}/${p.partition}`),
    ];
  }
}
