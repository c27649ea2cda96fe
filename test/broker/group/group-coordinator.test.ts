/**
 * The GroupCoordinator around the state machine (src/broker/group/group-coordinator.ts):
 * argument checks, Kafka's offset commit rules, fetching with -1 for nothing committed,
 * offsets surviving a new coordinator over the same store, store calls kept in order, list,
 * describe and delete, close(), and timers that never hold the process open.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { GroupCoordinator } from '../../../src/broker/group/group-coordinator.js';
import { MemoryOffsetStore, type OffsetStore } from '../../../src/broker/group/offset-store.js';
import { SkeinError } from '../../../src/errors.js';
import type { OffsetCommitRequest } from '../../../src/broker/types.js';
import { GROUP, assignmentFor, joinRequest, keepProcessAlive, newCoordinator, protocol, rejectsWith, settlesSoon, stableGroup } from './helpers.js';

let release: () => void;
test.before(() => {
  release = keepProcessAlive();
});
test.after(() => release());

function commit(overrides: Partial<OffsetCommitRequest> = {}): OffsetCommitRequest {
  return { groupId: GROUP, generationId: -1, memberId: '', offsets: [{ topic: 't', partition: 0, offset: 42 }], ...overrides };
}

test('an empty group id is SKEIN_INVALID_GROUP_ID everywhere', async () => {
  const coordinator = newCoordinator();
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: '' })), 'SKEIN_INVALID_GROUP_ID', 'join');
  await rejectsWith(coordinator.syncGroup({ groupId: '', generationId: 1, memberId: 'm', assignments: [] }), 'SKEIN_INVALID_GROUP_ID', 'sync');
  await rejectsWith(coordinator.heartbeat({ groupId: '', generationId: 1, memberId: 'm' }), 'SKEIN_INVALID_GROUP_ID', 'heartbeat');
  await rejectsWith(coordinator.leaveGroup({ groupId: '', members: [{ memberId: 'm' }] }), 'SKEIN_INVALID_GROUP_ID', 'leave');
  await rejectsWith(coordinator.commitOffsets(commit({ groupId: '' })), 'SKEIN_INVALID_GROUP_ID', 'commit');
  await rejectsWith(coordinator.fetchOffsets({ groupId: '', partitions: null }), 'SKEIN_INVALID_GROUP_ID', 'fetch');
  assert.is((await coordinator.deleteGroups(['']))?.get('')?.code, 'SKEIN_INVALID_GROUP_ID');
  coordinator.close();
});

test('a session timeout outside [min, max] is SKEIN_INVALID_SESSION_TIMEOUT', async () => {
  const coordinator = newCoordinator({ minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 5000 });
  const low = await rejectsWith(coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 999 })), 'SKEIN_INVALID_SESSION_TIMEOUT');
  assert.is(low.minSessionTimeoutMs, 1000);
  await rejectsWith(coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 5001 })), 'SKEIN_INVALID_SESSION_TIMEOUT');
  await rejectsWith(coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 1500.5 })), 'SKEIN_INVALID_SESSION_TIMEOUT');
  assert.equal(coordinator.listGroups(), []);
  const join = await coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 5000, rebalanceTimeoutMs: -1 }));
  assert.is(join.generationId, 1, 'bounds are inclusive; no rebalance timeout (JoinGroup v0) is fine');
  coordinator.close();
});

test('bad options and bad arguments are SKEIN_INVALID_ARGUMENT', async () => {
  assert.throws(() => new GroupCoordinator({ offsetStore: new MemoryOffsetStore(), minSessionTimeoutMs: 10, maxSessionTimeoutMs: 5 }), /minSessionTimeoutMs/);
  assert.throws(() => new GroupCoordinator({ offsetStore: new MemoryOffsetStore(), initialRebalanceDelayMs: -1 }), /initialRebalanceDelayMs/);
  const coordinator = newCoordinator();
  await rejectsWith(coordinator.joinGroup(joinRequest({ protocols: [{ name: 'range', metadata: 'x' as unknown as Buffer }] })), 'SKEIN_INVALID_ARGUMENT');
  for (const bad of [{ topic: '', partition: 0, offset: 1 }, { topic: 't', partition: -1, offset: 1 }, { topic: 't', partition: 0, offset: 1.5 }, { topic: 't', partition: 0, offset: 2 ** 53 }]) {
    await rejectsWith(coordinator.commitOffsets(commit({ offsets: [bad] })), 'SKEIN_INVALID_ARGUMENT', JSON.stringify(bad));
  }
  const join = await coordinator.joinGroup(joinRequest());
  await rejectsWith(
    coordinator.syncGroup({ groupId: GROUP, generationId: 1, memberId: join.memberId, assignments: [{ memberId: join.memberId, assignment: 'x' as unknown as Buffer }] }),
    'SKEIN_INVALID_ARGUMENT',
  );
  coordinator.close();
});

test('commits with generation -1 are accepted while the group is unknown or Empty, refused once it has members', async () => {
  const coordinator = newCoordinator();
  await coordinator.commitOffsets(commit());
  assert.equal(coordinator.listGroups(), [{ groupId: GROUP, protocolType: '', state: 'Empty' }], 'a commit alone makes an Empty group');
  await coordinator.commitOffsets(commit({ offsets: [{ topic: 't', partition: 0, offset: 43 }] }));
  const group = await stableGroup(coordinator, [joinRequest()]);
  await rejectsWith(coordinator.commitOffsets(commit()), 'SKEIN_UNKNOWN_MEMBER_ID', 'generation -1 without a member id');
  await rejectsWith(coordinator.commitOffsets(commit({ memberId: group.memberIds[0]! })), 'SKEIN_ILLEGAL_GENERATION', 'generation -1 from a member');
  assert.is((await coordinator.fetchOffsets({ groupId: GROUP, partitions: [{ topic: 't', partition: 0 }] }))[0]!.offset, 43);
  await rejectsWith(coordinator.commitOffsets(commit({ groupId: 'unknown', generationId: 3, memberId: 'm' })), 'SKEIN_ILLEGAL_GENERATION', 'a generation of a group that does not exist');
  coordinator.close();
});

test('commits from members: current member and generation only, refused while the leader is assigning', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest(), joinRequest()]);
  const [a, b] = group.memberIds as [string, string];
  const generationId = group.generationId;
  await coordinator.commitOffsets(commit({ generationId, memberId: a }));
  await rejectsWith(coordinator.commitOffsets(commit({ generationId: generationId + 1, memberId: a })), 'SKEIN_ILLEGAL_GENERATION');
  await rejectsWith(coordinator.commitOffsets(commit({ generationId, memberId: 'nobody' })), 'SKEIN_UNKNOWN_MEMBER_ID');
  // A newcomer starts a rebalance: eager members commit before they rejoin, which must work.
  const newcomer = coordinator.joinGroup(joinRequest());
  await coordinator.commitOffsets(commit({ generationId, memberId: b, offsets: [{ topic: 't', partition: 1, offset: 7 }] }));
  const rejoins = await Promise.all([a, b].map((memberId) => coordinator.joinGroup(joinRequest({ memberId }))));
  await newcomer;
  await rejectsWith(coordinator.commitOffsets(commit({ generationId: rejoins[0]!.generationId, memberId: a })), 'SKEIN_REBALANCE_IN_PROGRESS', 'CompletingRebalance');
  const offsets = await coordinator.fetchOffsets({ groupId: GROUP, partitions: null });
  assert.equal(offsets.map((o) => [o.partition, o.offset]), [[0, 42], [1, 7]]);
  coordinator.close();
});

test('fetching: -1 for what was never committed, every committed partition for null, Kafka\'s defaults filled in', async () => {
  const coordinator = newCoordinator();
  assert.equal(await coordinator.fetchOffsets({ groupId: 'nothing', partitions: [{ topic: 't', partition: 3 }] }), [{ topic: 't', partition: 3, offset: -1, leaderEpoch: -1, metadata: '' }]);
  assert.equal(await coordinator.fetchOffsets({ groupId: 'nothing', partitions: null }), []);
  assert.equal(coordinator.listGroups(), [], 'fetching creates no group');
  await coordinator.commitOffsets(
    commit({
      offsets: [
        { topic: 'b', partition: 1, offset: 10, leaderEpoch: 4, metadata: 'm' },
        { topic: 'a', partition: 2, offset: 20, metadata: null },
        { topic: 'b', partition: 0, offset: 30 },
      ],
    }),
  );
  assert.equal(await coordinator.fetchOffsets({ groupId: GROUP, partitions: null }), [
    { topic: 'a', partition: 2, offset: 20, leaderEpoch: -1, metadata: '' },
    { topic: 'b', partition: 0, offset: 30, leaderEpoch: -1, metadata: '' },
    { topic: 'b', partition: 1, offset: 10, leaderEpoch: 4, metadata: 'm' },
  ]);
  assert.equal(coordinator.committedOffsets(GROUP), await coordinator.fetchOffsets({ groupId: GROUP, partitions: null }));
  assert.equal(coordinator.committedOffsets('nothing'), []);
  coordinator.close();
});

test('offsets survive a restart: a new coordinator over the same store', async () => {
  const store = new MemoryOffsetStore();
  const first = newCoordinator({ offsetStore: store });
  await first.start();
  await first.commitOffsets(commit({ offsets: [{ topic: 't', partition: 0, offset: 5 }, { topic: 't', partition: 1, offset: 6, leaderEpoch: 2, metadata: 'x' }] }));
  await first.commitOffsets(commit({ offsets: [{ topic: 't', partition: 0, offset: 8 }] }));
  first.close();
  const second = newCoordinator({ offsetStore: store });
  await second.start();
  assert.equal(second.listGroups(), [{ groupId: GROUP, protocolType: '', state: 'Empty' }]);
  assert.equal(await second.fetchOffsets({ groupId: GROUP, partitions: null }), [
    { topic: 't', partition: 0, offset: 8, leaderEpoch: -1, metadata: '' },
    { topic: 't', partition: 1, offset: 6, leaderEpoch: 2, metadata: 'x' },
  ]);
  second.close();
});

test('a call made before start() waits for the offsets to load', async () => {
  const store = new MemoryOffsetStore();
  await store.commit(GROUP, [{ groupId: GROUP, topic: 't', partition: 0, offset: 9, leaderEpoch: -1, metadata: '', commitTimestamp: 1 }]);
  const coordinator = newCoordinator({ offsetStore: store });
  assert.is((await coordinator.fetchOffsets({ groupId: GROUP, partitions: [{ topic: 't', partition: 0 }] }))[0]!.offset, 9);
  coordinator.close();
});

test('a failed store commit is reported and changes nothing', async () => {
  const store = new MemoryOffsetStore();
  let fail = false;
  const flaky: OffsetStore = {
    load: () => store.load(),
    commit: async (groupId, offsets) => {
      if (fail) throw new SkeinError('SKEIN_DISK_FULL', 'no room');
      await store.commit(groupId, offsets);
    },
    deleteGroup: (groupId) => store.deleteGroup(groupId),
    deleteOffsets: (groupId, partitions) => store.deleteOffsets(groupId, partitions),
  };
  const coordinator = newCoordinator({ offsetStore: flaky });
  await coordinator.commitOffsets(commit());
  fail = true;
  await rejectsWith(coordinator.commitOffsets(commit({ offsets: [{ topic: 't', partition: 0, offset: 99 }] })), 'SKEIN_DISK_FULL');
  assert.is((await coordinator.fetchOffsets({ groupId: GROUP, partitions: null }))[0]!.offset, 42);
  coordinator.close();
});

test('a group\'s store calls run one at a time, in call order, and each commit is visible once stored', async () => {
  const calls: string[] = [];
  let inFlight = 0;
  const releases: Array<() => void> = [];
  const store = new MemoryOffsetStore();
  const slow: OffsetStore = {
    load: () => store.load(),
    deleteOffsets: (groupId, partitions) => store.deleteOffsets(groupId, partitions),
    commit: async (groupId, offsets) => {
      inFlight += 1;
      assert.is(inFlight, 1, 'never two store calls for one group at once');
      calls.push(`commit ${offsets[0]!.offset}`);
      await new Promise<void>((resolve) => releases.push(resolve));
      await store.commit(groupId, offsets);
      inFlight -= 1;
    },
    deleteGroup: async (groupId) => {
      calls.push('delete');
      await store.deleteGroup(groupId);
    },
  };
  const coordinator = newCoordinator({ offsetStore: slow });
  await coordinator.start();
  const first = coordinator.commitOffsets(commit({ offsets: [{ topic: 't', partition: 0, offset: 1 }] }));
  const second = coordinator.commitOffsets(commit({ offsets: [{ topic: 't', partition: 0, offset: 2 }] }));
  assert.not.ok(await settlesSoon(first), 'not acknowledged before the store is done');
  assert.equal(calls, ['commit 1']);
  assert.is((await coordinator.fetchOffsets({ groupId: GROUP, partitions: null })).length, 0, 'not visible before it is stored');
  releases.shift()!();
  await first;
  assert.is((await coordinator.fetchOffsets({ groupId: GROUP, partitions: null }))[0]!.offset, 1);
  await settlesSoon(second);
  releases.shift()!();
  await second;
  assert.equal(calls, ['commit 1', 'commit 2']);
  assert.is((await coordinator.fetchOffsets({ groupId: GROUP, partitions: null }))[0]!.offset, 2);
  // A deletion queues behind a commit still being written, and that commit does not bring the offsets back.
  const third = coordinator.commitOffsets(commit({ offsets: [{ topic: 't', partition: 0, offset: 3 }] }));
  await settlesSoon(third);
  const deleting = coordinator.deleteGroups([GROUP]);
  assert.equal(calls.at(-1), 'commit 3');
  releases.shift()!();
  await third;
  assert.equal((await deleting).get(GROUP), null);
  assert.equal(calls.at(-1), 'delete');
  assert.equal(await coordinator.fetchOffsets({ groupId: GROUP, partitions: null }), []);
  assert.equal([...(await store.load())], []);
  coordinator.close();
});

test('describe: members with metadata and assignment once Stable; without while rebalancing; unknown groups are Dead', async () => {
  const coordinator = newCoordinator();
  await coordinator.start();
  const joining = coordinator.joinGroup(joinRequest({ clientId: 'app', clientHost: '/10.0.0.1', groupInstanceId: 'pod-1' }));
  const preparing = coordinator.describeGroups([GROUP])[0]!;
  assert.is(preparing.state, 'PreparingRebalance');
  assert.equal(preparing.members.map((m) => [m.clientId, m.clientHost, m.groupInstanceId]), [['app', '/10.0.0.1', 'pod-1']]);
  assert.equal(preparing.members[0]!.memberMetadata, Buffer.alloc(0));
  assert.is(preparing.protocolName, '');
  const join = await joining;
  await coordinator.syncGroup({ groupId: GROUP, generationId: join.generationId, memberId: join.memberId, assignments: [{ memberId: join.memberId, assignment: assignmentFor(join.memberId) }] });
  assert.equal(coordinator.describeGroups([GROUP, 'ghost']), [
    {
      groupId: GROUP,
      state: 'Stable',
      protocolType: 'consumer',
      protocolName: 'range',
      generationId: 1,
      leader: join.memberId,
      members: [
        { memberId: join.memberId, groupInstanceId: 'pod-1', clientId: 'app', clientHost: '/10.0.0.1', memberMetadata: protocol('range').metadata, memberAssignment: assignmentFor(join.memberId) },
      ],
    },
    { groupId: 'ghost', state: 'Dead', protocolType: '', protocolName: '', generationId: -1, leader: '', members: [] },
  ]);
  coordinator.close();
});

test('list shows every group with its state and protocol type', async () => {
  const coordinator = newCoordinator();
  await coordinator.commitOffsets(commit({ groupId: 'offsets-only' }));
  await stableGroup(coordinator, [joinRequest()]);
  const preparing = coordinator.joinGroup(joinRequest({ groupId: 'forming' }));
  assert.equal(
    coordinator.listGroups().sort((x, y) => x.groupId.localeCompare(y.groupId)),
    [
      { groupId: 'forming', protocolType: 'consumer', state: 'PreparingRebalance' },
      { groupId: GROUP, protocolType: 'consumer', state: 'Stable' },
      { groupId: 'offsets-only', protocolType: '', state: 'Empty' },
    ],
  );
  coordinator.close();
  await rejectsWith(preparing, 'SKEIN_CLOSED');
});

test('delete: only Empty groups, with their offsets, for good', async () => {
  const store = new MemoryOffsetStore();
  const coordinator = newCoordinator({ offsetStore: store });
  const group = await stableGroup(coordinator, [joinRequest()]);
  await coordinator.commitOffsets(commit({ generationId: group.generationId, memberId: group.memberIds[0]! }));
  await coordinator.commitOffsets(commit({ groupId: 'kept' }));
  let results = await coordinator.deleteGroups([GROUP, 'ghost', GROUP]);
  assert.equal([...results.keys()], [GROUP, 'ghost']);
  assert.is(results.get(GROUP)?.code, 'SKEIN_NON_EMPTY_GROUP');
  assert.is(results.get('ghost')?.code, 'SKEIN_GROUP_ID_NOT_FOUND');
  await coordinator.leaveGroup({ groupId: GROUP, members: [{ memberId: group.memberIds[0]! }] });
  results = await coordinator.deleteGroups([GROUP]);
  assert.is(results.get(GROUP), null);
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'Dead');
  assert.equal(coordinator.listGroups().map((g) => g.groupId), ['kept']);
  assert.is((await coordinator.fetchOffsets({ groupId: GROUP, partitions: [{ topic: 't', partition: 0 }] }))[0]!.offset, -1);
  coordinator.close();
  const restarted = newCoordinator({ offsetStore: store });
  await restarted.start();
  assert.equal(restarted.listGroups().map((g) => g.groupId), ['kept'], 'the store forgot the deleted group too');
  restarted.close();
});

test('a failing store deletion is reported for that group', async () => {
  const store = new MemoryOffsetStore();
  const coordinator = newCoordinator({
    offsetStore: { load: () => store.load(), commit: (g, o) => store.commit(g, o), deleteGroup: async () => Promise.reject(new Error('EIO')), deleteOffsets: (g, p) => store.deleteOffsets(g, p) },
  });
  await coordinator.commitOffsets(commit());
  const error = (await coordinator.deleteGroups([GROUP])).get(GROUP);
  assert.is(error?.code, 'SKEIN_IO_ERROR');
  assert.match(String(error?.message), /EIO/);
  coordinator.close();
});

test('leaving with an unknown member among known ones: the known leave, the error lists each outcome', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest(), joinRequest()]);
  const [a, b] = group.memberIds as [string, string];
  const error = await rejectsWith(coordinator.leaveGroup({ groupId: GROUP, members: [{ memberId: a }, { memberId: 'nobody' }, { memberId: b }] }), 'SKEIN_UNKNOWN_MEMBER_ID');
  assert.is(error.memberId, 'nobody');
  const outcomes = error.memberErrors as Array<{ memberId: string; error: SkeinError | null }>;
  assert.equal(outcomes.map((o) => [o.memberId, o.error?.code ?? null]), [[a, null], ['nobody', 'SKEIN_UNKNOWN_MEMBER_ID'], [b, null]]);
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'Empty');
  await rejectsWith(coordinator.leaveGroup({ groupId: 'ghost', members: [{ memberId: a }] }), 'SKEIN_UNKNOWN_MEMBER_ID');
  coordinator.close();
});

test('close: parked joins and syncs fail with SKEIN_CLOSED, later calls too; closing twice is fine', async () => {
  const coordinator = newCoordinator({ initialRebalanceDelayMs: 600_000 });
  const parkedJoin = coordinator.joinGroup(joinRequest());
  coordinator.close();
  coordinator.close();
  await rejectsWith(parkedJoin, 'SKEIN_CLOSED');
  await rejectsWith(coordinator.joinGroup(joinRequest()), 'SKEIN_CLOSED');
  await rejectsWith(coordinator.commitOffsets(commit()), 'SKEIN_CLOSED');
  assert.throws(() => coordinator.listGroups(), /closed/);
  assert.throws(() => coordinator.committedOffsets(GROUP), /closed/);
});

test('close: a follower waiting for the leader\'s assignment fails with SKEIN_CLOSED', async () => {
  const coordinator = newCoordinator();
  const joins = await Promise.all([1, 2].map(() => coordinator.joinGroup(joinRequest())));
  const follower = joins.find((j) => j.memberId !== j.leader)!;
  const waiting = coordinator.syncGroup({ groupId: GROUP, generationId: follower.generationId, memberId: follower.memberId, assignments: [] });
  coordinator.close();
  await rejectsWith(waiting, 'SKEIN_CLOSED');
});

test('the coordinator\'s timers never keep the process alive', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const coordinator = newCoordinator({ initialRebalanceDelayMs: 600_000 });
  const parked = coordinator.joinGroup(joinRequest({ sessionTimeoutMs: 600_000 }));
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'other', requireKnownMemberId: true })), 'SKEIN_MEMBER_ID_REQUIRED');
  assert.is(timers(), before, 'join, session and pending-member timers are unref()\'d');
  coordinator.close();
  await rejectsWith(parked, 'SKEIN_CLOSED');
});

test.run();
