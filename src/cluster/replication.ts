/**
 * Replication on one broker of a cluster (Kafka's ReplicaManager, reduced to what Skein
 * needs): for every partition this broker holds a replica of, it plays the role the cluster
 * state in etcd gives it.
 *
 * - **Leader**: a ReplicaTracker learns each follower's log end offset from its fetches
 *   (`onFollowerFetch`, called by the broker before it reads for a replica), and the high
 *   watermark moves to the minimum LEO over the ISR etcd recorded (`Partition.setHighWatermark`;
 *   `followLogEnd` is off on every replica of a cluster). A follower that reaches the HW joins
 *   the ISR; one not caught up for `replicaLagTimeMaxMs` leaves it (checked every half of it):
 *   both are compare-and-set writes of the partition state (Kafka's AlterPartition; a lost
 *   race re-reads and tries again on the next fetch or tick), and the tracker counts a replica
 *   only once etcd has it. `acks=all` produces wait here for the HW to pass their last offset
 *   (`waitForHighWatermark`: a purgatory woken by the partition's `highWatermark` event).
 * - **Follower**: the partition joins the ReplicaFetcher of its leader broker (one per leader,
 *   over a LeaderEndpoint made by the factory the broker was given), after truncating what the
 *   leader may lack (`becomeFollower`).
 * - **Neither** (no leader, or the leader's registration is gone): idle until etcd changes.
 *
 * Lifecycle: made by Broker.attachCluster; `apply` is called for every partition state the
 * broker's ClusterTopics applies (after the replica is open), `close` when the broker closes.
 * Runs on the event loop. Knows Partitions and the ClusterMember, no Kafka types, no sockets.
 */
import { SkeinError } from '../errors.js';
import type { Partition } from '../partition/partition.js';
import type { ClusterMember } from './cluster-member.js';
import type { LeaderEndpointFactory } from './leader-endpoint.js';
import { NO_LEADER, type VersionedPartitionState } from './partition-state.js';
import { ReplicaFetcher } from './replica-fetcher.js';
import { ReplicaTracker } from './replica-tracker.js';

export interface ReplicationOptions {
  member: ClusterMember;
  /** Connections to leaders; without one this broker never follows (its replicas stay where they are). */
  leaderEndpoints: LeaderEndpointFactory | undefined;
  /** The open replica of a partition on this broker, if any. */
  replica(topic: string, partition: number): Partition | undefined;
  /** min.insync.replicas of a topic (its config, else the cluster's default). */
  minInsyncReplicas(topic: string): number;
  /** Long-poll time of follower fetches. Default 500. */
  replicaFetchWaitMs?: number;
  onWarning(message: string): void;
}

interface HighWatermarkWaiter {
  offset: number;
  resolve: () => void;
  reject: (err: SkeinError) => void;
  timer: NodeJS.Timeout;
}

/** A partition this broker leads, in one leader epoch. */
interface Led {
  topic: string;
  partition: number;
  replica: Partition;
  leaderEpoch: number;
  tracker: ReplicaTracker;
  /** Produces waiting for the high watermark, oldest first. */
  waiters: HighWatermarkWaiter[];
  /** An ISR change being written to etcd (one at a time). */
  isrWrite: Promise<void> | undefined;
  unsubscribe: Array<() => void>;
}

/** A partition this broker follows. */
interface Followed {
  leaderId: number;
  leaderEpoch: number;
}

const DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

export class Replication {
  private readonly member: ClusterMember;
  private readonly options: ReplicationOptions;
  private readonly led = new Map<string, Led>();
  private readonly followed = new Map<string, Followed>();
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Version (etcd mod revision) of the last state applied per partition: an older one is stale. */
  private readonly applied = new Map<string, number>();
  private readonly isrTimer: NodeJS.Timeout;
  private closed = false;

  constructor(options: ReplicationOptions) {
    this.options = options;
    this.member = options.member;
    const lagMs = this.member.options.replicaLagTimeMaxMs;
    // Kafka checks ISR expiry every replica.lag.time.max.ms / 2.
    this.isrTimer = setInterval(() => this.shrinkIsrs(), Math.max(50, Math.floor(lagMs / 2)));
    this.isrTimer.unref();
  }

  get nodeId(): number {
    return this.member.nodeId;
  }

