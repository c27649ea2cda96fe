/**
 * The follower side of replication for every partition this broker follows from one leader
 * broker (Kafka's ReplicaFetcherThread, as a loop on the event loop instead of a thread).
 *
 * A partition that starts following is first checked against the leader (OffsetForLeaderEpoch:
 * where does this log's last epoch end there?) and truncated to where both agree (KIP-101/279).
 * Then each round sends one Fetch for all its ready partitions, each at the replica's log end
 * offset (which is how the leader learns the follower's LEO), waits for the leader's answer
 * (a long poll of `maxWaitMs` on the leader when nothing is new), appends the leader's batches
 * as they are (Partition.appendAsFollower: offsets, epochs and producer ids kept) and sets the
 * replica's high watermark to min(leader's HW, own LEO).
 *
 * Every fetch also carries the epoch of the replica's last batch; a leader that finds the logs
 * differ answers divergingEpoch instead of records (KIP-595), and the replica truncates again.
 *
 * Errors, per partition: a leader that says it does not lead (or has no such partition yet)
 * is asked again after `errorBackoffMs` until the cluster state in etcd moves the partition
 * elsewhere (the Replication then removes it here); OFFSET_OUT_OF_RANGE below the leader's
 * log start starts the replica over at that offset; a batch that does not continue the
 * replica's log, or a fetch offset past the leader's end (a diverged tail), truncates to the
 * leader's high watermark and fetches again. A broken connection is retried with a backoff
 * from 100 ms to 2 s; the endpoint reconnects by itself.
 *
 * Lifecycle: made by Replication for a leader broker when the first partition follows it,
 * `close()`d when the last one leaves or the broker stops. No Kafka types, no sockets: the
 * LeaderEndpoint is the connection.
 */
import { SkeinError } from '../errors.js';
import type { Partition } from '../partition/partition.js';
import type { LeaderEndpoint, ReplicaFetchResult } from './leader-endpoint.js';

export interface FollowedPartition {
  topic: string;
  partition: number;
  /** The leader epoch the cluster recorded when this broker started following. */
  leaderEpoch: number;
  replica: Partition;
}

export interface ReplicaFetcherOptions {
  /** This broker's node id (the Fetch's replicaId). */
  nodeId: number;
  /** Long-poll time the leader may hold a fetch with nothing new. Default 500 (Kafka's replica.fetch.wait.max.ms). */
  maxWaitMs?: number;
  /** Bytes per partition per fetch. Default 1 MiB (replica.fetch.max.bytes). */
  partitionMaxBytes?: number;
  /** Bytes per fetch. Default 10 MiB (replica.fetch.response.max.bytes). */
  maxBytes?: number;
  /** Wait after a partition's error before asking for it again. Default 200 (replica.fetch.backoff.ms is 1000). */
  errorBackoffMs?: number;
  /** Truncates a replica to an offset (a diverged tail); false when it could not. */
  truncate(replica: Partition, offset: number, reason: string): boolean;
  /** Empties a replica and starts it at the leader's log start; false when it could not. */
  startAt(replica: Partition, offset: number): boolean;
  onWarning(message: string): void;
  /**
   * False while this broker holds no live cluster session: it then sends no fetch. A broker
   * whose lease expired (paused, cut off) may have been replaced by another process with the
   * same node id, and leaders count every fetch with that replica id as that replica's log
   * end: a zombie's fetches would make its successor look caught up (and join the ISR) with
   * records it lacks. Default: always active.
   */
  active?(): boolean;
}

/** How often a fetcher without a session looks again. */
const INACTIVE_RECHECK_MS = 100;

/** Leader epoch of the last batch a replica holds (-1: none known). */
function lastEpochOf(replica: Partition): number {
  const entries = replica.epochEntries;
  return entries.length > 0 ? entries[entries.length - 1]!.epoch : -1;
}

/** Wait after a truncation that could not be done before trying the partition again. */
const STUCK_BACKOFF_MS = 5000;

interface Followed extends FollowedPartition {
  /** performance.now() before which this partition is not fetched (monotonic: a wall-clock step back must not stall a follower for hours). */
  delayedUntil: number;
  /** Whether the leader was asked where this log's last epoch ends (and the log cut there) since following began. */
  epochChecked: boolean;
}

export class ReplicaFetcher {
  readonly leaderId: number;
  private readonly endpoint: LeaderEndpoint;
  private readonly options: Required<Omit<ReplicaFetcherOptions, 'truncate' | 'startAt' | 'onWarning' | 'active'>> & ReplicaFetcherOptions;
  private readonly partitions = new Map<string, Followed>();
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  /** Rounds fetched (tests and metrics). */
  rounds = 0;

