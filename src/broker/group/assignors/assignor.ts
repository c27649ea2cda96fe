/**
 * What a partition assignor is (Kafka's ConsumerPartitionAssignor): a pure function from the
 * group's members and their subscriptions, plus the partition count of every subscribed
 * topic, to each member's partitions. It runs in the group leader, client side: the embedded
 * consumer calls it with the members JoinGroup handed the leader, then sends the encoded
 * results through SyncGroup. The coordinator never calls it.
 *
 * Also the helpers every assignor shares: Kafka's member order and the result shape.
 */
import { SkeinError } from '../../../errors.js';
import type { Subscription, TopicPartitions } from '../consumer-protocol.js';

/** 'eager': members give up everything before each rebalance. 'cooperative': they keep what they still own (KIP-429). */
export type RebalanceProtocol = 'eager' | 'cooperative';

export interface AssignorMember {
  memberId: string;
  /** Static members (group.instance.id) sort before dynamic ones, by instance id, as in Kafka. */
  groupInstanceId?: string | null;
  subscription: Subscription;
}

export interface AssignorInput {
  members: readonly AssignorMember[];
  /** Partition count per topic. Subscribed topics missing here (no metadata yet) are not assigned. */
  partitionsPerTopic: ReadonlyMap<string, number>;
}

/** memberId → its partitions, topics in name order, partitions ascending. Every member has an entry, maybe []. */
export type MemberAssignments = Map<string, TopicPartitions[]>;

export interface Assignor {
  /** The protocol name members offer in JoinGroup: Kafka's 'range', 'roundrobin', 'cooperative-sticky'. */
  readonly name: string;
  /** The assignor's own version (Kafka's ConsumerPartitionAssignor.version()); 0 for the built-in ones. */
  readonly protocolVersion: number;
  readonly rebalanceProtocol: RebalanceProtocol;
  assign(input: AssignorInput): MemberAssignments;
}

/**
 * Kafka's member order (AbstractPartitionAssignor.MemberInfo): static members first, by
 * instance id; then dynamic members by member id. Comparison by UTF-16 code units, like Java's
 * String.compareTo.
 */
export function compareMembers(a: AssignorMember, b: AssignorMember): number {
  const ai = a.groupInstanceId ?? null;
  const bi = b.groupInstanceId ?? null;
  if (ai !== null && bi !== null) return compareStrings(ai, bi);
  if (ai !== null) return -1;
  if (bi !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rejects input no assignor can work from: duplicate members, bad partition counts. */
export function checkAssignorInput({ members, partitionsPerTopic }: AssignorInput): void {
  const seen = new Set<string>();
  for (const member of members) {
    if (seen.has(member.memberId)) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `member ${member.memberId} is listed twice`, { memberId: member.memberId });
    }
    seen.add(member.memberId);
  }
  for (const [topic, count] of partitionsPerTopic) {
    if (!Number.isInteger(count) || count < 0) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `topic ${topic} has ${count} partitions`, { topic });
    }
  }
}

/**
 * Builds the result shape from per-member, per-topic partition lists: every member present,
 * topics sorted, partitions ascending, topics with no partitions left out.
 */
export function toMemberAssignments(
  members: readonly AssignorMember[],
  byMember: ReadonlyMap<string, ReadonlyMap<string, number[]>>,
): MemberAssignments {
  const result: MemberAssignments = new Map();
  for (const { memberId } of members) {
    const topics = byMember.get(memberId);
    const list: TopicPartitions[] = [];
    if (topics) {
      for (const topic of [...topics.keys()].sort(compareStrings)) {
        const partitions = [...topics.get(topic)!].sort((x, y) => x - y);
        if (partitions.length > 0) list.push({ topic, partitions });
      }
    }
    result.set(memberId, list);
  }
  return result;
}

/** Adds one partition to a member's per-topic lists. */
export function addPartition(byMember: Map<string, Map<string, number[]>>, memberId: string, topic: string, partition: number): void {
  let topics = byMember.get(memberId);
  if (!topics) byMember.set(memberId, (topics = new Map()));
  let partitions = topics.get(topic);
  if (!partitions) topics.set(topic, (partitions = []));
  partitions.push(partition);
}
