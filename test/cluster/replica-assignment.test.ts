import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assignReplicas, checkAssignment } from '../../src/cluster/replica-assignment.js';
import { SkeinError } from '../../src/errors.js';

test('every partition gets distinct brokers and leaders spread evenly', () => {
  const brokers = [3, 1, 2];
  for (let start = 0; start < 3; start++) {
    const assignment = assignReplicas(brokers, 6, 3, start);
    assert.is(assignment.length, 6);
    const leaders = new Map<number, number>();
    for (const replicas of assignment) {
      assert.is(new Set(replicas).size, 3, `distinct replicas ${replicas}`);
      for (const id of replicas) assert.ok([1, 2, 3].includes(id));
      leaders.set(replicas[0]!, (leaders.get(replicas[0]!) ?? 0) + 1);
    }
    assert.equal([...leaders.values()], [2, 2, 2]);
  }
});

test('replication factor 2 over 5 brokers: followers spread too', () => {
  const assignment = assignReplicas([1, 2, 3, 4, 5], 20, 2, 0);
  const load = new Map<number, number>();
  for (const replicas of assignment) {
    assert.is(new Set(replicas).size, 2);
    for (const id of replicas) load.set(id, (load.get(id) ?? 0) + 1);
  }
  assert.equal([...load.values()].sort(), [8, 8, 8, 8, 8]);
});

test('partitions added later continue the pattern (firstPartition)', () => {
  const all = assignReplicas([1, 2, 3], 6, 2, 1);
  const tail = assignReplicas([1, 2, 3], 3, 2, 1, 3);
  assert.equal(tail, all.slice(3));
});

test('a replication factor above the live brokers is refused with a code', () => {
  try {
    assignReplicas([1, 2], 1, 3, 0);
    assert.unreachable();
  } catch (err) {
    assert.ok(err instanceof SkeinError);
    assert.is((err as SkeinError).code, 'SKEIN_INVALID_REPLICATION_FACTOR');
  }
});

test('explicit assignments are checked', () => {
  checkAssignment([[1, 2], [2, 3]], [1, 2, 3]);
  const bad: Array<[number[][], string]> = [
    [[[1, 1]], 'twice'],
    [[[1, 4]], 'not alive'],
    [[[1, 2], [3]], 'replicas'],
  ];
  for (const [assignment, words] of bad) {
    try {
      checkAssignment(assignment, [1, 2, 3]);
      assert.unreachable();
    } catch (err) {
      assert.is((err as SkeinError).code, 'SKEIN_INVALID_REPLICA_ASSIGNMENT');
      assert.match((err as Error).message, words);
    }
  }
});

test.run();
