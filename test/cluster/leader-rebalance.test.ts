/**
 * The automatic preferred-leader rebalance decisions (src/cluster/leader-rebalance.ts) on
 * hand-made partition states, and the options that control it (Kafka's names and defaults):
 * a broker whose imbalance exceeds the percentage gets back every partition it can lead
 * cleanly; at or below the percentage nothing moves; a preferred replica that is dead,
 * shutting down, restarted and not yet accepted, or outside the ISR is never elected; a
 * partition under reassignment is left alone.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { leaderImbalance, preferredLeaderMoves, type RebalancePartition, type RebalanceView } from '../../src/cluster/leader-rebalance.js';
import { resolveClusterOptions } from '../../src/cluster/cluster-options.js';
import { SkeinError } from '../../src/errors.js';

function p(partition: number, replicas: number[], leader: number, isr = replicas, reassigning = false): RebalancePartition & { version: number } {
  return { topic: 't', partition, replicas, leader, leaderEpoch: 4, isr, reassigning, version: 100 + partition };
}

const view = (over: Partial<RebalanceView> = {}): RebalanceView => ({
  live: new Set([1, 2, 3]),
  shuttingDown: new Set(),
  restarted: new Set(),
  imbalancePercentage: 10,
  ...over,
});

test('a broker led elsewhere above the percentage gets its preferred partitions back, epoch + 1, ISR kept', () => {
  const partitions = [p(0, [1, 2, 3], 2), p(1, [1, 3, 2], 3), p(2, [2, 3, 1], 2), p(3, [3, 1, 2], 3)];
  assert.equal([...leaderImbalance(partitions)].sort(), [
    [1, { preferred: 2, notLed: 2 }],
    [2, { preferred: 1, notLed: 0 }],
    [3, { preferred: 1, notLed: 0 }],
  ]);
  const moves = preferredLeaderMoves(partitions, view());
  assert.equal(
    moves.map((m) => [m.from.partition, m.from.version, m.state]),
    [
      [0, 100, { leader: 1, leaderEpoch: 5, isr: [1, 2, 3], replicas: [1, 2, 3] }],
      [1, 101, { leader: 1, leaderEpoch: 5, isr: [1, 3, 2], replicas: [1, 3, 2] }],
    ],
  );
});

test('at or below leader.imbalance.per.broker.percentage nothing moves', () => {
  // Broker 1 prefers 10 partitions and leads 9: 10 % imbalance.
  const partitions = Array.from({ length: 10 }, (_, i) => p(i, [1, 2, 3], i === 0 ? 2 : 1));
  assert.equal(preferredLeaderMoves(partitions, view({ imbalancePercentage: 10 })), []);
  assert.is(preferredLeaderMoves(partitions, view({ imbalancePercentage: 9 })).length, 1);
  assert.is(preferredLeaderMoves(partitions, view({ imbalancePercentage: 0 })).length, 1);
});

test('a preferred replica that is dead, shutting down, restarted and not yet accepted, or out of the ISR is never elected', () => {
  const partitions = [p(0, [1, 2, 3], 2)];
  assert.equal(preferredLeaderMoves(partitions, view({ live: new Set([2, 3]) })), []);
  assert.equal(preferredLeaderMoves(partitions, view({ shuttingDown: new Set([1]) })), []);
  assert.equal(preferredLeaderMoves(partitions, view({ restarted: new Set([1]) })), []);
  assert.equal(preferredLeaderMoves([p(0, [1, 2, 3], 2, [2, 3])], view()), []);
  assert.is(preferredLeaderMoves(partitions, view()).length, 1);
});

test('a partition under reassignment is left to the reassignment, and does not count', () => {
  assert.equal(preferredLeaderMoves([p(0, [1, 2, 3], 2, [1, 2, 3], true)], view()), []);
  assert.equal([...leaderImbalance([p(0, [1, 2, 3], 2, [1, 2, 3], true)])], []);
});

test('options: Kafka\'s defaults (on, 300 s, 10 %), and bad values refused', () => {
  const base = { nodeId: 1, etcd: 'http://127.0.0.1:2379' };
  const resolved = resolveClusterOptions(base);
  assert.equal([resolved.autoLeaderRebalanceEnable, resolved.leaderImbalanceCheckIntervalSeconds, resolved.leaderImbalancePerBrokerPercentage], [true, 300, 10]);
  const tuned = resolveClusterOptions({ ...base, autoLeaderRebalanceEnable: false, leaderImbalanceCheckIntervalSeconds: 1, leaderImbalancePerBrokerPercentage: 0 });
  assert.equal([tuned.autoLeaderRebalanceEnable, tuned.leaderImbalanceCheckIntervalSeconds, tuned.leaderImbalancePerBrokerPercentage], [false, 1, 0]);
  for (const bad of [{ leaderImbalanceCheckIntervalSeconds: 0 }, { leaderImbalancePerBrokerPercentage: 101 }, { leaderImbalancePerBrokerPercentage: 5.5 }]) {
    try {
      resolveClusterOptions({ ...base, ...bad });
      assert.unreachable(JSON.stringify(bad));
    } catch (err) {
      assert.ok(err instanceof SkeinError && err.code === 'SKEIN_INVALID_ARGUMENT', String(err));
    }
  }
});

test.run();
