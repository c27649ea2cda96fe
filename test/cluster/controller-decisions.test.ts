/**
 * The controller's per-partition decisions as pure functions: restarted brokers leave the
 * ISR (and lead again only as its last member with their old folder), brokers in controlled
 * shutdown hand leadership to another live ISR member or keep it when there is none, and a
 * reassignment advances through its steps (KIP-455) or reverts when cancelled.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decidePartition, type ControllerView } from '../../src/cluster/controller-decisions.js';
import { NO_LEADER } from '../../src/cluster/partition-state.js';
import { addingReplicas, fullReplicas, reassignmentStep, removingReplicas } from '../../src/cluster/reassignment.js';

const state = { replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3] };
const view = (over: Partial<ControllerView> = {}): ControllerView => ({
  live: new Set([1, 2, 3]),
  shuttingDown: new Set(),
  restarted: new Map(),
  allowUnclean: false,
  ...over,
});

test('nothing to do: unchanged', () => {
  const d = decidePartition(state, view());
  assert.is(d.changed, false);
  assert.equal(d.state, state);
});

test('controlled shutdown of the leader: the next live ISR member leads, epoch + 1, the leaving broker leaves the ISR', () => {
  const d = decidePartition(state, view({ shuttingDown: new Set([1]) }));
  assert.equal(d.state, { replicas: [1, 2, 3], leader: 2, leaderEpoch: 5, isr: [2, 3] });
  assert.ok(d.changed);
});

test('controlled shutdown of a follower: it leaves the ISR, the leader and epoch stay', () => {
  const d = decidePartition(state, view({ shuttingDown: new Set([3]) }));
  assert.equal(d.state, { ...state, isr: [1, 2] });
});

test('controlled shutdown of the only ISR member: it keeps leading (nobody else has the records)', () => {
  const alone = { ...state, isr: [1] };
  const d = decidePartition(alone, view({ shuttingDown: new Set([1]) }));
  assert.is(d.changed, false);
  assert.is(d.state.leader, 1);
});

test('two brokers shutting down: leadership skips both when a third ISR member lives', () => {
  const d = decidePartition(state, view({ shuttingDown: new Set([1, 2]) }));
  assert.equal(d.state, { replicas: [1, 2, 3], leader: 3, leaderEpoch: 5, isr: [3] });
});

test('a dead leader whose only live ISR member is shutting down: elected anyway rather than going offline', () => {
  const d = decidePartition({ ...state, isr: [1, 2] }, view({ live: new Set([2, 3]), shuttingDown: new Set([2]) }));
  assert.is(d.state.leader, 2);
  assert.is(d.state.leaderEpoch, 5);
});

test('a restarted follower leaves the ISR (the leader takes it back once it caught up)', () => {
  const d = decidePartition(state, view({ restarted: new Map([[2, 'restarted']]) }));
  assert.equal(d.state, { ...state, isr: [1, 3] });
});

test('a restarted leader loses leadership to a live ISR member', () => {
  const d = decidePartition(state, view({ restarted: new Map([[1, 'restarted']]) }));
  assert.equal(d.state, { replicas: [1, 2, 3], leader: 2, leaderEpoch: 5, isr: [2, 3] });
});

test('a restarted leader that was the last ISR member leads again, in a new epoch', () => {
  const d = decidePartition({ ...state, isr: [1] }, view({ restarted: new Map([[1, 'restarted']]) }));
  assert.is(d.state.leader, 1);
  assert.ok(d.state.leaderEpoch > 4);
  assert.equal(d.state.isr, [1]);
});

test('a broker back with a new data folder never leads data it lacks: out of the ISR, the partition offline if it was the last member', () => {
  const d = decidePartition({ ...state, isr: [1] }, view({ restarted: new Map([[1, 'lostData']]) }));
  assert.is(d.state.leader, NO_LEADER);
  assert.equal(d.state.isr, []);
  // And it stays so on the next pass, with the broker accepted and alive.
  const next = decidePartition(d.state, view());
  assert.is(next.changed, false);
  assert.is(next.state.leader, NO_LEADER);
  // Another ISR member takes over when there is one.
  const other = decidePartition(state, view({ restarted: new Map([[1, 'lostData']]) }));
  assert.equal(other.state, { replicas: [1, 2, 3], leader: 2, leaderEpoch: 5, isr: [2, 3] });
});

test('an offline partition waiting for its last ISR member: it leads again when it restarts with its folder', () => {
  const offline = { ...state, leader: NO_LEADER, leaderEpoch: 5, isr: [1] };
  const d = decidePartition(offline, view({ restarted: new Map([[1, 'restarted']]) }));
  assert.is(d.state.leader, 1);
  assert.is(d.state.leaderEpoch, 6);
});

test('reassignment [1,2] -> [2,3]: both sets first, then waits for 3 in the ISR, then the final set with a leader from the target', () => {
  const r = { original: [1, 2], target: [2, 3] };
  assert.equal(addingReplicas(r), [3]);
  assert.equal(removingReplicas(r), [1]);
  assert.equal(fullReplicas(r), [2, 3, 1]);
  const start = { replicas: [1, 2], leader: 1, leaderEpoch: 0, isr: [1, 2] };
  const one = decidePartition(start, view(), r);
  assert.equal(one.state, { ...start, replicas: [2, 3, 1] });
  assert.is(one.reassignmentDone, false);
  const waiting = decidePartition(one.state, view(), r);
  assert.is(waiting.changed, false, 'broker 3 is not in the ISR yet');
  assert.is(waiting.reassignmentDone, false);
  const caughtUp = { ...one.state, isr: [1, 2, 3] };
  const done = decidePartition(caughtUp, view(), r);
  assert.ok(done.reassignmentDone);
  assert.equal(done.state, { replicas: [2, 3], leader: 2, leaderEpoch: 1, isr: [2, 3] });
});

test('reassignment keeping the leader: no new epoch, the removed follower leaves replicas and ISR', () => {
  const r = { original: [1, 2], target: [1, 3] };
  const s = { replicas: [1, 3, 2], leader: 1, leaderEpoch: 7, isr: [1, 2, 3] };
  const done = reassignmentStep(s, r, new Set([1, 2, 3]));
  assert.ok(done.done);
  assert.equal(done.state, { replicas: [1, 3], leader: 1, leaderEpoch: 7, isr: [1, 3] });
});

test('a cancelled reassignment reverts at once to the original replicas, leadership back to one of them', () => {
  const r = { original: [1, 2], target: [1, 2], cancelling: true };
  const s = { replicas: [3, 4, 1, 2], leader: 3, leaderEpoch: 2, isr: [1, 2, 3] };
  const step = reassignmentStep(s, r, new Set([1, 2, 3, 4]));
  assert.ok(step.done);
  assert.equal(step.state, { replicas: [1, 2], leader: 1, leaderEpoch: 3, isr: [1, 2] });
});

test.run();
