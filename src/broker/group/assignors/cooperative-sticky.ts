/**
 * 'cooperative-sticky' (Kafka's CooperativeStickyAssignor, KIP-429): a balanced assignment
 * that moves as few partitions as it can, under the cooperative rebalance protocol.
 *
 * Each member tells the leader what it owns now (Subscription.ownedPartitions, with the
 * generation it got them in). The assignment is computed in four steps:
 *   1. Keep what is validly owned: a partition stays with its owner if the owner is still
 *      subscribed to its topic, the partition still exists, the owner's generation is the
 *      highest among the members (an older generation means the member missed a rebalance
 *      and its claims are stale), and no other member of that generation claims it too.
 *   2. Place every other partition on the least loaded subscribed member, the partitions
 *      with the fewest candidate members first.
 *   3. Balance: while some member could take a partition from a member holding at least two
 *      more, move one (from the most loaded, preferring a partition placed in step 2 to one
 *      its holder owned before). This ends where Kafka's AbstractStickyAssignor.isBalanced
 *      holds: no move can even out two members; with identical subscriptions, counts differ
 *      by at most one. Each move lowers the sum of squared counts, so it always ends.
 *   4. Cooperate: a partition that another member of the highest generation still claims in
 *      its ownedPartitions (validly or not: a conflicting claim, a topic it unsubscribed
 *      from) is taken out of this generation's assignment. Its owner sees it gone from its assignment
 *      (revokedPartitions / needsFollowUpRebalance), stops consuming it, commits, and rejoins;
 *      in that follow-up rebalance nobody claims it any more and step 2 gives it to its new
 *      member. So no partition is ever consumed by two members at once. Claims from an older
 *      generation are ignored here too, as in Kafka: such a member missed a rebalance, the
 *      coordinator already refuses its commits, and its client drops those partitions as lost.
 *
 * The algorithm is our own (Kafka's constrained/general assignors were read for the rules:
 * generation validity, conflicting claims, the balance criterion); results differ from the
 * Java assignor in which partitions move, not in those guarantees. Pure function.
 */
import type { TopicPartitions } from '../consumer-protocol.js';
import {
  addPartition,
  checkAssignorInput,
  compareMembers,
  compareStrings,
  toMemberAssignments,
  type Assignor,
  type AssignorInput,
  type AssignorMember,
  type MemberAssignments,
} from './assignor.js';

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  protocolVersion: 0,
  rebalanceProtocol: 'cooperative',
  assign(input: AssignorInput): MemberAssignments {
    checkAssignorInput(input);
    const placement = new StickyPlacement(input);
    placement.keepValidClaims();
    placement.placeFreePartitions();
    placement.balance();
    return toMemberAssignments(input.members, placement.withoutPartitionsOthersStillOwn());
  },
};

/** Partitions in `previousOwned` that `newAssignment` no longer has: the member must revoke them. */
export function revokedPartitions(previousOwned: readonly TopicPartitions[], newAssignment: readonly TopicPartitions[]): TopicPartitions[] {
  const kept = new Set(newAssignment.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p))));
  const revoked: TopicPartitions[] = [];
  for (const { topic, partitions } of previousOwned) {
    const gone = partitions.filter((p) => !kept.has(partitionKey(topic, p)));
    if (gone.length > 0) revoked.push({ topic, partitions: gone });
  }
  return revoked;
}

/**
 * True when a member must rejoin after this assignment (Kafka's ConsumerCoordinator does so
 * when it revoked anything): it gave up partitions that another member is waiting for.
 */
