/**
 * The cooperative-sticky assignor: hand-worked cases (a member joins, leaves, claims from a
 * stale generation, two members claiming one partition, an unsubscribed topic) and
 * properties over simulated groups that rebalance round after round the way consumers do:
 * each member reports what it owns, revokes what it lost, and rejoins while anything was
 * revoked. At every round no partition goes to a member while another still owns it; groups
 * settle, complete and balanced; with equal subscriptions adding members moves the fewest
 * partitions a balanced result allows.
 */
import { test } from '../../../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { cooperativeStickyAssignor, needsFollowUpRebalance, revokedPartitions } from '../../../../src/broker/group/assignors/cooperative-sticky.js';
import type { MemberAssignments } from '../../../../src/broker/group/assignors/assignor.js';
import type { TopicPartitions } from '../../../../src/broker/group/consumer-protocol.js';
import { checkNoImprovingMove, checkValid, counts, flat, groupArbitrary, member, sizeOf, spread } from './helpers.js';

/** A consumer as the leader sees it: its subscription and what it owns since `generation`. */
interface SimMember {
  id: string;
  topics: string[];
  owned: TopicPartitions[];
  generation: number;
}

const tp = (topic: string, ...partitions: number[]): TopicPartitions => ({ topic, partitions });

function toAssignorMembers(sim: readonly SimMember[]) {
  return sim.map((m) => member(m.id, m.topics, { owned: m.owned, generationId: m.generation }));
}

/**
 * One rebalance of generation `generation`: assign, check the cooperative rule, hand each
 * member its assignment. Returns the result and whether any member must rejoin.
 */
function rebalance(sim: SimMember[], partitionsPerTopic: Map<string, number>, generation: number): { result: MemberAssignments; followUp: boolean } {
  const members = toAssignorMembers(sim);
  const result = cooperativeStickyAssignor.assign({ members, partitionsPerTopic });
  checkValid(members, partitionsPerTopic, result, false);
  const assigned = new Set(Object.values(flat(result)).flat());
  let followUp = false;
  for (const m of sim) {
    const mine = result.get(m.id)!;
    for (const { topic, partitions } of revokedPartitions(m.owned, mine)) {
      for (const p of partitions) assert.not.ok(assigned.has(`${topic}-${p}`), `${topic}-${p} moved away from ${m.id} in the same generation ${generation}`);
    }
    followUp ||= needsFollowUpRebalance(m.owned, mine);
  }
  for (const m of sim) {
    m.owned = result.get(m.id)!;
    m.generation = generation;
  }
  return { result, followUp };
}

/** Rebalances until nobody must rejoin; returns the number of rounds and the last result. */
function settle(sim: SimMember[], partitionsPerTopic: Map<string, number>, firstGeneration: number): { rounds: number; result: MemberAssignments } {
  for (let round = 1; round <= 6; round++) {
    const { result, followUp } = rebalance(sim, partitionsPerTopic, firstGeneration + round - 1);
    if (!followUp) return { rounds: round, result };
  }
  assert.unreachable('the group did not settle within 6 rebalances');
  throw new Error('unreachable');
}

test('names itself as Kafka does and rebalances cooperatively', () => {
  assert.is(cooperativeStickyAssignor.name, 'cooperative-sticky');
  assert.is(cooperativeStickyAssignor.rebalanceProtocol, 'cooperative');
});

test('revokedPartitions and needsFollowUpRebalance compare what a member owned with what it got', () => {
  assert.equal(revokedPartitions([tp('a', 0, 1), tp('b', 2)], [tp('a', 1), tp('c', 0)]), [tp('a', 0), tp('b', 2)]);
  assert.ok(needsFollowUpRebalance([tp('a', 0)], []));
  assert.not.ok(needsFollowUpRebalance([tp('a', 0)], [tp('a', 0, 1)]), 'gaining partitions needs no rejoin');
  assert.not.ok(needsFollowUpRebalance([], []));
});

test('a fresh group is dealt out evenly', () => {
  const result = cooperativeStickyAssignor.assign({ members: [member('a', ['t']), member('b', ['t'])], partitionsPerTopic: counts({ t: 4 }) });
  assert.equal([...result.values()].map(sizeOf), [2, 2]);
});

