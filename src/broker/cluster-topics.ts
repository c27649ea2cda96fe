/**
 * The topic registry of a broker that is part of a cluster: topics, their partition counts,
 * replicas, leaders, ISR and leader epochs come from the cluster state in etcd (through the
 * ClusterMember's MetadataCache), not from this broker's own metadata log. The broker opens a
 * local log only for the partitions it holds a replica of, and answers data requests only for
 * the partitions it leads (SKEIN_NOT_LEADER_OR_FOLLOWER otherwise, so clients refresh their
 * metadata and go to the leader; SKEIN_LEADER_NOT_AVAILABLE while a partition has no leader).
 *
 * Each partition state it applies is then handed to the broker's Replication (`applied`), which
 * takes the role it gives this broker (lead, follow, neither).
 *
 * Lifecycle: made by Broker.attachCluster once the broker listens and has joined; follows the
 * member's `change` events until the broker closes. Runs on the event loop. No sockets, no
 * files: opening and deleting logs goes through the callbacks the broker passes in.
 */
import { SkeinError } from '../errors.js';
import type { ClusterMember, CacheChange } from '../cluster/cluster-member.js';
import { NO_LEADER, type VersionedPartitionState } from '../cluster/partition-state.js';
import type { BrokerDescription, PartitionDescription } from './types.js';

export interface LocalReplicas {
  /** Opens (or finds) this broker's log and Partition for a replica; idempotent. */
  open(topic: string, partition: number, configs: Record<string, string>): Promise<void>;
  /** Whether this broker has the replica open. */
  has(topic: string, partition: number): boolean;
  /** Deletes this broker's replicas of a topic that the cluster deleted. */
  deleteTopic(topic: string): Promise<void>;
  /** Deletes this broker's replica of one partition (a reassignment moved it elsewhere). */
  deleteReplica(topic: string, partition: number): Promise<void>;
  /** The replica's leader epoch follows the cluster's. */
  setLeaderEpoch(topic: string, partition: number, leaderEpoch: number): void;
  /** Told every state of a partition this broker has a replica of, once applied (replication takes its role from it). */
  applied?(state: VersionedPartitionState): void;
  onWarning(message: string): void;
}

export class ClusterTopics {
  readonly member: ClusterMember;
  private readonly local: LocalReplicas;
  /** Local replica work runs one change at a time, in the order etcd reported them. */
  private queue: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(member: ClusterMember, local: LocalReplicas) {
    this.member = member;
    this.local = local;
    const onChange = (change: CacheChange) => this.enqueue(() => this.apply(change));
    member.on('change', onChange);
    this.unsubscribe = () => member.off('change', onChange);
  }

  /** Opens every replica the cluster assigns to this broker (at attach, and after a re-read). */
  syncAll(): Promise<void> {
    return this.enqueue(async () => {
      for (const state of this.member.cache.partitions()) await this.applyPartition(state);
    });
  }

  /** Waits until every change seen so far has been applied locally. */
  settled(): Promise<void> {
    return this.enqueue(async () => {});
  }

  close(): void {
    this.unsubscribe();
  }

  get nodeId(): number {
    return this.member.nodeId;
  }

  brokers(): BrokerDescription[] {
    return this.member.cache.brokers();
  }

  /** The controller's id, or -1 while none is elected (Metadata's controllerId). */
  controllerId(): number {
    return this.member.controllerId ?? -1;
  }

  topics(): string[] {
    return this.member.cache.topics();
  }

  hasTopic(name: string): boolean {
    return this.member.cache.topic(name) !== undefined;
  }

  partitionCount(name: string): number {
    const topic = this.member.cache.topic(name);
    if (!topic) throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `unknown topic ${name}`, { topic: name });
    return topic.partitions.length;
  }

  configs(name: string): Record<string, string> | undefined {
    return this.member.cache.topic(name)?.configs;
  }

  /** Partitions with leader, replicas, ISR and leader epoch as the cluster agreed them. */
  describe(name: string): Array<Omit<PartitionDescription, 'logStartOffset' | 'highWatermark' | 'sizeBytes' | 'segments'> & { leaderEpoch: number }> {
    const count = this.partitionCount(name);
    const out = [];
    for (let p = 0; p < count; p++) {
      const state = this.member.cache.partition(name, p);
      out.push({
        partition: p,
        leader: state?.leader ?? NO_LEADER,
        leaderEpoch: state?.leaderEpoch ?? 0,
        replicas: state?.replicas ?? [],
        isr: state?.isr ?? [],
      });
    }
    return out;
  }

  /**
   * Throws unless this broker may serve produce and fetch for the partition now: it must be
   * the leader the cluster recorded, hold the replica, and have a live session (a broker that
   * lost its lease may already have been replaced and must not acknowledge).
   */
  checkLeader(topic: string, partition: number): void {
    const state = this.member.cache.partition(topic, partition);
    if (!state) {
      throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    if (state.leader === NO_LEADER) {
      throw new SkeinError('SKEIN_LEADER_NOT_AVAILABLE', `${topic}-${partition} has no leader (no in-sync replica is alive)`, { topic, partition });
    }
    // A state written before this broker's current registration names an earlier incarnation
    // (before a restart or a lost session): the controller re-decides it, and until then this
    // broker does not lead (src/cluster/controller-decisions.ts, restarts).
    const fromThisIncarnation = state.version > this.member.brokerEpoch;
    if (state.leader !== this.nodeId || !fromThisIncarnation || !this.member.sessionActive || !this.local.has(topic, partition)) {
      throw new SkeinError('SKEIN_NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} does not lead ${topic}-${partition} (leader: ${state.leader})`, {
        topic,
        partition,
        leader: state.leader,
      });
    }
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.queue.then(work).catch((err: unknown) => {
      this.local.onWarning(`cluster change not applied: ${(err as Error).message}`);
    });
    this.queue = next;
    return next;
  }

  private async apply(change: CacheChange): Promise<void> {
    if (change.kind === 'partition') await this.applyPartition(change.state);
    else if (change.kind === 'topic' && change.assignment === undefined) await this.local.deleteTopic(change.topic);
  }

  private async applyPartition(state: VersionedPartitionState): Promise<void> {
    if (!state.replicas.includes(this.nodeId)) {
      // Reassigned away (KIP-455's removing replicas): it stops leading or following, then the local copy goes.
      if (this.local.has(state.topic, state.partition)) {
        this.local.applied?.(state);
        await this.local.deleteReplica(state.topic, state.partition);
      }
      return;
    }
    const configs = this.member.cache.topic(state.topic)?.configs ?? {};
    await this.local.open(state.topic, state.partition, configs);
    this.local.setLeaderEpoch(state.topic, state.partition, state.leaderEpoch);
    this.local.applied?.(state);
  }
}
