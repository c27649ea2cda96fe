/**
 * Kafka's RoundRobinAssignor ('roundrobin'): every subscribed partition of every topic,
 * sorted by topic then partition, is dealt in turn to the members in Kafka's member order;
 * a member not subscribed to the partition's topic is skipped (and keeps its place in the
 * circle). When all members subscribe to the same topics, counts differ by at most one.
 *
 * Pure function.
 */
import { addPartition, checkAssignorInput, compareMembers, compareStrings, toMemberAssignments, type Assignor, type AssignorInput, type MemberAssignments } from './assignor.js';

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  protocolVersion: 0,
  rebalanceProtocol: 'eager',
  assign(input: AssignorInput): MemberAssignments {
    checkAssignorInput(input);
    const byMember = new Map<string, Map<string, number[]>>();
    const circle = [...input.members].sort(compareMembers);
    const subscribed = circle.map((m) => new Set(m.subscription.topics));
    const topics = [...new Set(circle.flatMap((m) => m.subscription.topics))].sort(compareStrings);
    let next = 0;
    for (const topic of topics) {
      const partitionCount = input.partitionsPerTopic.get(topic) ?? 0;
      for (let partition = 0; partition < partitionCount; partition++) {
        // Someone is subscribed to every topic in `topics`, so this finds a member.
        while (!subscribed[next]!.has(topic)) next = (next + 1) % circle.length;
        addPartition(byMember, circle[next]!.memberId, topic, partition);
        next = (next + 1) % circle.length;
      }
    }
    return toMemberAssignments(input.members, byMember);
  },
};
