/**
 * Kafka's RangeAssignor ('range', the Java consumer's historical default), topic by topic:
 * the members subscribed to a topic, in Kafka's member order, each get floor(P/C)
 * consecutive partitions, and the first P % C of them one more. With several topics the
 * first members get the extra partition of every topic, which is why range can be unbalanced
 * over many topics, and why co-partitioned topics (same key → same partition number) land
 * on the same member.
 *
 * Rack-aware placement (KIP-881) is not done: rackId is ignored, as Kafka does when no rack
 * is configured. Pure function.
 */
import { addPartition, checkAssignorInput, compareMembers, toMemberAssignments, type Assignor, type AssignorInput, type MemberAssignments } from './assignor.js';

export const rangeAssignor: Assignor = {
  name: 'range',
  protocolVersion: 0,
  rebalanceProtocol: 'eager',
  assign(input: AssignorInput): MemberAssignments {
    checkAssignorInput(input);
    const byMember = new Map<string, Map<string, number[]>>();
    const sorted = [...input.members].sort(compareMembers);
    const topics = new Set(sorted.flatMap((m) => m.subscription.topics));
    for (const topic of topics) {
      const partitionCount = input.partitionsPerTopic.get(topic);
      if (partitionCount === undefined) continue;
      const consumers = sorted.filter((m) => m.subscription.topics.includes(topic));
      const perConsumer = Math.floor(partitionCount / consumers.length);
      const withExtra = partitionCount % consumers.length;
      consumers.forEach((member, i) => {
        const start = perConsumer * i + Math.min(i, withExtra);
        const length = perConsumer + (i < withExtra ? 1 : 0);
        for (let p = start; p < start + length; p++) addPartition(byMember, member.memberId, topic, p);
      });
    }
    return toMemberAssignments(input.members, byMember);
  },
};
