/**
 * The coordinator over a partitioned store (the real OffsetsTopicStore on real partition logs):
 * it serves a group only while it owns the group's __consumer_offsets partition, answers
 * SKEIN_COORDINATOR_LOAD_IN_PROGRESS while that partition loads and SKEIN_NOT_COORDINATOR
 * when it does not own it (parked joins included, on resign), and a coordinator that takes a
 * partition over finds the offsets, the group's generation and its members another one wrote there.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { GroupCoordinator } from '../../../src/broker/group/group-coordinator.js';
import { OffsetsTopicStore } from '../../../src/broker/group/offsets-topic-store.js';
import { LocalOffsetsTopic, offsetsLogConfig } from '../../../src/broker/group/offsets-topic.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { Partition } from '../../../src/partition/partition.js';
import { cleanupTempDirs, tempDir } from '../../helpers/temp-dir.js';
import { GROUP, assignmentFor, joinRequest, keepProcessAlive, rejectsWith, stableGroup } from './helpers.js';

let release: () => void;
test.before(() => {
  release = keepProcessAlive();
});
test.after(() => {
  release();
  cleanupTempDirs();
});

const PARTITIONS = 4;

async function setUp() {
  const logs = LogManager.open({ dir: join(tempDir(), 'data') });
  const topic = new LocalOffsetsTopic(logs, PARTITIONS, offsetsLogConfig(1 << 20), (p, log) => new Partition('__consumer_offsets', p, log), () => undefined);
  const store = new OffsetsTopicStore(PARTITIONS, topic);
  const coordinator = () => new GroupCoordinator({ offsetStore: store, initialRebalanceDelayMs: 20, minSessionTimeoutMs: 10 });
  return { logs, store, coordinator };
}

test('NOT_COORDINATOR for a partition not owned, LOAD_IN_PROGRESS while it loads, served once loaded', async () => {
  const { logs, store, coordinator: make } = await setUp();
  const coordinator = make();
  try {
    await coordinator.start();
    const home = store.partitionOf(GROUP);
    const commit = () => coordinator.commitOffsets({ groupId: GROUP, generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 7 }] });
    const notCoordinator = await rejectsWith(commit(), 'SKEIN_NOT_COORDINATOR');
    assert.is(notCoordinator.partition, home);
    await rejectsWith(coordinator.joinGroup(joinRequest()), 'SKEIN_NOT_COORDINATOR');
    assert.is((await coordinator.deleteGroups([GROUP])).get(GROUP)?.code, 'SKEIN_NOT_COORDINATOR');
    // Owning another partition does not help.
    await coordinator.becomeCoordinator((home + 1) % PARTITIONS);
    await rejectsWith(coordinator.fetchOffsets({ groupId: GROUP, partitions: null }), 'SKEIN_NOT_COORDINATOR');

    const loading = coordinator.becomeCoordinator(home);
    await rejectsWith(commit(), 'SKEIN_COORDINATOR_LOAD_IN_PROGRESS');
    await loading;
    await commit();
    assert.equal((await coordinator.fetchOffsets({ groupId: GROUP, partitions: [{ topic: 't', partition: 0 }] })).map((o) => o.offset), [7]);
    assert.equal(coordinator.ownedPartitions(), [home, (home + 1) % PARTITIONS].sort());
  } finally {
    coordinator.close();
    await logs.close();
  }
});

test('resign drops the groups (parked joins fail with NOT_COORDINATOR); the next owner loads offsets, generation and members', async () => {
  const { logs, store, coordinator: make } = await setUp();
  const first = make();
  const home = store.partitionOf(GROUP);
  try {
    await first.becomeCoordinator(home);
    const stable = await stableGroup(first, [joinRequest({ clientId: 'a' })]);
    await first.commitOffsets({ groupId: GROUP, generationId: stable.generationId, memberId: stable.memberIds[0]!, offsets: [{ topic: 't', partition: 0, offset: 11 }] });
    // A second member's join parks (a rebalance); the resign fails it.
    const parked = first.joinGroup(joinRequest({ clientId: 'b' }));
    first.resign(home);
    await rejectsWith(parked, 'SKEIN_NOT_COORDINATOR');
    await rejectsWith(first.heartbeat({ groupId: GROUP, generationId: stable.generationId, memberId: stable.memberIds[0]! }), 'SKEIN_NOT_COORDINATOR');
    assert.equal(first.listGroups(), [], 'the group is gone from this coordinator');

    const second = make();
    try {
      await second.becomeCoordinator(home);
      assert.equal((await second.fetchOffsets({ groupId: GROUP, partitions: [{ topic: 't', partition: 0 }] })).map((o) => o.offset), [11]);
      const [described] = second.describeGroups([GROUP]);
      assert.is(described!.state, 'Stable', 'the members are restored from GroupMetadataValue (Kafka\'s loadGroup)');
      assert.equal(described!.members.map((m) => m.memberId), [stable.memberIds[0]!]);
      assert.is(described!.protocolType, 'consumer');
      assert.is(described!.generationId, stable.generationId, 'the stored generation');
      // The old member carries on at the new coordinator: its heartbeat and commits are
      // accepted in its generation, and its assignment is the one it had (no rebalance).
      await second.heartbeat({ groupId: GROUP, generationId: stable.generationId, memberId: stable.memberIds[0]! });
      await second.commitOffsets({ groupId: GROUP, generationId: stable.generationId, memberId: stable.memberIds[0]!, offsets: [{ topic: 't', partition: 0, offset: 12 }] });
      assert.ok(described!.members[0]!.memberAssignment.equals(assignmentFor(stable.memberIds[0]!)), 'its assignment as the leader gave it');
      assert.is(described!.leader, stable.memberIds[0]!);
      assert.is(described!.protocolName, 'range');
      // A member that left meanwhile leaves (or expires); a new join starts the next generation.
      await second.leaveGroup({ groupId: GROUP, members: [{ memberId: stable.memberIds[0]! }] });
      assert.is(second.describeGroups([GROUP])[0]!.state, 'Empty');
      const again = await stableGroup(second, [joinRequest({ clientId: 'a' })]);
      // The leave rebalanced the group to Empty (one generation), the join formed the next.
      assert.is(again.generationId, stable.generationId + 2);
    } finally {
      second.close();
    }
  } finally {
    first.close();
    await logs.close();
  }
});

test.run();
