/**
 * The range assignor against cases worked out by hand from Kafka's RangeAssignor rules
 * (per topic, sorted members, floor(P/C) each and one more for the first P % C).
 */
import { test } from '../../../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { rangeAssignor } from '../../../../src/broker/group/assignors/range.js';
import { checkValid, counts, flat, groupArbitrary, member, spread } from './helpers.js';

const assign = (members: ReturnType<typeof member>[], partitions: Record<string, number>) =>
  flat(rangeAssignor.assign({ members, partitionsPerTopic: counts(partitions) }));

test('names itself as Kafka does', () => {
  assert.is(rangeAssignor.name, 'range');
  assert.is(rangeAssignor.rebalanceProtocol, 'eager');
});

test('a member subscribed to nothing, or to a topic without metadata, gets nothing', () => {
  assert.equal(assign([member('c', [])], { t: 3 }), { c: [] });
  assert.equal(assign([member('c', ['unknown'])], { t: 3 }), { c: [] });
  assert.equal(assign([], { t: 3 }), {});
});

test('one member gets every partition of the topics it subscribes to, and no others', () => {
  assert.equal(assign([member('c', ['t1'])], { t1: 3, t2: 2 }), { c: ['t1-0', 't1-1', 't1-2'] });
});

test('two members, one topic of 3: the first gets the extra partition', () => {
  assert.equal(assign([member('c2', ['t']), member('c1', ['t'])], { t: 3 }), { c2: ['t-2'], c1: ['t-0', 't-1'] });
});

test('more members than partitions: the last ones get nothing', () => {
  assert.equal(assign([member('a', ['t']), member('b', ['t']), member('c', ['t'])], { t: 2 }), { a: ['t-0'], b: ['t-1'], c: [] });
});

test('two members, two topics of 3: the first member gets the extra partition of each topic', () => {
  assert.equal(assign([member('c1', ['t1', 't2']), member('c2', ['t1', 't2'])], { t1: 3, t2: 3 }), {
    c1: ['t1-0', 't1-1', 't2-0', 't2-1'],
    c2: ['t1-2', 't2-2'],
  });
});

test('mixed subscriptions: each topic is ranged over its own subscribers', () => {
  const result = assign([member('c1', ['t1']), member('c2', ['t1', 't2']), member('c3', ['t1'])], { t1: 3, t2: 2 });
  assert.equal(result, { c1: ['t1-0'], c2: ['t1-1', 't2-0', 't2-1'], c3: ['t1-2'] });
});

test('static members come first, by instance id, then dynamic members by member id', () => {
  const members = [member('m-a', ['t'], { groupInstanceId: 'z' }), member('m-b', ['t']), member('m-c', ['t'], { groupInstanceId: 'y' })];
  assert.equal(assign(members, { t: 3 }), { 'm-a': ['t-1'], 'm-b': ['t-2'], 'm-c': ['t-0'] });
});

test('property: valid and complete; balanced per topic when all share one topic; independent of member order', () => {
  fc.assert(
    fc.property(groupArbitrary(), fc.nat(), ({ members, partitionsPerTopic }, rotation) => {
      const result = rangeAssignor.assign({ members, partitionsPerTopic });
      checkValid(members, partitionsPerTopic, result, true);
      const rotated = [...members.slice(rotation % members.length), ...members.slice(0, rotation % members.length)];
      assert.equal(flat(rangeAssignor.assign({ members: rotated, partitionsPerTopic })), flat(result));
    }),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 40 }), (memberCount, partitionCount) => {
      const members = Array.from({ length: memberCount }, (_, i) => member(`m${i}`, ['t']));
      assert.ok(spread(rangeAssignor.assign({ members, partitionsPerTopic: counts({ t: partitionCount }) })) <= 1);
    }),
  );
});

test('bad input is refused', () => {
  assert.throws(() => assign([member('a', ['t']), member('a', ['t'])], { t: 1 }), /listed twice/);
  assert.throws(() => assign([member('a', ['t'])], { t: -1 }), /partitions/);
});

test.run();
