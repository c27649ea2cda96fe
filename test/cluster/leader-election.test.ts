import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { electLeader } from '../../src/cluster/leader-election.js';
import { NO_LEADER } from '../../src/cluster/partition-state.js';

const state = { replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2, 3] };

test('a live leader stays; dead brokers leave the ISR without a new epoch', () => {
  const same = electLeader(state, new Set([1, 2, 3]), false);
  assert.is(same.changed, false);
  const shrunk = electLeader(state, new Set([1, 3]), false);
  assert.equal(shrunk.state, { ...state, isr: [1, 3] });
  assert.ok(shrunk.changed);
});

test('a dead leader is replaced by the first live ISR member in replica order, epoch + 1', () => {
  const next = electLeader({ ...state, isr: [1, 3] }, new Set([2, 3]), false);
  assert.equal(next.state, { replicas: [1, 2, 3], leader: 3, leaderEpoch: 5, isr: [3] });
  assert.is(next.unclean, false);
});

test('no live ISR member: offline (the last ISR kept), unless unclean election is on', () => {
  const last = { ...state, isr: [1] };
  const offline = electLeader(last, new Set([2, 3]), false);
  assert.equal(offline.state, { ...last, leader: NO_LEADER, leaderEpoch: 5, isr: [1] });
  // Offline stays offline (no new epoch per pass) until an ISR member returns...
  assert.is(electLeader(offline.state, new Set([2, 3]), false).changed, false);
  // ... and then it leads again, cleanly.
  const back = electLeader(offline.state, new Set([1, 2, 3]), false);
  assert.equal(back.state, { ...last, leader: 1, leaderEpoch: 6, isr: [1] });
  const unclean = electLeader(last, new Set([2, 3]), true);
  assert.equal(unclean.state, { replicas: [1, 2, 3], leader: 2, leaderEpoch: 5, isr: [2] });
  assert.ok(unclean.unclean);
});

test.run();