  constructor(leaderId: number, endpoint: LeaderEndpoint, options: ReplicaFetcherOptions) {
    this.leaderId = leaderId;
    this.endpoint = endpoint;
    this.options = {
      ...options,
      maxWaitMs: options.maxWaitMs ?? 500,
      partitionMaxBytes: options.partitionMaxBytes ?? 1024 * 1024,
      maxBytes: options.maxBytes ?? 10 * 1024 * 1024,
      errorBackoffMs: options.errorBackoffMs ?? 200,
    };
  }

  get size(): number {
    return this.partitions.size;
  }

  /** Starts (or restarts) following a partition from its replica's log end. */
  add(followed: FollowedPartition): void {
    this.partitions.set(followed.replica.key, { ...followed, delayedUntil: 0, epochChecked: false });
    if (!this.running) {
      this.running = this.run()
        .catch((err: unknown) => this.options.onWarning(`replica fetcher for leader ${this.leaderId} stopped: ${(err as Error).stack ?? String(err)}`))
        .finally(() => (this.running = undefined));
    }
    this.wake?.();
  }

  remove(key: string): void {
    this.partitions.delete(key);
  }

  has(key: string): boolean {
    return this.partitions.has(key);
  }

  /** Stops fetching; a fetch in flight is abandoned (its answer is ignored). */
  close(): Promise<void> {
    this.closed = true;
    this.partitions.clear();
    this.wake?.();
    this.endpoint.close();
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    let backoff = 100;
    let failing = false;
    while (!this.closed && this.partitions.size > 0) {
      if (this.options.active && !this.options.active()) {
        await this.sleep(INACTIVE_RECHECK_MS);
        continue;
      }
      const now = performance.now();
      const ready = [...this.partitions.values()].filter((p) => p.delayedUntil <= now && !p.replica.log.closed);
      if (ready.length === 0) {
        const next = Math.min(...[...this.partitions.values()].map((p) => p.delayedUntil));
        await this.sleep(Math.max(10, Math.min(500, next - now)));
        continue;
      }
      let results: ReplicaFetchResult[];
      let fetchOffsets = new Map<string, number>();
      try {
        const unchecked = ready.filter((p) => !p.epochChecked);
        if (unchecked.length > 0) {
          await this.truncateBeforeFetching(unchecked);
          continue;
        }
        fetchOffsets = new Map(ready.map((p) => [p.replica.key, p.replica.logEndOffset]));
        results = await this.endpoint.fetch({
          replicaId: this.options.nodeId,
          maxWaitMs: this.options.maxWaitMs,
          minBytes: 1,
          maxBytes: this.options.maxBytes,
          partitions: ready.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            fetchOffset: p.replica.logEndOffset,
            lastFetchedEpoch: lastEpochOf(p.replica),
            currentLeaderEpoch: p.leaderEpoch,
            logStartOffset: p.replica.logStartOffset,
            maxBytes: this.options.partitionMaxBytes,
          })),
        });
        if (failing) this.options.onWarning(`replica fetcher for leader ${this.leaderId}: connected again`);
        failing = false;
        backoff = 100;
      } catch (err) {
        if (this.closed) return;
        if (!failing) this.options.onWarning(`replica fetcher for leader ${this.leaderId}: ${(err as Error).message}; retrying`);
        failing = true;
        await this.sleep(backoff);
        backoff = Math.min(2000, backoff * 2);
        continue;
      }
      this.rounds += 1;
      const asked = new Map(ready.map((p) => [p.replica.key, p]));
      for (const result of results) {
        const key = `${result.topic}\u0000${result.partition}`;
        const followed = asked.get(key);
        // Removed or re-added (a new epoch) while the fetch was in flight: its answer is stale.
        if (!followed || this.partitions.get(key) !== followed) continue;
        // The log moved (truncated) since the fetch was sent: its batches answer another offset,
        // and appendAsFollower takes a batch above the log end as a gap (Kafka's fetcher drops
        // such answers the same way, by fetch offset).
        if (followed.replica.logEndOffset !== fetchOffsets.get(key)) continue;
        this.handle(followed, result);
      }
    }
  }

  private handle(followed: Followed, result: ReplicaFetchResult): void {
    const replica = followed.replica;
    if (replica.log.closed) return;
    try {
      if (result.error) {
        this.handleError(followed, result);
        return;
      }
      if (result.divergingEpoch) {
        this.truncateDiverged(followed, result.divergingEpoch, 'Fetch divergingEpoch');
        return;
      }
      if (result.records) replica.appendAsFollower(result.records);
      replica.setHighWatermark(Math.min(result.highWatermark, replica.logEndOffset));
    } catch (err) {
      if (err instanceof SkeinError && err.code === 'SKEIN_INVALID_RECORD' && result.highWatermark >= 0 && result.highWatermark < replica.logEndOffset) {
        // The leader's batches do not continue this log: its tail diverged from the leader's.
        if (!this.options.truncate(replica, result.highWatermark, err.message)) {
          followed.delayedUntil = performance.now() + STUCK_BACKOFF_MS;
          return;
        }
      } else {
        this.options.onWarning(`replicating ${followed.topic}-${followed.partition} from leader ${this.leaderId}: ${(err as Error).message}`);
      }
      followed.delayedUntil = performance.now() + this.options.errorBackoffMs;
    }
  }

  /**
   * Before the first fetch after following began (Kafka before KIP-595, KIP-101/279): asks the
   * leader where each replica's last epoch ends there (OffsetForLeaderEpoch) and cuts the log
   * to where both agree. A replica with no epochs has nothing to compare (the fetch-based check
   * below covers later divergence); an answer that needs another round (the leader knew only
   * an older epoch) leaves it unchecked, to be asked again with the log's new last epoch.
   */
  private async truncateBeforeFetching(unchecked: Followed[]): Promise<void> {
    const asking = unchecked.filter((p) => {
      if (lastEpochOf(p.replica) >= 0) return true;
      p.epochChecked = true;
      return false;
    });
    if (asking.length === 0) return;
    const answers = await this.endpoint.endOffsetsForEpochs(
      this.options.nodeId,
      asking.map((p) => ({ topic: p.topic, partition: p.partition, currentLeaderEpoch: p.leaderEpoch, leaderEpoch: lastEpochOf(p.replica) })),
    );
    for (const answer of answers) {
      const followed = asking.find((p) => p.topic === answer.topic && p.partition === answer.partition);
      if (!followed || this.partitions.get(followed.replica.key) !== followed || followed.replica.log.closed) continue;
      if (answer.error) {
        followed.delayedUntil = performance.now() + this.options.errorBackoffMs;
        continue;
      }
      if (answer.leaderEpoch < 0 || answer.endOffset < 0) {
        // The leader has no epoch to compare with: the fetch's own check decides.
        followed.epochChecked = true;
        continue;
      }
      followed.epochChecked = this.truncateDiverged(followed, { epoch: answer.leaderEpoch, endOffset: answer.endOffset }, 'OffsetForLeaderEpoch');
    }
  }

  /**
   * The leader says its end of our last epoch is `diverging` (an OffsetForLeaderEpoch answer,
   * or a fetch's divergingEpoch): cut back to where both logs agree, as Kafka's fetcher does.
   * If this replica knows that epoch, to the smaller of both ends of it (done); if not, to the
   * end of the largest older epoch it knows (not done: ask again); with no epochs at all, to
   * the high watermark. Returns whether the logs now agree.
   */
  private truncateDiverged(followed: Followed, diverging: { epoch: number; endOffset: number }, source: string): boolean {
    const replica = followed.replica;
    const own = replica.endOffsetForEpoch(diverging.epoch);
    let offset: number;
    let done = true;
    if (own.endOffset < 0) offset = replica.highWatermark;
    else if (own.leaderEpoch !== diverging.epoch) {
      offset = own.endOffset;
      done = false;
    } else offset = Math.min(own.endOffset, diverging.endOffset);
    const reason = `${source}: leader ${this.leaderId} ends epoch ${diverging.epoch} at ${diverging.endOffset}`;
    if (!this.options.truncate(replica, Math.min(offset, replica.logEndOffset), reason)) {
      followed.delayedUntil = performance.now() + STUCK_BACKOFF_MS;
      return false;
    }
    return done;
  }

  private handleError(followed: Followed, result: ReplicaFetchResult): void {
    const replica = followed.replica;
    const code = result.error!.code;
    if (code === 'SKEIN_OFFSET_OUT_OF_RANGE') {
      const fetchOffset = replica.logEndOffset;
      let done: boolean | undefined;
      if (result.logStartOffset >= 0 && fetchOffset < result.logStartOffset) {
        done = this.options.startAt(replica, result.logStartOffset);
      } else if (result.highWatermark >= 0 && result.highWatermark < fetchOffset) {
        // Past the leader's end: this replica holds a tail the leader does not (KIP-101's case).
        done = this.options.truncate(replica, result.highWatermark, `fetch offset ${fetchOffset} is past leader ${this.leaderId}'s log end`);
      }
      if (done !== undefined) {
        followed.delayedUntil = done ? 0 : performance.now() + STUCK_BACKOFF_MS;
        return;
      }
    }
    // NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION (the leader has
    // not opened it yet), or anything else: ask again shortly; a leadership change in etcd
    // moves or removes this partition.
    followed.delayedUntil = performance.now() + this.options.errorBackoffMs;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}