  /**
   * Takes the role a partition state gives this broker. Called in etcd order for each state
   * of a partition this broker holds a replica of, after the replica is open.
   */
  apply(state: VersionedPartitionState): void {
    if (this.closed) return;
    const replica = this.options.replica(state.topic, state.partition);
    if (!replica) return;
    replica.followLogEnd = false;
    const key = replica.key;
    if ((this.applied.get(key) ?? -1) > state.version) return;
    this.applied.set(key, state.version);
    if (state.leader === this.nodeId && state.replicas.includes(this.nodeId)) {
      this.stopFollowing(key);
      const current = this.led.get(key);
      if (current && current.leaderEpoch === state.leaderEpoch && sameMembers(current.tracker, state)) {
        current.tracker.setIsr(state.isr);
        this.advanceHighWatermark(current);
        return;
      }
      if (current) this.stopLeading(key, 'its replicas changed');
      this.becomeLeader(state, replica);
      return;
    }
    this.stopLeading(key, `broker ${state.leader === NO_LEADER ? 'none' : state.leader} leads it now`);
    if (state.leader === NO_LEADER || !state.replicas.includes(this.nodeId)) {
      this.stopFollowing(key);
      return;
    }
    const current = this.followed.get(key);
    if (current && current.leaderId === state.leader && current.leaderEpoch === state.leaderEpoch) return;
    this.becomeFollower(state, replica);
  }

  /** The partition's replica on this broker is going away (topic deleted, broker closing). */
  forget(replica: Partition): void {
    this.applied.delete(replica.key);
    this.stopLeading(replica.key, 'its replica was removed');
    this.stopFollowing(replica.key);
  }

  /* ------------------------------- leader side ------------------------------- */

  /**
   * A follower fetch arrived for a partition this broker leads (before its read): the
   * follower's LEO is its fetch offset; the HW may move and the follower may join the ISR.
   * Throws SKEIN_NOT_LEADER_OR_FOLLOWER when `replicaId` holds no replica of it.
   */
  onFollowerFetch(replica: Partition, replicaId: number, fetchOffset: number): void {
    const led = this.led.get(replica.key);
    if (!led || led.tracker.followerLogEndOffset(replicaId) === undefined) {
      throw new SkeinError('SKEIN_NOT_LEADER_OR_FOLLOWER', `broker ${replicaId} is not a follower of ${replica.topic}-${replica.partition} led by ${this.nodeId}`, {
        topic: replica.topic,
        partition: replica.partition,
      });
    }
    led.tracker.onFollowerFetch(replicaId, fetchOffset, replica.logEndOffset, performance.now());
    this.advanceHighWatermark(led);
    const joining = led.tracker.caughtUpFollowers(replica.highWatermark);
    if (joining.length > 0) this.proposeIsr(led, [...led.tracker.isr, ...joining]);
  }

