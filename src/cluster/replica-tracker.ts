/**
 * What a partition's leader knows of its followers (Kafka's Replica state in Partition.scala):
 * each follower's log end offset as its fetch offsets tell it, when it was last caught up, and
 * from those the high watermark and the ISR changes to propose.
 *
 * - A fetch at offset O tells the leader the follower holds everything below O (its LEO). The
 *   follower counts as caught up at that fetch if O reached the leader's LEO; or, as Kafka
 *   does, at the time of its previous fetch if O reached the leader's LEO as it was then (a
 *   follower chasing a busy leader is never exactly at its end, but is never further behind
 *   than one fetch).
 * - High watermark = the minimum LEO over the ISR that the coordinator has recorded (the
 *   leader's own included). A replica is never counted before etcd has it in the ISR (Jepsen
 *   2013; KIP-966), and one the leader proposed to drop is counted until etcd has dropped it.
 * - Shrink: an ISR follower not caught up for more than replica.lag.time.max.ms.
 *   Expand: a replica outside the ISR whose LEO reached the high watermark and the start of the
 *   leader's epoch (so it cannot hold a diverged tail of an older epoch).
 *
 * Plain logic over numbers and a clock passed in; one per led partition, on the event loop.
 * Wired by Replication (replication.ts), which calls it on every follower fetch and on a timer
 * and writes the proposed ISR to etcd by compare-and-set (ClusterMember.writePartitionState).
 */

interface FollowerState {
  logEndOffset: number;
  lastCaughtUpTimeMs: number;
  lastFetchLeaderLogEndOffset: number;
  lastFetchTimeMs: number;
}

export class ReplicaTracker {
  readonly leaderId: number;
  private readonly followers = new Map<number, FollowerState>();
  private isrSet: Set<number>;
  private epochStartOffset: number;

  /**
   * @param replicas every replica of the partition (the leader included)
   * @param isr the ISR as etcd recorded it
   * @param epochStartOffset the leader's LEO when it became leader in this epoch
   * @param nowMs when leadership started: followers count as caught up then (Kafka does the same)
   */
  constructor(leaderId: number, replicas: readonly number[], isr: readonly number[], epochStartOffset: number, nowMs: number) {
    this.leaderId = leaderId;
    this.isrSet = new Set(isr);
    this.epochStartOffset = epochStartOffset;
    for (const id of replicas) {
      if (id === leaderId) continue;
      this.followers.set(id, { logEndOffset: -1, lastCaughtUpTimeMs: nowMs, lastFetchLeaderLogEndOffset: -1, lastFetchTimeMs: nowMs });
    }
  }

  /** The ISR etcd holds now (after this leader's or the controller's write). */
  setIsr(isr: readonly number[]): void {
    this.isrSet = new Set(isr);
  }

  get isr(): number[] {
    return [...this.isrSet].sort((a, b) => a - b);
  }

  /** Replicas other than the leader. */
  get followerCount(): number {
    return this.followers.size;
  }

  followerLogEndOffset(id: number): number | undefined {
    return this.followers.get(id)?.logEndOffset;
  }

  /** A follower fetched from `fetchOffset` while the leader's LEO was `leaderLogEndOffset`. */
  onFollowerFetch(id: number, fetchOffset: number, leaderLogEndOffset: number, nowMs: number): void {
    const f = this.followers.get(id);
    if (!f) return;
    f.logEndOffset = fetchOffset;
    if (fetchOffset >= leaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset && f.lastFetchLeaderLogEndOffset >= 0) {
      f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    }
    f.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    f.lastFetchTimeMs = nowMs;
  }

  /** Minimum LEO over the recorded ISR; a follower that has not fetched yet holds it at -1. */
  highWatermark(leaderLogEndOffset: number): number {
    let hw = leaderLogEndOffset;
    for (const id of this.isrSet) {
      if (id === this.leaderId) continue;
      const f = this.followers.get(id);
      hw = Math.min(hw, f ? f.logEndOffset : -1);
    }
    return hw;
  }

  /** ISR followers not caught up for longer than `lagMaxMs`: propose removing them. */
  laggingFollowers(nowMs: number, lagMaxMs: number): number[] {
    const out: number[] = [];
    for (const id of this.isrSet) {
      const f = this.followers.get(id);
      if (f && nowMs - f.lastCaughtUpTimeMs > lagMaxMs) out.push(id);
    }
    return out.sort((a, b) => a - b);
  }

  /** Followers outside the ISR that hold everything up to the HW and this epoch's start: propose adding them. */
  caughtUpFollowers(highWatermark: number): number[] {
    const out: number[] = [];
    for (const [id, f] of this.followers) {
      if (!this.isrSet.has(id) && f.logEndOffset >= highWatermark && f.logEndOffset >= this.epochStartOffset) out.push(id);
    }
    return out.sort((a, b) => a - b);
  }
}
