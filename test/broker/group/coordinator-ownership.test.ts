/**
 * The coordinator over a partitioned store (the real OffsetsTopicStore on real partition logs):
 * it serves a group only while it owns the group's __consumer_offsets partition, answers
 * SKEIN_COORDINATOR_LOAD_IN_PROGRESS while that partition loads and SKEIN_NOT_COORDINATOR
 * when it does not own it (parked joins included, on resign), and a coordinator that takes a
 * partition over finds the offsets and the group's generation another one wrote there.
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
import { GROUP, assignmentFor, eventually, heartbeatCode, joinRequest, keepProcessAlive, rejectsWith, stableGroup } from './helpers.js';

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
      assert.is(described!.state, 'Stable', 'the stored members are restored (Kafka loadGroup): no rebalance');
      assert.is(described!.protocolType, 'consumer');
      assert.is(described!.generationId, stable.generationId, 'the stored generation');
      assert.equal(described!.members.map((m) => m.memberId), [stable.memberIds[0]]);
      // The member carries on with its id and generation: heartbeat, sync (its assignment), commit.
      assert.is(await heartbeatCode(second, stable.memberIds[0]!, stable.generationId), null);
      const resync = await second.syncGroup({ groupId: GROUP, generationId: stable.generationId, memberId: stable.memberIds[0]!, assignments: [] });
      assert.equal(resync.assignment, assignmentFor(stable.memberIds[0]!));
      await second.commitOffsets({ groupId: GROUP, generationId: stable.generationId, memberId: stable.memberIds[0]!, offsets: [{ topic: 't', partition: 0, offset: 12 }] });
      // The leader rejoining (as after a metadata change) rebalances to the next generation, with its id.
      const again = await stableGroup(second, [joinRequest({ clientId: 'a', memberId: stable.memberIds[0]! })]);
      assert.is(again.generationId, stable.generationId + 1);
      assert.equal(again.memberIds, [stable.memberIds[0]]);
    } finally {
      second.close();
    }
  } finally {
    first.close();
    await logs.close();
  }
});

test('a restored member that does not come back within its session is removed: the group rebalances to Empty', async () => {
  const { logs, store, coordinator: make } = await setUp();
  const first = make();
  const second = make();
  const home = store.partitionOf(GROUP);
  try {
    await first.becomeCoordinator(home);
    const stable = await stableGroup(first, [joinRequest({ clientId: 'a', sessionTimeoutMs: 150 })]);
    await first.commitOffsets({ groupId: GROUP, generationId: stable.generationId, memberId: stable.memberIds[0]!, offsets: [{ topic: 't', partition: 0, offset: 3 }] });
    first.resign(home);
    await second.becomeCoordinator(home);
    assert.is(second.describeGroups([GROUP])[0]!.state, 'Stable');
    // Nobody heartbeats: its session, restarted at load, runs out.
    await eventually(async () => second.describeGroups([GROUP])[0]!.state === 'Empty', 'the restored member expires');
    const [described] = second.describeGroups([GROUP]);
    assert.is(described!.generationId, stable.generationId + 1);
    assert.equal(described!.members, []);
    assert.is(await heartbeatCode(second, stable.memberIds[0]!, stable.generationId), 'SKEIN_UNKNOWN_MEMBER_ID');
    assert.equal((await second.fetchOffsets({ groupId: GROUP, partitions: [{ topic: 't', partition: 0 }] })).map((o) => o.offset), [3], 'offsets stay');
  } finally {
    first.close();
    second.close();
    await logs.close();
  }
});

test.run();
