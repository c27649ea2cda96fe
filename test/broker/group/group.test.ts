/**
 * The membership state machine (src/broker/group/group.ts), driven through the
 * GroupCoordinator as the protocol handlers and the embedded consumer drive it: generations,
 * leaders, parked joins and syncs, the initial delay, session expiry, rebalance timeouts,
 * leaving, MEMBER_ID_REQUIRED, protocol checks and static members. Timers are small; every
 * assertion is about what happened, never how long it took.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { decodeAssignment, decodeSubscription, encodeAssignment } from '../../../src/broker/group/consumer-protocol.js';
import { rangeAssignor } from '../../../src/broker/group/assignors/range.js';
import {
  GROUP,
  assignmentFor,
  eventually,
  heartbeatCode,
  joinRequest,
  keepProcessAlive,
  newCoordinator,
  protocol,
  rejectsWith,
  settlesSoon,
  sleep,
  stableGroup,
  syncAll,
} from './helpers.js';

let release: () => void;
test.before(() => {
  release = keepProcessAlive();
});
test.after(() => release());

test('one member: generation 1, it leads, gets its own metadata, and is Stable after SyncGroup', async () => {
  const coordinator = newCoordinator();
  const join = await coordinator.joinGroup(joinRequest());
  assert.is(join.generationId, 1);
  assert.is(join.leader, join.memberId);
  assert.match(join.memberId, /^client-[0-9a-f-]{36}$/);
  assert.is(join.protocolType, 'consumer');
  assert.is(join.protocolName, 'range');
  assert.equal(join.members, [{ memberId: join.memberId, groupInstanceId: null, metadata: protocol('range').metadata }]);
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'CompletingRebalance');
  const sync = await coordinator.syncGroup({ groupId: GROUP, generationId: 1, memberId: join.memberId, assignments: [{ memberId: join.memberId, assignment: assignmentFor(join.memberId) }] });
  assert.equal(sync, { protocolType: 'consumer', protocolName: 'range', assignment: assignmentFor(join.memberId) });
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'Stable');
  assert.is(await heartbeatCode(coordinator, join.memberId, 1), null);
  coordinator.close();
});

test('a member id without a client id starts with "member-"', async () => {
  const coordinator = newCoordinator();
  const join = await coordinator.joinGroup(joinRequest({ clientId: '' }));
  assert.match(join.memberId, /^member-/);
  coordinator.close();
});

test('three members joining together form one generation; only the leader gets the member list', async () => {
  const coordinator = newCoordinator();
  const joins = await Promise.all([1, 2, 3].map((i) => coordinator.joinGroup(joinRequest({ clientId: `c${i}` }))));
  assert.equal(new Set(joins.map((j) => j.generationId)), new Set([1]));
  assert.equal(new Set(joins.map((j) => j.leader)).size, 1);
  const leader = joins.find((j) => j.memberId === j.leader)!;
  assert.is(leader, joins[0], 'the first to join leads');
  assert.equal(leader.members.map((m) => m.memberId).sort(), joins.map((j) => j.memberId).sort());
  for (const follower of joins.filter((j) => j !== leader)) assert.equal(follower.members, []);
  coordinator.close();
});

test('the whole round trip with the range assignor: subscriptions in, one owner per partition out', async () => {
  const coordinator = newCoordinator();
  const joins = await Promise.all(['a', 'b', 'c'].map((clientId) => coordinator.joinGroup(joinRequest({ clientId, protocols: [protocol('range', ['orders'])] }))));
  const leader = joins.find((j) => j.memberId === j.leader)!;
  const assignments = rangeAssignor.assign({
    members: leader.members.map((m) => ({ memberId: m.memberId, subscription: decodeSubscription(m.metadata) })),
    partitionsPerTopic: new Map([['orders', 7]]),
  });
  const results = await Promise.all(
    joins.map((j) =>
      coordinator.syncGroup({
        groupId: GROUP,
        generationId: j.generationId,
        memberId: j.memberId,
        assignments: j === leader ? [...assignments].map(([memberId, list]) => ({ memberId, assignment: encodeAssignment({ assignedPartitions: list }) })) : [],
      }),
    ),
  );
  const owned = results.flatMap((r) => decodeAssignment(r.assignment).assignedPartitions.flatMap((t) => t.partitions));
  assert.equal(owned.sort(), [0, 1, 2, 3, 4, 5, 6]);
  coordinator.close();
});

test('a fourth member joins: the others learn it from their heartbeats, rejoin, and all four form the next generation', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [1, 2, 3].map(() => joinRequest()));
  const fourth = coordinator.joinGroup(joinRequest({ clientId: 'late' }));
  assert.not.ok(await settlesSoon(fourth), 'the newcomer waits for the others to rejoin');
  for (const memberId of group.memberIds) assert.is(await heartbeatCode(coordinator, memberId, group.generationId), 'SKEIN_REBALANCE_IN_PROGRESS');
  const rejoins = await Promise.all(group.memberIds.map((memberId) => coordinator.joinGroup(joinRequest({ memberId }))));
  const all = [...rejoins, await fourth];
  assert.equal(new Set(all.map((j) => j.generationId)), new Set([group.generationId + 1]));
  assert.is(all[0]!.leader, group.leader, 'the leader stays');
  assert.is(all.find((j) => j.memberId === group.leader)!.members.length, 4);
  coordinator.close();
});

test('a member that stops heartbeating is removed; the others are told to rejoin and go on without it', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest({ sessionTimeoutMs: 5000 }), joinRequest({ sessionTimeoutMs: 5000 }), joinRequest({ sessionTimeoutMs: 100 })]);
  const [a, b, silent] = group.memberIds as [string, string, string];
  await eventually(async () => (await heartbeatCode(coordinator, a, group.generationId)) === 'SKEIN_REBALANCE_IN_PROGRESS', 'the silent member expires');
  assert.is(await heartbeatCode(coordinator, b, group.generationId), 'SKEIN_REBALANCE_IN_PROGRESS');
  const rejoins = await Promise.all([a, b].map((memberId) => coordinator.joinGroup(joinRequest({ memberId, sessionTimeoutMs: 5000 }))));
  const leader = rejoins.find((j) => j.memberId === j.leader)!;
  assert.equal(leader.members.map((m) => m.memberId).sort(), [a, b].sort());
  assert.is(await heartbeatCode(coordinator, silent, group.generationId), 'SKEIN_UNKNOWN_MEMBER_ID');
  coordinator.close();
});

test('a member that does not rejoin within the rebalance timeout is dropped from the new generation', async () => {
  const coordinator = newCoordinator();
  const options = { rebalanceTimeoutMs: 100, sessionTimeoutMs: 10_000 };
  const group = await stableGroup(coordinator, [joinRequest(options), joinRequest(options)]);
  const [a, laggard] = group.memberIds as [string, string];
  const newcomer = coordinator.joinGroup(joinRequest(options));
  const rejoin = coordinator.joinGroup(joinRequest({ ...options, memberId: a }));
  const [aJoin, newJoin] = await Promise.all([rejoin, newcomer]);
  assert.is(aJoin.generationId, group.generationId + 1);
  assert.equal(aJoin.members.map((m) => m.memberId).sort(), [a, newJoin.memberId].sort());
  assert.is(await heartbeatCode(coordinator, laggard, group.generationId), 'SKEIN_UNKNOWN_MEMBER_ID');
  await rejectsWith(coordinator.joinGroup(joinRequest({ ...options, memberId: laggard })), 'SKEIN_UNKNOWN_MEMBER_ID', 'the dropped member must join afresh');
  coordinator.close();
});

test('a member waiting in a join or a sync does not expire, however long the others take', async () => {
  const coordinator = newCoordinator();
  const short = { sessionTimeoutMs: 100, rebalanceTimeoutMs: 600_000 };
  const long = { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 600_000 };
  const group = await stableGroup(coordinator, [joinRequest(long), joinRequest(short)]);
  const [slow, quick] = group.memberIds as [string, string];
  const newcomer = coordinator.joinGroup(joinRequest(long));
  const quickJoin = coordinator.joinGroup(joinRequest({ ...short, memberId: quick }));
  await sleep(300);
  const slowJoin = await coordinator.joinGroup(joinRequest({ ...long, memberId: slow }));
  assert.equal(slowJoin.members.map((m) => m.memberId).sort(), [slow, quick, (await newcomer).memberId].sort(), 'the quick member is still there');
  const quickSync = coordinator.syncGroup({ groupId: GROUP, generationId: slowJoin.generationId, memberId: (await quickJoin).memberId, assignments: [] });
  await sleep(300);
  await coordinator.syncGroup({ groupId: GROUP, generationId: slowJoin.generationId, memberId: slow, assignments: [{ memberId: quick, assignment: assignmentFor(quick) }] });
  assert.equal((await quickSync).assignment, assignmentFor(quick));
  coordinator.close();
});

test('a member leaving during a rebalance completes it for the others at once', async () => {
  const coordinator = newCoordinator();
  const options = { rebalanceTimeoutMs: 600_000 };
  const group = await stableGroup(coordinator, [joinRequest(options), joinRequest(options)]);
  const [a, b] = group.memberIds as [string, string];
  const newcomer = coordinator.joinGroup(joinRequest(options));
  const rejoin = coordinator.joinGroup(joinRequest({ ...options, memberId: a }));
  assert.not.ok(await settlesSoon(rejoin), 'b has not rejoined yet');
  await coordinator.leaveGroup({ groupId: GROUP, members: [{ memberId: b }] });
  const [aJoin, newJoin] = await Promise.all([rejoin, newcomer]);
  assert.equal(aJoin.members.map((m) => m.memberId).sort(), [a, newJoin.memberId].sort());
  coordinator.close();
});

test('leaving rebalances the group; the last member leaving leaves it Empty', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest(), joinRequest()]);
  const [a, b] = group.memberIds as [string, string];
  await coordinator.leaveGroup({ groupId: GROUP, members: [{ memberId: b }] });
  assert.is(await heartbeatCode(coordinator, a, group.generationId), 'SKEIN_REBALANCE_IN_PROGRESS');
  const rejoin = await coordinator.joinGroup(joinRequest({ memberId: a }));
  assert.is(rejoin.generationId, group.generationId + 1);
  assert.equal(rejoin.members.map((m) => m.memberId), [a]);
  await syncAll(coordinator, [rejoin]);
  await coordinator.leaveGroup({ groupId: GROUP, members: [{ memberId: a }] });
  const described = coordinator.describeGroups([GROUP])[0]!;
  assert.is(described.state, 'Empty');
  assert.equal(described.members, []);
  await rejectsWith(coordinator.heartbeat({ groupId: GROUP, memberId: a, generationId: described.generationId }), 'SKEIN_UNKNOWN_MEMBER_ID');
  coordinator.close();
});

test('a follower\'s SyncGroup waits for the leader\'s; members the leader left out get empty bytes', async () => {
  const coordinator = newCoordinator();
  const joins = await Promise.all([1, 2, 3].map(() => coordinator.joinGroup(joinRequest())));
  const leader = joins.find((j) => j.memberId === j.leader)!;
  const [f1, f2] = joins.filter((j) => j !== leader) as [typeof leader, typeof leader];
  const follower = coordinator.syncGroup({ groupId: GROUP, generationId: f1.generationId, memberId: f1.memberId, assignments: [] });
  assert.not.ok(await settlesSoon(follower), 'the follower waits');
  assert.is(await heartbeatCode(coordinator, f1.memberId, f1.generationId), 'SKEIN_REBALANCE_IN_PROGRESS', 'heartbeats before the assignment say rebalance');
  const leaderSync = await coordinator.syncGroup({
    groupId: GROUP,
    generationId: leader.generationId,
    memberId: leader.memberId,
    assignments: [leader.memberId, f1.memberId].map((memberId) => ({ memberId, assignment: assignmentFor(memberId) })),
  });
  assert.equal(leaderSync.assignment, assignmentFor(leader.memberId));
  assert.equal((await follower).assignment, assignmentFor(f1.memberId));
  const late = await coordinator.syncGroup({ groupId: GROUP, generationId: f2.generationId, memberId: f2.memberId, assignments: [] });
  assert.equal(late.assignment, Buffer.alloc(0), 'left out by the leader');
  coordinator.close();
});

test('a rebalance before the leader syncs fails the waiting syncs with SKEIN_REBALANCE_IN_PROGRESS', async () => {
  const coordinator = newCoordinator();
  const joins = await Promise.all([1, 2].map(() => coordinator.joinGroup(joinRequest())));
  const follower = joins.find((j) => j.memberId !== j.leader)!;
  const waiting = coordinator.syncGroup({ groupId: GROUP, generationId: follower.generationId, memberId: follower.memberId, assignments: [] });
  void coordinator.joinGroup(joinRequest()).catch(() => {});
  await rejectsWith(waiting, 'SKEIN_REBALANCE_IN_PROGRESS');
  coordinator.close();
});

test('a known member asking to join again during CompletingRebalance gets the same answer, not a new generation', async () => {
  const coordinator = newCoordinator();
  const first = await coordinator.joinGroup(joinRequest());
  const again = await coordinator.joinGroup(joinRequest({ memberId: first.memberId }));
  assert.equal(again, first);
  coordinator.close();
});

test('a follower rejoining a Stable group with the same metadata changes nothing; the leader rejoining starts a rebalance', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest(), joinRequest()]);
  const follower = group.memberIds.find((id) => id !== group.leader)!;
  const again = await coordinator.joinGroup(joinRequest({ memberId: follower }));
  assert.is(again.generationId, group.generationId);
  assert.equal(again.members, []);
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'Stable');
  const leaderRejoin = coordinator.joinGroup(joinRequest({ memberId: group.leader }));
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'PreparingRebalance');
  await coordinator.joinGroup(joinRequest({ memberId: follower }));
  assert.is((await leaderRejoin).generationId, group.generationId + 1);
  coordinator.close();
});

test('stale and unknown members: wrong generation, unknown member, unknown group', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest()]);
  const [a] = group.memberIds as [string];
  await rejectsWith(coordinator.syncGroup({ groupId: GROUP, generationId: group.generationId + 1, memberId: a, assignments: [] }), 'SKEIN_ILLEGAL_GENERATION');
  assert.is(await heartbeatCode(coordinator, a, group.generationId - 1), 'SKEIN_ILLEGAL_GENERATION');
  assert.is(await heartbeatCode(coordinator, 'nobody', group.generationId), 'SKEIN_UNKNOWN_MEMBER_ID');
  await rejectsWith(coordinator.syncGroup({ groupId: 'other', generationId: 1, memberId: a, assignments: [] }), 'SKEIN_UNKNOWN_MEMBER_ID');
  await rejectsWith(coordinator.heartbeat({ groupId: 'other', generationId: 1, memberId: a }), 'SKEIN_UNKNOWN_MEMBER_ID');
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'other', memberId: 'made-up' })), 'SKEIN_UNKNOWN_MEMBER_ID');
  await rejectsWith(coordinator.joinGroup(joinRequest({ memberId: 'made-up' })), 'SKEIN_UNKNOWN_MEMBER_ID');
  await rejectsWith(coordinator.syncGroup({ groupId: GROUP, generationId: group.generationId, memberId: a, protocolName: 'roundrobin', assignments: [] }), 'SKEIN_INCONSISTENT_GROUP_PROTOCOL');
  const newcomer = coordinator.joinGroup(joinRequest());
  await rejectsWith(coordinator.syncGroup({ groupId: GROUP, generationId: group.generationId, memberId: a, assignments: [] }), 'SKEIN_REBALANCE_IN_PROGRESS', 'sync while preparing');
  coordinator.close();
  await rejectsWith(newcomer, 'SKEIN_CLOSED');
});

test('requireKnownMemberId: the first join is answered with a member id to join with', async () => {
  const coordinator = newCoordinator();
  const error = await rejectsWith(coordinator.joinGroup(joinRequest({ requireKnownMemberId: true })), 'SKEIN_MEMBER_ID_REQUIRED');
  assert.type(error.memberId, 'string');
  assert.is(error.groupId, GROUP);
  const join = await coordinator.joinGroup(joinRequest({ memberId: error.memberId as string, requireKnownMemberId: true }));
  assert.is(join.memberId, error.memberId);
  assert.is(join.generationId, 1);
  coordinator.close();
});

test('a rebalance waits for a member id handed out with MEMBER_ID_REQUIRED until it joins', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest({ rebalanceTimeoutMs: 600_000 })]);
  const [a] = group.memberIds as [string];
  const newcomer = coordinator.joinGroup(joinRequest());
  const pending = await rejectsWith(coordinator.joinGroup(joinRequest({ requireKnownMemberId: true })), 'SKEIN_MEMBER_ID_REQUIRED');
  const rejoin = coordinator.joinGroup(joinRequest({ memberId: a, rebalanceTimeoutMs: 600_000 }));
  assert.not.ok(await settlesSoon(rejoin), 'every member has joined, but the pending id has not');
  const third = await coordinator.joinGroup(joinRequest({ memberId: pending.memberId as string }));
  assert.is(third.generationId, group.generationId + 1);
  assert.is((await rejoin).members.length, 3);
  await newcomer;
  coordinator.close();
});

test('a member id handed out with MEMBER_ID_REQUIRED that never joins holds a rebalance only for its session timeout', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest({ rebalanceTimeoutMs: 600_000 })]);
  await rejectsWith(coordinator.joinGroup(joinRequest({ requireKnownMemberId: true, sessionTimeoutMs: 50 })), 'SKEIN_MEMBER_ID_REQUIRED');
  // The leader rejoining starts a rebalance that the pending id holds until it expires (the rebalance timeout is ten minutes).
  const rejoining = coordinator.joinGroup(joinRequest({ memberId: group.leader, rebalanceTimeoutMs: 600_000 }));
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'PreparingRebalance', 'its only member has rejoined, yet the rebalance waits');
  const rejoin = await rejoining;
  assert.is(rejoin.generationId, group.generationId + 1);
  assert.is(rejoin.members.length, 1);
  coordinator.close();
});

test('protocols: type and assignors must match the group; the most voted common assignor wins', async () => {
  const coordinator = newCoordinator();
  const first = coordinator.joinGroup(joinRequest({ protocols: [protocol('roundrobin'), protocol('range')] }));
  await rejectsWith(coordinator.joinGroup(joinRequest({ protocols: [protocol('sticky')] })), 'SKEIN_INCONSISTENT_GROUP_PROTOCOL', 'no common assignor');
  await rejectsWith(coordinator.joinGroup(joinRequest({ protocolType: 'connect' })), 'SKEIN_INCONSISTENT_GROUP_PROTOCOL', 'another protocol type');
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'fresh', protocols: [] })), 'SKEIN_INCONSISTENT_GROUP_PROTOCOL', 'no protocols');
  await rejectsWith(coordinator.joinGroup(joinRequest({ groupId: 'fresh', protocolType: '' })), 'SKEIN_INCONSISTENT_GROUP_PROTOCOL', 'no protocol type');
  assert.equal(coordinator.listGroups().map((g) => g.groupId), [GROUP], 'refused joins leave no group behind');
  const second = coordinator.joinGroup(joinRequest({ protocols: [protocol('range'), protocol('roundrobin')] }));
  const third = coordinator.joinGroup(joinRequest({ protocols: [protocol('range'), protocol('roundrobin'), protocol('cooperative-sticky')] }));
  const joins = await Promise.all([first, second, third]);
  assert.equal(new Set(joins.map((j) => j.protocolName)), new Set(['range']), 'two votes for range, one for roundrobin');
  const leader = joins.find((j) => j.memberId === j.leader)!;
  assert.equal(leader.members.map((m) => m.metadata), joins.map(() => protocol('range').metadata), 'metadata of the chosen protocol');
  coordinator.close();
});

test('a tie between assignors goes to the leader\'s preference', async () => {
  const coordinator = newCoordinator();
  const joins = await Promise.all([
    coordinator.joinGroup(joinRequest({ protocols: [protocol('roundrobin'), protocol('range')] })),
    coordinator.joinGroup(joinRequest({ protocols: [protocol('range'), protocol('roundrobin')] })),
  ]);
  assert.is(joins[0]!.protocolName, 'roundrobin');
  coordinator.close();
});

test('a static member restarting takes its old place without a rebalance; its old id is fenced', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest({ groupInstanceId: 'pod-1' }), joinRequest()]);
  const [oldId, other] = group.memberIds as [string, string];
  // A restarted consumer's subscription bytes differ (no owned partitions, generation -1): that alone changes nothing.
  const restarted = await coordinator.joinGroup(joinRequest({ groupInstanceId: 'pod-1', protocols: [protocol('range', ['t', 'u'])] }));
  assert.is.not(restarted.memberId, oldId);
  assert.is(restarted.generationId, group.generationId, 'no new generation');
  assert.is(restarted.leader, restarted.memberId, 'it led before, it leads now');
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'Stable');
  assert.is(await heartbeatCode(coordinator, other, group.generationId), null, 'the other member is undisturbed');
  assert.is(await heartbeatCode(coordinator, oldId, group.generationId, 'pod-1'), 'SKEIN_FENCED_INSTANCE_ID');
  assert.is(await heartbeatCode(coordinator, oldId, group.generationId), 'SKEIN_UNKNOWN_MEMBER_ID');
  const sync = await coordinator.syncGroup({ groupId: GROUP, generationId: restarted.generationId, memberId: restarted.memberId, groupInstanceId: 'pod-1', assignments: [] });
  assert.equal(sync.assignment, assignmentFor(oldId), 'it keeps the old assignment');
  await rejectsWith(coordinator.joinGroup(joinRequest({ memberId: oldId, groupInstanceId: 'pod-1' })), 'SKEIN_FENCED_INSTANCE_ID');
  coordinator.close();
});

test('a static member replaced while its join is parked: the old join is fenced, the new one takes part', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest({ groupInstanceId: 'pod-1' }), joinRequest()]);
  const [oldId, other] = group.memberIds as [string, string];
  const oldRejoin = coordinator.joinGroup(joinRequest({ memberId: oldId, groupInstanceId: 'pod-1', protocols: [protocol('range', ['t', 'u'])] }));
  const replacement = coordinator.joinGroup(joinRequest({ groupInstanceId: 'pod-1' }));
  await rejectsWith(oldRejoin, 'SKEIN_FENCED_INSTANCE_ID');
  const otherRejoin = await coordinator.joinGroup(joinRequest({ memberId: other }));
  const newJoin = await replacement;
  assert.is(newJoin.generationId, group.generationId + 1);
  assert.equal(otherRejoin.generationId, newJoin.generationId);
  coordinator.close();
});

test('a static member restarting with assignors that change the group\'s choice rebalances the group', async () => {
  const coordinator = newCoordinator();
  const both = [protocol('range'), protocol('roundrobin')];
  const group = await stableGroup(coordinator, [joinRequest({ protocols: both }), joinRequest({ groupInstanceId: 'pod-2', protocols: both })]);
  assert.is(group.joins[0]!.protocolName, 'range');
  const restarted = coordinator.joinGroup(joinRequest({ groupInstanceId: 'pod-2', protocols: [protocol('roundrobin')] }));
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'PreparingRebalance');
  await coordinator.joinGroup(joinRequest({ memberId: group.memberIds[0]!, protocols: both }));
  const rejoined = await restarted;
  assert.is(rejoined.generationId, group.generationId + 1);
  assert.is(rejoined.protocolName, 'roundrobin');
  coordinator.close();
});

test('leaving by instance id alone (LeaveGroup v3+)', async () => {
  const coordinator = newCoordinator();
  await stableGroup(coordinator, [joinRequest({ groupInstanceId: 'pod-1' })]);
  await coordinator.leaveGroup({ groupId: GROUP, members: [{ memberId: '', groupInstanceId: 'pod-1' }] });
  assert.is(coordinator.describeGroups([GROUP])[0]!.state, 'Empty');
  coordinator.close();
});

test('a second JoinGroup from the same member replaces its parked one', async () => {
  const coordinator = newCoordinator();
  const group = await stableGroup(coordinator, [joinRequest(), joinRequest()]);
  const [a, b] = group.memberIds as [string, string];
  const firstTry = coordinator.joinGroup(joinRequest({ memberId: a }));
  const secondTry = coordinator.joinGroup(joinRequest({ memberId: a }));
  await rejectsWith(firstTry, 'SKEIN_REBALANCE_IN_PROGRESS');
  await coordinator.joinGroup(joinRequest({ memberId: b }));
  assert.is((await secondTry).generationId, group.generationId + 1);
  coordinator.close();
});

test.run();
