/**
 * The follower side of replication for every partition this broker follows from one leader
 * broker (Kafka's ReplicaFetcherThread, as a loop on the event loop instead of a thread).
 *
 * Each round sends one Fetch for all its ready partitions, each at the replica's log end
 * offset (which is how the leader learns the follower's LEO), waits for the leader's answer
 * (a long poll of `maxWaitMs` on the leader when nothing is new), appends the leader's batches
 * as they are (Partition.appendAsFollower: offsets, epochs and producer ids kept) and sets the
 * replica's high watermark to min(leader's HW, own LEO).
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
}

/** Leader epoch of the last batch a replica holds (-1: none known). */
function lastEpochOf(replica: Partition): number {
  const entries = replica.epochEntries;
  return entries.length > 0 ? entries[entries.length - 1]!.epoch : -1;
}

/** Wait after a truncation that could not be done before trying the partition again. */
const STUCK_BACKOFF_MS = 5000;

interface Followed extends FollowedPartition {
  /** Not fetched before this time (after an error). */
  delayedUntil: number;
}

export class ReplicaFetcher {
  readonly leaderId: number;
  private readonly endpoint: LeaderEndpoint;
  private readonly options: Required<Omit<ReplicaFetcherOptions, 'truncate' | 'startAt' | 'onWarning'>> & ReplicaFetcherOptions;
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
    this.partitions.set(followed.replica.key, { ...followed, delayedUntil: 0 });
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
      const now = Date.now();
      const ready = [...this.partitions.values()].filter((p) => p.delayedUntil <= now && !p.replica.log.closed);
      if (ready.length === 0) {
        const next = Math.min(...[...this.partitions.values()].map((p) => p.delayedUntil));
        await this.sleep(Math.max(10, Math.min(500, next - now)));
        continue;
      }
      let results: ReplicaFetchResult[];
      try {
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
        this.truncateDiverged(followed, result.divergingEpoch);
        return;
      }
      if (result.records) replica.appendAsFollower(result.records);
      replica.setHighWatermark(Math.min(result.highWatermark, replica.logEndOffset));
    } catch (err) {
      if (err instanceof SkeinError && err.code === 'SKEIN_INVALID_RECORD' && result.highWatermark >= 0 && result.highWatermark < replica.logEndOffset) {
        // The leader's batches do not continue this log: its tail diverged from the leader's.
        if (!this.options.truncate(replica, result.highWatermark, err.message)) {
          followed.delayedUntil = Date.now() + STUCK_BACKOFF_MS;
          return;
        }
      } else {
        this.options.onWarning(`replicating ${followed.topic}-${followed.partition} from leader ${this.leaderId}: ${(err as Error).message}`);
      }
      followed.delayedUntil = Date.now() + this.options.errorBackoffMs;
    }
  }

  /**
   * The leader says this log diverged after `diverging` (its end of our last epoch): cut back
   * to where both logs agree, as Kafka's fetcher does. If this replica knows that epoch, to
   * the smaller of both ends of it; if not, to the end of the largest older epoch it knows
   * (the next fetch then narrows it further); with no epochs at all, to the high watermark.
   */
  private truncateDiverged(followed: Followed, diverging: { epoch: number; endOffset: number }): void {
    const replica = followed.replica;
    const own = replica.endOffsetForEpoch(diverging.epoch);
    let offset: number;
    if (own.endOffset < 0) offset = replica.highWatermark;
    else if (own.leaderEpoch !== diverging.epoch) offset = own.endOffset;
    else offset = Math.min(own.endOffset, diverging.endOffset);
    const reason = `leader ${this.leaderId} ends epoch ${diverging.epoch} at ${diverging.endOffset}`;
    if (!this.options.truncate(replica, Math.min(offset, replica.logEndOffset), reason)) followed.delayedUntil = Date.now() + STUCK_BACKOFF_MS;
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
        followed.delayedUntil = done ? 0 : Date.now() + STUCK_BACKOFF_MS;
        return;
      }
    }
    // NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION (the leader has
    // not opened it yet), or anything else: ask again shortly; a leadership change in etcd
    // moves or removes this partition.
    followed.delayedUntil = Date.now() + this.options.errorBackoffMs;
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
