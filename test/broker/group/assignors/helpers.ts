/**
 * Shared pieces of the assignor tests: members built from a few words, results flattened to
 * "topic-partition" strings, the validity checks every assignor must pass, and fast-check
 * generators of groups.
 */
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type { AssignorMember, MemberAssignments } from '../../../../src/broker/group/assignors/assignor.js';
import type { TopicPartitions } from '../../../../src/broker/group/consumer-protocol.js';

export function member(
  memberId: string,
  topics: string[],
  options: { owned?: TopicPartitions[]; generationId?: number; groupInstanceId?: string | null } = {},
): AssignorMember {
  return {
    memberId,
    groupInstanceId: options.groupInstanceId ?? null,
    subscription: { version: 3, topics, userData: null, ownedPartitions: options.owned ?? [], generationId: options.generationId ?? -1, rackId: null },
  };
}

export function counts(entries: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(entries));
}

/** memberId → ['t-0', 't-2', ...] in result order. */
export function flat(result: MemberAssignments): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [memberId, list] of result) out[memberId] = list.flatMap(({ topic, partitions }) => partitions.map((p) => `${topic}-${p}`));
  return out;
}

export function sizeOf(list: readonly TopicPartitions[]): number {
  return list.reduce((n, { partitions }) => n + partitions.length, 0);
}

/** Every partition of a topic someone subscribes to (and that has metadata). */
export function subscribedPartitions(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>): Set<string> {
  const all = new Set<string>();
  for (const m of members) {
    for (const topic of m.subscription.topics) {
      for (let p = 0; p < (partitionsPerTopic.get(topic) ?? 0); p++) all.add(`${topic}-${p}`);
    }
  }
  return all;
}

/**
 * What every assignor owes: an entry per member and no other, topics sorted and partitions
 * ascending, partitions only of subscribed topics that exist, none twice; with `complete`,
 * every subscribed partition placed.
 */
export function checkValid(members: readonly AssignorMember[], partitionsPerTopic: ReadonlyMap<string, number>, result: MemberAssignments, complete: boolean): void {
  assert.equal([...result.keys()].sort(), members.map((m) => m.memberId).sort(), 'one entry per member');
  const seen = new Set<string>();
  for (const m of members) {
    const list = result.get(m.memberId)!;
    const topics = list.map((t) => t.topic);
    assert.equal(topics, [...topics].sort(), `${m.memberId}: topics sorted`);
    assert.is(new Set(topics).size, topics.length, `${m.memberId}: each topic once`);
    for (const { topic, partitions } of list) {
      assert.ok(partitions.length > 0, `${m.memberId}: no empty topic entries`);
      assert.ok(m.subscription.topics.includes(topic), `${m.memberId} got ${topic}, which it does not subscribe to`);
      assert.equal(partitions, [...partitions].sort((a, b) => a - b), `${m.memberId}: partitions ascending`);
      for (const p of partitions) {
        assert.ok(Number.isInteger(p) && p >= 0 && p < (partitionsPerTopic.get(topic) ?? 0), `${topic}-${p} exists`);
        assert.not.ok(seen.has(`${topic}-${p}`), `${topic}-${p} assigned twice`);
        seen.add(`${topic}-${p}`);
      }
    }
  }
  if (complete) assert.equal([...seen].sort(), [...subscribedPartitions(members, partitionsPerTopic)].sort(), 'every subscribed partition assigned');
}

/**
 * Kafka's balance criterion (AbstractStickyAssignor.isBalanced): no member could take a
 * partition from a member holding two or more partitions more than it.
 */
export function checkNoImprovingMove(members: readonly AssignorMember[], result: MemberAssignments): void {
  for (const rich of members) {
    const richList = result.get(rich.memberId)!;
    for (const poor of members) {
      if (sizeOf(result.get(poor.memberId)!) + 2 > sizeOf(richList)) continue;
      const takeable = richList.find(({ topic }) => poor.subscription.topics.includes(topic));
      assert.not.ok(takeable, `${poor.memberId} (${sizeOf(result.get(poor.memberId)!)}) could take ${takeable?.topic} from ${rich.memberId} (${sizeOf(richList)})`);
    }
  }
}

export function spread(result: MemberAssignments): number {
  const sizes = [...result.values()].map(sizeOf);
  return Math.max(...sizes) - Math.min(...sizes);
}

export interface GeneratedGroup {
  partitionsPerTopic: Map<string, number>;
  members: AssignorMember[];
}

const TOPICS = ['alpha', 'beta', 'gamma', 'delta'];

/** 1-4 topics of 0-9 partitions (plus one without metadata), 1-7 members with non-empty subscriptions. */
export function groupArbitrary({ sameSubscriptions = false, maxMembers = 7 } = {}): fc.Arbitrary<GeneratedGroup> {
  return fc
    .record({
      partitionCounts: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: TOPICS.length }),
      memberCount: fc.integer({ min: 1, max: maxMembers }),
      subscriptionSeeds: fc.array(fc.array(fc.boolean(), { minLength: TOPICS.length + 1, maxLength: TOPICS.length + 1 }), { minLength: maxMembers, maxLength: maxMembers }),
      idSeeds: fc.uniqueArray(fc.integer({ min: 0, max: 999 }), { minLength: maxMembers, maxLength: maxMembers }),
    })
    .map(({ partitionCounts, memberCount, subscriptionSeeds, idSeeds }) => {
      const topics = TOPICS.slice(0, partitionCounts.length);
      const partitionsPerTopic = new Map(topics.map((t, i) => [t, partitionCounts[i]!]));
      const candidates = [...topics, 'no-metadata'];
      const members = Array.from({ length: memberCount }, (_, i) => {
        const seed = sameSubscriptions ? subscriptionSeeds[0]! : subscriptionSeeds[i]!;
        let subscribed = candidates.filter((_, t) => seed[t]);
        if (subscribed.length === 0) subscribed = [topics[0]!];
        return member(`m${idSeeds[i]}`, subscribed);
      });
      return { partitionsPerTopic, members };
    });
}