export function needsFollowUpRebalance(previousOwned: readonly TopicPartitions[], newAssignment: readonly TopicPartitions[]): boolean {
  return revokedPartitions(previousOwned, newAssignment).length > 0;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** The working state of one assign() call. */
class StickyPlacement {
  private readonly members: AssignorMember[];
  private readonly partitionsPerTopic: ReadonlyMap<string, number>;
  /** Per member, the subscribed topics that have partitions. */
  private readonly topicsOf = new Map<string, Set<string>>();
  /** Per topic, its subscribers in Kafka's member order. */
  private readonly subscribers = new Map<string, AssignorMember[]>();
  /** Partition key → member, for partitions placed so far. */
  private readonly ownerOf = new Map<string, string>();
  /** Per member: topic → placed partitions. */
  private readonly placed = new Map<string, Map<string, Set<number>>>();
  private readonly count = new Map<string, number>();
  /** Partition key → the member that validly owned it before this assignment (step 1). */
  private readonly previousOwner = new Map<string, string>();
  /** Only members of this generation own anything (-1 when no member reports one). */
  private readonly maxGeneration: number;

  constructor({ members, partitionsPerTopic }: AssignorInput) {
    this.members = [...members].sort(compareMembers);
    this.partitionsPerTopic = partitionsPerTopic;
    this.maxGeneration = Math.max(-1, ...this.members.map((m) => m.subscription.generationId));
    for (const member of this.members) {
      const topics = new Set(member.subscription.topics.filter((t) => (partitionsPerTopic.get(t) ?? 0) > 0));
      this.topicsOf.set(member.memberId, topics);
      this.placed.set(member.memberId, new Map());
      this.count.set(member.memberId, 0);
      for (const topic of topics) {
        let list = this.subscribers.get(topic);
        if (!list) this.subscribers.set(topic, (list = []));
        list.push(member);
      }
    }
  }

  /** Step 1. */
  keepValidClaims(): void {
    const conflicted = new Set<string>();
    for (const member of this.members) {
      if (member.subscription.generationId !== this.maxGeneration) continue;
      const topics = this.topicsOf.get(member.memberId)!;
      for (const { topic, partitions } of member.subscription.ownedPartitions) {
        if (!topics.has(topic)) continue;
        const partitionCount = this.partitionsPerTopic.get(topic)!;
        for (const partition of partitions) {
          if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) continue;
          const key = partitionKey(topic, partition);
          const other = this.previousOwner.get(key);
          if (other === undefined) this.previousOwner.set(key, member.memberId);
          else if (other !== member.memberId) conflicted.add(key);
        }
      }
    }
    for (const key of conflicted) this.previousOwner.delete(key);
    for (const [key, memberId] of this.previousOwner) {
      const [topic, partition] = splitKey(key);
      this.place(memberId, topic, partition);
    }
  }

  /** Step 2. */
  placeFreePartitions(): void {
    const free: Array<{ topic: string; partition: number; candidates: AssignorMember[] }> = [];
    for (const [topic, candidates] of this.subscribers) {
      const partitionCount = this.partitionsPerTopic.get(topic)!;
      for (let partition = 0; partition < partitionCount; partition++) {
        if (!this.ownerOf.has(partitionKey(topic, partition))) free.push({ topic, partition, candidates });
      }
    }
    free.sort((a, b) => a.candidates.length - b.candidates.length || compareStrings(a.topic, b.topic) || a.partition - b.partition);
    for (const { topic, partition, candidates } of free) {
      let best = candidates[0]!;
      for (const candidate of candidates) if (this.count.get(candidate.memberId)! < this.count.get(best.memberId)!) best = candidate;
      this.place(best.memberId, topic, partition);
    }
  }

  /** Step 3. */
  balance(): void {
    for (;;) {
      const byLoad = [...this.members].sort((a, b) => this.count.get(a.memberId)! - this.count.get(b.memberId)! || compareMembers(a, b));
      if (!this.moveOne(byLoad)) return;
    }
  }

  /** Step 4: the assignment minus partitions another member still claims. */
  withoutPartitionsOthersStillOwn(): Map<string, Map<string, number[]>> {
    const claimants = new Map<string, Set<string>>();
    for (const member of this.members) {
      if (member.subscription.generationId !== this.maxGeneration) continue;
      for (const { topic, partitions } of member.subscription.ownedPartitions) {
        for (const partition of partitions) {
          const key = partitionKey(topic, partition);
          let set = claimants.get(key);
          if (!set) claimants.set(key, (set = new Set()));
          set.add(member.memberId);
        }
      }
    }
    const result = new Map<string, Map<string, number[]>>();
    for (const [memberId, topics] of this.placed) {
      result.set(memberId, new Map());
      for (const [topic, partitions] of topics) {
        for (const partition of partitions) {
          const others = claimants.get(partitionKey(topic, partition));
          const claimedByAnother = others !== undefined && [...others].some((id) => id !== memberId);
          if (!claimedByAnother) addPartition(result, memberId, topic, partition);
        }
      }
    }
    return result;
  }

  /** Moves one partition from a most loaded member to a least loaded one that can take it; false when none can. */
  private moveOne(byLoad: AssignorMember[]): boolean {
    for (let s = byLoad.length - 1; s > 0; s--) {
      const source = byLoad[s]!.memberId;
      for (let d = 0; d < s; d++) {
        const target = byLoad[d]!.memberId;
        if (this.count.get(target)! + 2 > this.count.get(source)!) break;
        const movable = this.pickMovable(source, target);
        if (movable) {
          this.unplace(source, movable.topic, movable.partition);
          this.place(target, movable.topic, movable.partition);
          return true;
        }
      }
    }
    return false;
  }

  /** A partition of `source` that `target` is subscribed to; one `source` did not own before if there is one. */
  private pickMovable(source: string, target: string): { topic: string; partition: number } | null {
    const targetTopics = this.topicsOf.get(target)!;
    let fallback: { topic: string; partition: number } | null = null;
    const topics = [...this.placed.get(source)!.keys()].filter((t) => targetTopics.has(t)).sort(compareStrings);
    for (const topic of topics) {
      const partitions = [...this.placed.get(source)!.get(topic)!].sort((a, b) => b - a);
      for (const partition of partitions) {
        if (this.previousOwner.get(partitionKey(topic, partition)) !== source) return { topic, partition };
        fallback ??= { topic, partition };
      }
    }
    return fallback;
  }

  private place(memberId: string, topic: string, partition: number): void {
    const topics = this.placed.get(memberId)!;
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Set()));
    partitions.add(partition);
    this.ownerOf.set(partitionKey(topic, partition), memberId);
    this.count.set(memberId, this.count.get(memberId)! + 1);
  }

  private unplace(memberId: string, topic: string, partition: number): void {
    const partitions = this.placed.get(memberId)!.get(topic)!;
    partitions.delete(partition);
    if (partitions.size === 0) this.placed.get(memberId)!.delete(topic);
    this.ownerOf.delete(partitionKey(topic, partition));
    this.count.set(memberId, this.count.get(memberId)! - 1);
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf('\u0000');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
