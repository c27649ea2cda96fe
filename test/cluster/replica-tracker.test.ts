import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReplicaTracker } from '../../src/cluster/replica-tracker.js';

test('the high watermark is the minimum LEO over the recorded ISR, the leader included', () => {
  const t = new ReplicaTracker(1, [1, 2, 3], [1, 2, 3], 0, 0);
  assert.is(t.highWatermark(10), -1, 'followers that never fetched hold it back');
  t.onFollowerFetch(2, 7, 10, 1);
  t.onFollowerFetch(3, 4, 10, 1);
  assert.is(t.highWatermark(10), 4);
  t.onFollowerFetch(3, 10, 10, 2);
  assert.is(t.highWatermark(10), 7);
  t.onFollowerFetch(2, 10, 12, 3);
  assert.is(t.highWatermark(12), 10);
});

test('a replica outside the recorded ISR never holds the HW back, nor lifts it', () => {
  const t = new ReplicaTracker(1, [1, 2, 3], [1, 2], 0, 0);
  t.onFollowerFetch(2, 8, 8, 1);
  assert.is(t.highWatermark(8), 8, 'follower 3 (out of the ISR) does not count');
  t.setIsr([1]);
  assert.is(t.highWatermark(9), 9, 'leader alone: its own LEO');
});

test('lagging: not caught up for longer than lag time; a chasing follower stays in sync', () => {
  const t = new ReplicaTracker(1, [1, 2, 3], [1, 2, 3], 0, 0);
  // Follower 2 chases a leader that keeps writing: never at the end, always past the previous end.
  let leo = 10;
  let offset = 0;
  for (let now = 100; now <= 1000; now += 100) {
    t.onFollowerFetch(2, offset, leo, now);
    offset = leo;
    leo += 10;
  }
  // Follower 3 fetched once at the start and stopped (paused, cut off).
  t.onFollowerFetch(3, 0, 10, 100);
  assert.equal(t.laggingFollowers(1000, 500), [3]);
  assert.equal(t.laggingFollowers(450, 500), [], 'within the lag time since leadership began');
});

test('caught up: outside the ISR, at or past the HW and the epoch start', () => {
  const t = new ReplicaTracker(1, [1, 2, 3], [1], 50, 0);
  t.onFollowerFetch(2, 40, 60, 1);
  t.onFollowerFetch(3, 60, 60, 1);
  assert.equal(t.caughtUpFollowers(60), [3]);
  assert.equal(t.caughtUpFollowers(30), [3], 'follower 2 is below the epoch start (50): it may hold an older tail');
  t.onFollowerFetch(2, 60, 60, 2);
  assert.equal(t.caughtUpFollowers(60), [2, 3]);
  t.setIsr([1, 2, 3]);
  assert.equal(t.caughtUpFollowers(60), []);
});

test.run();
