/**
 * The round-robin assignor against cases worked out by hand from Kafka's RoundRobinAssignor
 * rules (all partitions sorted by topic then partition, dealt to sorted members in a circle,
 * skipping members not subscribed), plus properties.
 */
import { test } from '../../../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { roundRobinAssignor } from '../../../../src/broker/group/assignors/round-robin.js';
import { checkValid, counts, flat, groupArbitrary, member, spread } from './helpers.js';

const assign = (members: ReturnType<typeof member>[], partitions: Record<string, number>) =>
  flat(roundRobinAssignor.assign({ members, partitionsPerTopic: counts(partitions) }));

test('names itself as Kafka does', () => {
  assert.is(roundRobinAssignor.name, 'roundrobin');
  assert.is(roundRobinAssignor.rebalanceProtocol, 'eager');
});

test('a member subscribed to nothing, or to a topic without metadata, gets nothing', () => {
  assert.equal(assign([member('c', [])], { t: 3 }), { c: [] });
  assert.equal(assign([member('c', ['unknown'])], { t: 3 }), { c: [] });
});

test('one member gets every partition of its topics', () => {
  assert.equal(assign([member('c', ['t1'])], { t1: 3, t2: 2 }), { c: ['t1-0', 't1-1', 't1-2'] });
});

test('two members, one topic of 3: dealt alternately', () => {
  assert.equal(assign([member('c2', ['t']), member('c1', ['t'])], { t: 3 }), { c2: ['t-1'], c1: ['t-0', 't-2'] });
});

test('two members, two topics of 3: the circle continues across topics', () => {
  assert.equal(assign([member('c1', ['t1', 't2']), member('c2', ['t1', 't2'])], { t1: 3, t2: 3 }), {
    c1: ['t1-0', 't1-2', 't2-1'],
    c2: ['t1-1', 't2-0', 't2-2'],
  });
});

test('mixed subscriptions: members not subscribed are skipped', () => {
  const result = assign([member('c1', ['t1']), member('c2', ['t1', 't2']), member('c3', ['t1'])], { t1: 3, t2: 2 });
  assert.equal(result, { c1: ['t1-0'], c2: ['t1-1', 't2-0', 't2-1'], c3: ['t1-2'] });
});

test('a skipped member keeps its place in the circle', () => {
  // a0→c1, a1: c2 skipped→c1, a2: c2 skipped→c1, b0→c2, b1→c1, b2→c2.
  assert.equal(assign([member('c1', ['a', 'b']), member('c2', ['b'])], { a: 3, b: 3 }), { c1: ['a-0', 'a-1', 'a-2', 'b-1'], c2: ['b-0', 'b-2'] });
});

test('static members come first, by instance id', () => {
  const members = [member('a', ['t']), member('b', ['t'], { groupInstanceId: 'i2' }), member('c', ['t'], { groupInstanceId: 'i1' })];
  assert.equal(assign(members, { t: 4 }), { a: ['t-2'], b: ['t-1'], c: ['t-0', 't-3'] });
});

test('property: valid and complete, independent of member order; counts differ by at most one when subscriptions are equal', () => {
  fc.assert(
    fc.property(groupArbitrary(), fc.nat(), ({ members, partitionsPerTopic }, rotation) => {
      const result = roundRobinAssignor.assign({ members, partitionsPerTopic });
      checkValid(members, partitionsPerTopic, result, true);
      const rotated = [...members.slice(rotation % members.length), ...members.slice(0, rotation % members.length)];
      assert.equal(flat(roundRobinAssignor.assign({ members: rotated, partitionsPerTopic })), flat(result));
    }),
  );
  fc.assert(
    fc.property(groupArbitrary({ sameSubscriptions: true }), ({ members, partitionsPerTopic }) => {
      assert.ok(spread(roundRobinAssignor.assign({ members, partitionsPerTopic })) <= 1);
    }),
  );
});

test.run();