  /** Refuses an acks=all produce before anything is appended when the ISR is smaller than min.insync.replicas. */
  checkEnoughReplicas(replica: Partition): void {
    const led = this.led.get(replica.key);
    if (!led) {
      // etcd names this broker leader but it has not taken the role yet (its log is opening):
      // refuse before appending, so a retry cannot write the records twice.
      throw new SkeinError('SKEIN_NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} is not yet leading ${replica.topic}-${replica.partition}`, {
        topic: replica.topic,
        partition: replica.partition,
      });
    }
    const min = this.options.minInsyncReplicas(replica.topic);
    const isr = led.tracker.isr;
    if (isr.length < min) {
      throw new SkeinError('SKEIN_NOT_ENOUGH_REPLICAS', `${replica.topic}-${replica.partition} has ${isr.length} in-sync replicas (${isr.join(', ')}), fewer than min.insync.replicas ${min}`, {
        topic: replica.topic,
        partition: replica.partition,
        isr,
        minInsyncReplicas: min,
      });
    }
  }

  /**
   * Resolves once the partition's HW passes `offset` (acks=all: every ISR member has the
   * batch) with at least min.insync.replicas in the ISR; rejects with
   * SKEIN_NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR had shrunk below it by then,
   * SKEIN_REQUEST_TIMED_OUT after `timeoutMs`, SKEIN_NOT_LEADER_OR_FOLLOWER if this broker
   * stops leading first.
   */
  waitForHighWatermark(replica: Partition, offset: number, timeoutMs: number = DEFAULT_PRODUCE_TIMEOUT_MS): Promise<void> {
    const led = this.led.get(replica.key);
    if (!led) {
      return Promise.reject(
        new SkeinError('SKEIN_NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} no longer leads ${replica.topic}-${replica.partition}`, { topic: replica.topic, partition: replica.partition }),
      );
    }
    if (replica.highWatermark >= offset) {
      try {
        this.checkAfterAppend(led);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: HighWatermarkWaiter = {
        offset,
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = led.waiters.indexOf(waiter);
          if (at >= 0) led.waiters.splice(at, 1);
          reject(
            new SkeinError('SKEIN_REQUEST_TIMED_OUT', `the high watermark of ${replica.topic}-${replica.partition} did not pass offset ${offset - 1} within ${timeoutMs} ms (ISR ${led.tracker.isr.join(', ')})`, {
              topic: replica.topic,
              partition: replica.partition,
            }),
          );
        }, Math.max(0, timeoutMs)),
      };
      led.waiters.push(waiter);
    });
  }

  private becomeLeader(state: VersionedPartitionState, replica: Partition): void {
    // Followers' LEOs are unknown and their caught-up clocks start now (Kafka does the same);
    // the HW stays where it was until the ISR proves more.
    try {
      replica.becomeLeader(state.leaderEpoch);
    } catch (err) {
      // An epoch older than the log's own: etcd was reset under a kept data folder. Serve it,
      // but say so (appends are stamped with the log's newer epoch).
      this.options.onWarning(`${state.topic}-${state.partition}: leader epoch ${state.leaderEpoch} from etcd: ${(err as Error).message}`);
    }
    const led: Led = {
      topic: state.topic,
      partition: state.partition,
      replica,
      leaderEpoch: state.leaderEpoch,
      tracker: new ReplicaTracker(this.nodeId, state.replicas, state.isr, replica.logEndOffset, performance.now()),
      waiters: [],
      isrWrite: undefined,
      unsubscribe: [],
    };
    led.unsubscribe.push(
      replica.on('appended', () => this.advanceHighWatermark(led)),
      replica.on('highWatermark', () => this.completeWaiters(led)),
    );
    this.led.set(replica.key, led);
    this.advanceHighWatermark(led);
  }

  private stopLeading(key: string, why: string): void {
    const led = this.led.get(key);
    if (!led) return;
    this.led.delete(key);
    for (const off of led.unsubscribe) off();
    for (const waiter of led.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new SkeinError('SKEIN_NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} stopped leading ${led.topic}-${led.partition} (${why}) before the records were replicated`, {
          topic: led.topic,
          partition: led.partition,
        }),
      );
    }
  }

  /** HW = minimum LEO over the recorded ISR (the leader's own included). */
  private advanceHighWatermark(led: Led): void {
    const hw = led.tracker.highWatermark(led.replica.logEndOffset);
    if (hw > led.replica.highWatermark) led.replica.setHighWatermark(hw);
  }

  private completeWaiters(led: Led): void {
    if (led.waiters.length === 0) return;
    const hw = led.replica.highWatermark;
    let error: SkeinError | undefined;
    try {
      this.checkAfterAppend(led);
    } catch (err) {
      error = err as SkeinError;
    }
    led.waiters = led.waiters.filter((waiter) => {
      if (waiter.offset > hw) return true;
      clearTimeout(waiter.timer);
      if (error) waiter.reject(error);
      else waiter.resolve();
      return false;
    });
  }

  private checkAfterAppend(led: Led): void {
    const min = this.options.minInsyncReplicas(led.topic);
    const isr = led.tracker.isr;
    if (isr.length < min) {
      throw new SkeinError(
        'SKEIN_NOT_ENOUGH_REPLICAS_AFTER_APPEND',
        `${led.topic}-${led.partition}: the records were appended but the ISR (${isr.join(', ')}) shrank below min.insync.replicas ${min} before they were replicated`,
        { topic: led.topic, partition: led.partition, isr, minInsyncReplicas: min },
      );
    }
  }

  /** The timer's pass: followers not caught up for replica.lag.time.max.ms leave the ISR. */
  private shrinkIsrs(): void {
    if (this.closed || !this.member.sessionActive) return;
    const now = performance.now();
    const lagMs = this.member.options.replicaLagTimeMaxMs;
    for (const led of this.led.values()) {
      const lagging = led.tracker.laggingFollowers(now, lagMs);
      if (lagging.length > 0) this.proposeIsr(led, led.tracker.isr.filter((id) => !lagging.includes(id)));
    }
  }

  /** Writes a new ISR by compare-and-set on the partition's version; the watch then tells the tracker. */
  private proposeIsr(led: Led, isr: number[]): void {
    if (led.isrWrite || this.closed || !this.member.sessionActive) return;
    const state = this.member.cache.partition(led.topic, led.partition);
    if (!state || state.leader !== this.nodeId || state.leaderEpoch !== led.leaderEpoch) return;
    const next = [...new Set([this.nodeId, ...isr])].filter((id) => state.replicas.includes(id)).sort((a, b) => a - b);
    if (sameSet(next, state.isr)) return;
    led.isrWrite = this.member
      .writePartitionState(led.topic, led.partition, { replicas: state.replicas, leader: state.leader, leaderEpoch: state.leaderEpoch, isr: next }, state.version)
      .then(
        (written) => {
          // The cache emitted the change too; applying it here keeps the tracker current at once.
          if (this.led.get(led.replica.key) === led) {
            led.tracker.setIsr(written.isr);
            this.advanceHighWatermark(led);
            this.completeWaiters(led);
          }
        },
        (err: unknown) => {
          // A lost race (the controller or an earlier write moved the state): the cache was
          // re-read; the next fetch or tick decides again on the fresh state.
          if (!(err instanceof SkeinError && err.code === 'SKEIN_STALE_CLUSTER_STATE')) {
            this.options.onWarning(`ISR change of ${led.topic}-${led.partition} to [${next.join(', ')}] not written: ${(err as Error).message}`);
          }
        },
      )
      .finally(() => {
        led.isrWrite = undefined;
      });
  }

  /* ------------------------------ follower side ------------------------------ */

  private becomeFollower(state: VersionedPartitionState, replica: Partition): void {
    this.stopFollowing(replica.key);
    const factory = this.options.leaderEndpoints;
    if (!factory) return;
    try {
      replica.becomeFollower(state.leaderEpoch);
    } catch (err) {
      this.options.onWarning(`${state.topic}-${state.partition}: leader epoch ${state.leaderEpoch} from etcd: ${(err as Error).message}`);
    }
    // Truncation is the fetcher's first step: it asks the leader where this log's last epoch
    // ends (OffsetForLeaderEpoch) and cuts there before fetching (replica-fetcher.ts).
    this.followed.set(replica.key, { leaderId: state.leader, leaderEpoch: state.leaderEpoch });
    let fetcher = this.fetchers.get(state.leader);
    if (!fetcher) {
      const leaderId = state.leader;
      fetcher = new ReplicaFetcher(leaderId, factory(leaderId, () => this.member.cache.broker(leaderId)), {
        nodeId: this.nodeId,
        maxWaitMs: this.options.replicaFetchWaitMs,
        truncate: (r, offset, reason) => truncateReplica(r, offset, reason, this.options.onWarning),
        startAt: (r, offset) => startReplicaAt(r, offset, this.options.onWarning),
        onWarning: this.options.onWarning,
        // Checked before every fetch, on the monotonic clock (not only when the session timer fires).
        active: () => this.member.sessionActive,
      });
      this.fetchers.set(leaderId, fetcher);
    }
    fetcher.add({ topic: state.topic, partition: state.partition, leaderEpoch: state.leaderEpoch, replica });
  }

  private stopFollowing(key: string): void {
    const followed = this.followed.get(key);
    if (!followed) return;
    this.followed.delete(key);
    const fetcher = this.fetchers.get(followed.leaderId);
    if (!fetcher) return;
    fetcher.remove(key);
    if (fetcher.size === 0) {
      this.fetchers.delete(followed.leaderId);
      void fetcher.close();
    }
  }

  /** Stops every fetcher and fails every waiting produce. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.isrTimer);
    for (const key of [...this.led.keys()]) this.stopLeading(key, 'the broker is closing');
    this.followed.clear();
    const fetchers = [...this.fetchers.values()];
    this.fetchers.clear();
    await Promise.all(fetchers.map((f) => f.close()));
  }
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(b);
  return a.every((x) => set.has(x));
}

/** Whether the tracker follows the same replicas the state names. */
function sameMembers(tracker: ReplicaTracker, state: VersionedPartitionState): boolean {
  return state.replicas.every((id) => id === tracker.leaderId || tracker.followerLogEndOffset(id) !== undefined) && tracker.followerCount === state.replicas.length - 1;
}

/** Cuts a follower's diverged tail (Partition.truncateTo: log, epochs, producer state, HW). */
function truncateReplica(replica: Partition, offset: number, reason: string, warn: (m: string) => void): boolean {
  try {
    const before = replica.logEndOffset;
    const end = replica.truncateTo(offset);
    if (end < before) warn(`${replica.topic}-${replica.partition}: truncated the diverged tail [${end}, ${before}) (${reason})`);
    return true;
  } catch (err) {
    warn(`${replica.topic}-${replica.partition}: cannot truncate to ${offset} (${reason}): ${(err as Error).message}`);
    return false;
  }
}

/** Empties a follower that fell below the leader's log start and restarts it there. */
function startReplicaAt(replica: Partition, offset: number, warn: (m: string) => void): boolean {
  try {
    replica.truncateFullyAndStartAt(offset);
    warn(`${replica.topic}-${replica.partition}: below the leader's log start; emptied and restarted at ${offset}`);
    return true;
  } catch (err) {
    warn(`${replica.topic}-${replica.partition}: cannot restart at the leader's log start ${offset}: ${(err as Error).message}`);
    return false;
  }
}
