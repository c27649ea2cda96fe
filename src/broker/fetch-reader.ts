/**
 * The fetch read path of a broker: one Fetch reads many partitions and, when fewer than
 * minBytes are there, long-polls (FetchWaiters: woken by appends, never by polling) until
 * maxWaitMs. Consumers read up to the high watermark and are woken when it moves; a follower's
 * fetch (replicaId >= 0, in a cluster) reads up to the log end, is woken by appends, tells
 * replication how far the follower got and learns where its log diverged.
 *
 * Lifecycle: the broker's; `wakeAll` at close. Event loop only. Finds partitions through the
 * broker's routing (`partition`, which also refuses partitions this broker does not lead) and
 * reaches replication only through the getter; knows nothing of topics' creation, files or
 * the protocol.
 */
import { SkeinError } from '../errors.js';
import type { Partition } from '../partition/partition.js';
import type { Replication } from '../cluster/replication.js';
import { FetchWaiters } from './fetch-waiters.js';
import type { FetchPartitionResult, FetchRequest, FetchResult } from './types.js';

export interface FetchReaderOptions {
  /** The partition a request names, as the broker routes it (SKEIN_UNKNOWN_TOPIC_OR_PARTITION, SKEIN_NOT_LEADER_OR_FOLLOWER). */
  partition: (topic: string, partition: number) => Partition;
  /** Set once the broker is part of a cluster. */
  replication: () => Replication | undefined;
  closed: () => boolean;
  /** Told of every fetch's result (the broker's observers). */
  fetched: (result: FetchResult) => void;
}

export class FetchReader {
  private readonly waiters = new FetchWaiters();
  private readonly options: FetchReaderOptions;

  constructor(options: FetchReaderOptions) {
    this.options = options;
  }

  /**
   * Reads from many partitions at once, waiting up to maxWaitMs until minBytes are available
   * (long poll: woken by appends, never by polling). Per-partition failures are reported in
   * that partition's result; the first partition with data always gets one whole batch.
   */
  async fetch(request: FetchRequest): Promise<FetchResult> {
    if (this.options.closed()) throw new SkeinError('SKEIN_CLOSED', 'the broker is closed');
    const minBytes = Math.max(1, request.minBytes ?? 1);
    // Monotonic: a wall clock stepped back (NTP, an operator) must not hold a long poll for hours.
    const deadline = performance.now() + Math.max(0, request.maxWaitMs);
    const fromReplica = this.options.replication() !== undefined && (request.replicaId ?? -1) >= 0;
    const keys = request.partitions.map((p) => (fromReplica ? replicaFetchKey(`${p.topic}\u0000${p.partition}`) : `${p.topic}\u0000${p.partition}`));
    for (let pass = 0; ; pass++) {
      const result = this.readPartitions(request, fromReplica ? pass === 0 : undefined);
      const bytes = result.partitions.reduce((n, p) => n + p.bytes, 0);
      const failed = result.partitions.some((p) => p.error || p.divergingEpoch);
      const remaining = deadline - performance.now();
      if (bytes >= minBytes || failed || remaining <= 0 || request.signal?.aborted || this.options.closed()) {
        this.options.fetched(result);
        return result;
      }
      await this.waiters.wait(keys, remaining, request.signal);
      if (this.options.closed()) throw new SkeinError('SKEIN_CLOSED', 'the broker closed during a fetch');
    }
  }

  /** Wakes consumers' fetches waiting on a partition (its high watermark moved, or it is gone). */
  wakeReaders(partition: Partition): void {
    this.waiters.notify(partition.key);
  }

  /** Wakes followers' fetches waiting on a partition this broker leads (records were appended). */
  wakeFollowers(partition: Partition): void {
    this.waiters.notify(replicaFetchKey(partition.key));
  }

  /** Wakes every waiting fetch (the broker is closing). */
  wakeAll(): void {
    this.waiters.wakeAll();
  }

  /**
   * One read of every partition of a fetch. `replicaPass` is set for a follower's fetch (true
   * on its first pass, when its fetch offsets tell the leader its log end): read up to the log
   * end instead of the high watermark.
   */
  private readPartitions(request: FetchRequest, replicaPass?: boolean): FetchResult {
    let budget = request.maxBytes ?? 50 * 1024 * 1024;
    let first = true;
    const partitions: FetchPartitionResult[] = [];
    for (const p of request.partitions) {
      const out: FetchPartitionResult = {
        topic: p.topic,
        partition: p.partition,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        records: [],
        bytes: 0,
      };
      partitions.push(out);
      try {
        const state = this.options.partition(p.topic, p.partition);
        if (p.currentLeaderEpoch !== undefined) state.checkLeaderEpoch(p.currentLeaderEpoch);
        if (replicaPass !== undefined) {
          // A follower whose log diverged learns where, and truncates; its fetch offset then
          // says nothing of how far it is (Kafka does not count it either).
          out.divergingEpoch = divergenceOf(state, p.lastFetchedEpoch, p.fetchOffset);
          if (replicaPass && !out.divergingEpoch) this.options.replication()!.onFollowerFetch(state, request.replicaId!, p.fetchOffset);
        }
        out.highWatermark = state.highWatermark;
        out.lastStableOffset = state.highWatermark;
        out.logStartOffset = state.logStartOffset;
        const maxBytes = Math.min(p.maxBytes, budget);
        if ((maxBytes <= 0 && !first) || out.divergingEpoch) continue;
        const read = replicaPass === undefined ? state.read(p.fetchOffset, maxBytes, first) : state.readForReplica(p.fetchOffset, maxBytes, first);
        out.records = read.records;
        out.bytes = read.bytes;
        budget -= read.bytes;
        if (read.bytes > 0) first = false;
      } catch (err) {
        if (!(err instanceof SkeinError)) throw err;
        out.error = err;
      }
    }
    return { partitions };
  }
}

/**
 * Where a follower's log diverges from the leader's (Kafka's validateFetchOffsetAndMaybeGetDivergingEpoch):
 * the leader's end of the follower's last epoch, when that is before the fetch offset or the
 * leader knows only an older epoch. Nothing for a follower that sent no epoch, or when the
 * leader has no epoch to compare.
 */
function divergenceOf(replica: Partition, lastFetchedEpoch: number | undefined, fetchOffset: number): { epoch: number; endOffset: number } | undefined {
  if (lastFetchedEpoch === undefined || lastFetchedEpoch < 0) return undefined;
  const end = replica.endOffsetForEpoch(lastFetchedEpoch);
  if (end.leaderEpoch < 0 || end.endOffset < 0) return undefined;
  if (end.leaderEpoch < lastFetchedEpoch || end.endOffset < fetchOffset) return { epoch: end.leaderEpoch, endOffset: end.endOffset };
  return undefined;
}

/** The waiters' key of follower fetches of a partition: woken by appends, not by the high watermark. */
function replicaFetchKey(key: string): string {
  return `replica\u0000${key}`;
}