test('a member joins: the others give up what it needs, which it gets one rebalance later', () => {
  const sim: SimMember[] = [
    { id: 'c1', topics: ['t'], owned: [tp('t', 0, 1, 2)], generation: 1 },
    { id: 'c2', topics: ['t'], owned: [tp('t', 3, 4, 5)], generation: 1 },
    { id: 'c3', topics: ['t'], owned: [], generation: -1 },
  ];
  const partitions = counts({ t: 6 });
  const first = rebalance(sim, partitions, 2);
  const firstFlat = flat(first.result);
  assert.is(firstFlat.c1!.length, 2);
  assert.is(firstFlat.c2!.length, 2);
  assert.ok(firstFlat.c1!.every((p) => ['t-0', 't-1', 't-2'].includes(p)), 'c1 keeps two of its own');
  assert.ok(firstFlat.c2!.every((p) => ['t-3', 't-4', 't-5'].includes(p)), 'c2 keeps two of its own');
  assert.equal(firstFlat.c3, [], 'nothing for c3 until the others have revoked');
  assert.ok(first.followUp);
  const second = rebalance(sim, partitions, 3);
  const secondFlat = flat(second.result);
  assert.equal(secondFlat.c1, firstFlat.c1);
  assert.equal(secondFlat.c2, firstFlat.c2);
  assert.is(secondFlat.c3!.length, 2);
  assert.not.ok(second.followUp);
});

test('a member leaves: its partitions go to the others at once, nobody else moves', () => {
  const sim: SimMember[] = [
    { id: 'c1', topics: ['t'], owned: [tp('t', 0, 1)], generation: 4 },
    { id: 'c2', topics: ['t'], owned: [tp('t', 2, 3)], generation: 4 },
  ];
  const { result, followUp } = rebalance(sim, counts({ t: 6 }), 5);
  const f = flat(result);
  assert.ok(['t-0', 't-1'].every((p) => f.c1!.includes(p)) && ['t-2', 't-3'].every((p) => f.c2!.includes(p)));
  assert.equal([...f.c1!, ...f.c2!].sort(), ['t-0', 't-1', 't-2', 't-3', 't-4', 't-5']);
  assert.not.ok(followUp);
});

test('claims from an older generation are ignored: the stale member neither keeps nor blocks anything', () => {
  const members = [member('c1', ['t'], { owned: [tp('t', 0, 1)], generationId: 3 }), member('c2', ['t'], { owned: [tp('t', 0, 1)], generationId: 2 })];
  const f = flat(cooperativeStickyAssignor.assign({ members, partitionsPerTopic: counts({ t: 2 }) }));
  assert.is(f.c1!.length, 1, 'c1 keeps one of its two (the other must move to c2)');
  assert.equal(f.c2, [], 'the one moving to c2 waits until c1 revoked it');
});

test('two members of one generation claiming one partition: neither keeps it until both have let go', () => {
  const members = [member('c1', ['t'], { owned: [tp('t', 0)], generationId: 5 }), member('c2', ['t'], { owned: [tp('t', 0)], generationId: 5 })];
  const result = cooperativeStickyAssignor.assign({ members, partitionsPerTopic: counts({ t: 2 }) });
  assert.not.ok(Object.values(flat(result)).flat().includes('t-0'));
  assert.ok(needsFollowUpRebalance([tp('t', 0)], result.get('c1')!));
  assert.ok(needsFollowUpRebalance([tp('t', 0)], result.get('c2')!));
});

test('a member unsubscribes from a topic: its partitions move after it revokes them', () => {
  const sim: SimMember[] = [
    { id: 'c1', topics: ['a'], owned: [tp('a', 0), tp('b', 0)], generation: 1 },
    { id: 'c2', topics: ['a', 'b'], owned: [tp('a', 1)], generation: 1 },
  ];
  const partitions = counts({ a: 2, b: 1 });
  const first = rebalance(sim, partitions, 2);
  assert.equal(flat(first.result), { c1: ['a-0'], c2: ['a-1'] });
  assert.ok(first.followUp);
  const second = rebalance(sim, partitions, 3);
  assert.equal(flat(second.result), { c1: ['a-0'], c2: ['a-1', 'b-0'] });
});

test('balancing moves a partition placed this round before one its member already owned', () => {
  // Found by searching small groups: moving an owned partition here would cost a revocation.
  const members = [
    member('m0', ['x', 'y'], { generationId: 1 }),
    member('m1', ['w', 'y'], { owned: [tp('w', 3), tp('y', 2)], generationId: 1 }),
    member('m2', ['w'], { owned: [tp('w', 0, 2)], generationId: 1 }),
  ];
  const partitionsPerTopic = counts({ w: 4, x: 3, y: 3 });
  const result = cooperativeStickyAssignor.assign({ members, partitionsPerTopic });
  checkValid(members, partitionsPerTopic, result, true);
  checkNoImprovingMove(members, result);
  for (const m of members) assert.not.ok(needsFollowUpRebalance(m.subscription.ownedPartitions, result.get(m.memberId)!), `${m.memberId} lost a partition`);
});

