/**
 * What this broker knows of the cluster: live brokers (with their registration epoch and data
 * folder id), topics and each partition's agreed state, brokers in controlled shutdown, the
 * registrations the controller accepted and the reassignments in progress, as last read from
 * etcd (Kafka's MetadataCache). Filled by a full read at start and
 * after every reconnect of the watch, then kept current by the watch's puts and deletes, each
 * applied only if its mod revision is newer than what the cache holds (a re-read racing a watch
 * event never moves the cache backwards).
 *
 * Plain data, no etcd: the ClusterMember feeds it. Read-only for everyone else.
 */
import {
  BROKERS,
  BROKER_EPOCHS,
  PARTITIONS,
  REASSIGNMENTS,
  SHUTDOWN,
  TOPICS,
  parseNodeKey,
  parsePartitionKey,
  parseReassignmentKey,
} from './cluster-keys.js';
import { parseReassignment, type Reassignment } from './reassignment.js';
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

/**
 * One registration of a broker: its epoch is the create revision of its `brokers/<id>` key
 * (Kafka's broker epoch, the czxid of its ZooKeeper node), new at every start and every
 * re-join; `directoryId` names its data folder (a new folder, a new id).
 */
export interface BrokerRegistration {
  epoch: number;
  directoryId: string;
}

export type CacheChange =
  | { kind: 'broker'; nodeId: number; endpoint: BrokerEndpoint | undefined }
  | { kind: 'shutdown'; nodeId: number; requested: boolean }
  | { kind: 'brokerEpoch'; nodeId: number }
  | { kind: 'reassignment'; topic: string; partition: number; reassignment: Reassignment | undefined }
  | { kind: 'topic'; topic: string; assignment: TopicAssignment | undefined }
  | { kind: 'partition'; state: VersionedPartitionState }
  | { kind: 'partitionDeleted'; topic: string; partition: number };

export class MetadataCache {
  private readonly brokerMap = new Map<number, { endpoint: BrokerEndpoint; revision: number; registration: BrokerRegistration }>();
  private readonly shutdownSet = new Set<number>();
  private readonly acceptedEpochs = new Map<number, BrokerRegistration>();
  private readonly reassignmentMap = new Map<string, { reassignment: Reassignment; revision: number }>();
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

  /** The current registration of a live broker (epoch and data folder id). */
  registration(nodeId: number): BrokerRegistration | undefined {
    return this.brokerMap.get(nodeId)?.registration;
  }

  /** The registration the controller last accepted for a broker (`broker-epochs/<id>`). */
  acceptedRegistration(nodeId: number): BrokerRegistration | undefined {
    return this.acceptedEpochs.get(nodeId);
  }

  /** Live brokers that asked for a controlled shutdown. */
  shuttingDown(): Set<number> {
    return new Set([...this.shutdownSet].filter((id) => this.brokerMap.has(id)));
  }

  reassignment(topic: string, partition: number): Reassignment | undefined {
    return this.reassignmentMap.get(`${topic}/${partition}`)?.reassignment;
  }

  /** The mod revision of a reassignment's key (its compare-and-set token). */
  reassignmentVersion(topic: string, partition: number): number | undefined {
    return this.reassignmentMap.get(`${topic}/${partition}`)?.revision;
  }

  /** Every reassignment in progress, as [topic, partition, reassignment], sorted. */
  reassignments(): Array<{ topic: string; partition: number; reassignment: Reassignment }> {
    return [...this.reassignmentMap.entries()]
      .map(([key, { reassignment }]) => {
        const slash = key.lastIndexOf('/');
        return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)), reassignment };
      })
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
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
  reset(entries: { key: string; value: string; modRevision: number; createRevision?: number }[], revision: number): CacheChange[] {
    const keep = new Set(entries.map((e) => e.key));
    const changes: CacheChange[] = [];
    for (const key of this.knownKeys()) {
      if (!keep.has(key)) {
        const change = this.remove(key, revision);
        if (change) changes.push(change);
      }
    }
    for (const entry of entries) {
      const change = this.put(entry.key, entry.value, entry.modRevision, entry.createRevision);
      if (change) changes.push(change);
    }
    return changes;
  }

  /** A put seen on the watch (or read back after a write); ignored if not newer. */
  put(key: string, value: string, modRevision: number, createRevision = modRevision): CacheChange | undefined {
    if ((this.seen.get(key) ?? 0) >= modRevision) return undefined;
    this.seen.set(key, modRevision);
    try {
      if (key.startsWith(BROKERS)) {
        const nodeId = Number(key.slice(BROKERS.length));
        const parsed = JSON.parse(value) as Partial<BrokerEndpoint> & { directoryId?: string };
        if (!Number.isInteger(nodeId) || typeof parsed.host !== 'string' || !Number.isInteger(parsed.port)) {
          this.warnings(`ignoring malformed broker registration at ${key}`);
          return undefined;
        }
        const endpoint = { nodeId, host: parsed.host, port: parsed.port! };
        const registration = { epoch: createRevision, directoryId: typeof parsed.directoryId === 'string' ? parsed.directoryId : '' };
        this.brokerMap.set(nodeId, { endpoint, revision: modRevision, registration });
        return { kind: 'broker', nodeId, endpoint };
      }
      const shutdown = parseNodeKey(SHUTDOWN, key);
      if (shutdown !== undefined) {
        this.shutdownSet.add(shutdown);
        return { kind: 'shutdown', nodeId: shutdown, requested: true };
      }
      const accepted = parseNodeKey(BROKER_EPOCHS, key);
      if (accepted !== undefined) {
        const parsed = JSON.parse(value) as Partial<BrokerRegistration>;
        if (!Number.isInteger(parsed.epoch)) throw new Error('no epoch');
        this.acceptedEpochs.set(accepted, { epoch: parsed.epoch!, directoryId: typeof parsed.directoryId === 'string' ? parsed.directoryId : '' });
        return { kind: 'brokerEpoch', nodeId: accepted };
      }
      const moving = parseReassignmentKey(key);
      if (moving) {
        const reassignment = parseReassignment(value, key);
        this.reassignmentMap.set(`${moving[0]}/${moving[1]}`, { reassignment, revision: modRevision });
        return { kind: 'reassignment', topic: moving[0], partition: moving[1], reassignment };
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
    const shutdown = parseNodeKey(SHUTDOWN, key);
    if (shutdown !== undefined) {
      if (!this.shutdownSet.delete(shutdown)) return undefined;
      return { kind: 'shutdown', nodeId: shutdown, requested: false };
    }
    const accepted = parseNodeKey(BROKER_EPOCHS, key);
    if (accepted !== undefined) {
      if (!this.acceptedEpochs.delete(accepted)) return undefined;
      return { kind: 'brokerEpoch', nodeId: accepted };
    }
    const moving = parseReassignmentKey(key);
    if (moving) {
      if (!this.reassignmentMap.delete(`${moving[0]}/${moving[1]}`)) return undefined;
      return { kind: 'reassignment', topic: moving[0], partition: moving[1], reassignment: undefined };
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
      ...[...this.shutdownSet].map((id) => `${SHUTDOWN}${id}`),
      ...[...this.acceptedEpochs.keys()].map((id) => `${BROKER_EPOCHS}${id}`),
      ...[...this.reassignmentMap.keys()].map((key) => `${REASSIGNMENTS}${key}`),
    ];
  }
}