test('owned partitions of deleted topics or partitions are dropped quietly', () => {
  const members = [member('c1', ['t', 'gone'], { owned: [tp('gone', 0), tp('t', 0, 7)], generationId: 1 })];
  assert.equal(flat(cooperativeStickyAssignor.assign({ members, partitionsPerTopic: counts({ t: 2 }) })), { c1: ['t-0', 't-1'] });
});

test('property: a fresh group is complete and balanced (equal subscriptions: counts differ by at most one)', () => {
  fc.assert(
    fc.property(groupArbitrary(), ({ members, partitionsPerTopic }) => {
      const result = cooperativeStickyAssignor.assign({ members, partitionsPerTopic });
      checkValid(members, partitionsPerTopic, result, true);
      checkNoImprovingMove(members, result);
    }),
  );
  fc.assert(
    fc.property(groupArbitrary({ sameSubscriptions: true }), ({ members, partitionsPerTopic }) => {
      assert.ok(spread(cooperativeStickyAssignor.assign({ members, partitionsPerTopic })) <= 1);
    }),
  );
});

test('property: members come and go, partitions are added; every round is cooperative and the group settles complete and balanced', () => {
  fc.assert(
    fc.property(
      groupArbitrary({ maxMembers: 5 }),
      groupArbitrary({ maxMembers: 3 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 0, max: 3 }),
      ({ members, partitionsPerTopic }, joiners, leaving, addedPartitions) => {
        const sim: SimMember[] = members.map((m) => ({ id: m.memberId, topics: m.subscription.topics, owned: [], generation: -1 }));
        const settled = settle(sim, partitionsPerTopic, 1);
        checkValid(toAssignorMembers(sim), partitionsPerTopic, settled.result, true);
        // Change the group: some leave, some join (ids kept apart), a topic grows.
        const changed = sim.slice(leaving);
        for (const j of joiners.members) changed.push({ id: `new-${j.memberId}`, topics: j.subscription.topics, owned: [], generation: -1 });
        const grown = new Map(partitionsPerTopic);
        const firstTopic = [...grown.keys()][0]!;
        grown.set(firstTopic, grown.get(firstTopic)! + addedPartitions);
        const after = settle(changed, grown, 10);
        const final = toAssignorMembers(changed);
        checkValid(final, grown, after.result, true);
        checkNoImprovingMove(final, after.result);
      },
    ),
    { numRuns: 200 },
  );
});

test('property: equal subscriptions, members join: old members only give up, new ones get exactly that, the fewest moves a balanced result allows', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 40 }),
      (oldCount, newCount, partitionCount) => {
        const partitions = counts({ t: partitionCount });
        const sim: SimMember[] = Array.from({ length: oldCount }, (_, i) => ({ id: `old${i}`, topics: ['t'], owned: [], generation: -1 }));
        settle(sim, partitions, 1);
        const before = new Map(sim.map((m) => [m.id, new Set(m.owned.flatMap((t) => t.partitions))]));
        for (let i = 0; i < newCount; i++) sim.push({ id: `new${i}`, topics: ['t'], owned: [], generation: -1 });
        const { rounds, result } = settle(sim, partitions, 10);
        assert.ok(rounds <= 2, `settled in ${rounds} rounds`);
        assert.ok(spread(result) <= 1);
        let moved = 0;
        for (const m of sim) {
          const now = m.owned.flatMap((t) => t.partitions);
          const owned = before.get(m.id);
          if (owned) assert.ok(now.every((p) => owned.has(p)), `${m.id} gained a partition`);
          else moved += now.length;
        }
        // Fewest moves: new members need floor(P/M) each; the P % M extra ones stay with old members that have them.
        const total = oldCount + newCount;
        const floor = Math.floor(partitionCount / total);
        const extra = partitionCount % total;
        const oldWithExtra = [...before.values()].filter((s) => s.size >= floor + 1).length;
        assert.is(moved, newCount * floor + extra - Math.min(extra, oldWithExtra));
      },
    ),
  );
});

test.run();
