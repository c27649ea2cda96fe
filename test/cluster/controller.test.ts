/**
 * The controller's work against a real etcd (Debian's etcd-server, started here on free
 * ports), with several ClusterMembers in this one process, each with its own etcd client and
 * lease exactly as separate brokers: controlled shutdown (leaderships move to live ISR
 * members before the broker leaves; a controller resigns and another is elected), broker
 * restarts (a re-registered broker leaves the ISR; with a new data folder it never leads data
 * it lacks), reassignments (KIP-455 steps, cancel, resumed by a new controller) and preferred
 * leader election. The leader's own ISR changes (replication) are written here by the test, as
 * a leader does once its followers caught up.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterMember, type MemberEndpoint } from '../../src/cluster/cluster-member.js';
import { SkeinError } from '../../src/errors.js';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs } from '../helpers/temp-dir.js';

const it = suite('controller (real etcd)');
let etcd: EtcdServer;
const members: ClusterMember[] = [];
let prefixCount = 0;

async function join(nodeId: number, prefix: string, endpoint: Partial<MemberEndpoint> = {}): Promise<ClusterMember> {
  const member = await within(
    ClusterMember.join(
      { nodeId, etcd: etcd.url, prefix, sessionTimeoutMs: 2000, controlledShutdownRetryBackoffMs: 3000 },
      { host: '127.0.0.1', port: 9000 + nodeId, directoryId: `dir-${nodeId}`, ...endpoint },
    ),
    20_000,
    `broker ${nodeId} joining`,
  );
  member.on('warning', (m) => process.stderr.write(`[broker ${nodeId}] ${m}\n`));
  members.push(member);
  return member;
}

async function cluster(ids: number[]): Promise<{ prefix: string; m: ClusterMember[] }> {
  const prefix = `/ctrl-${process.pid}-${++prefixCount}/`;
  const m: ClusterMember[] = [];
  for (const id of ids) m.push(await join(id, prefix));
  for (const member of m) await until(() => member.cache.brokers().length === ids.length && member.controllerId !== undefined, `broker ${member.nodeId} sees everyone`, 10_000);
  // Wait until the controller accepted every registration (its first pass), so later restarts are told apart.
  await until(() => ids.every((id) => m[0]!.cache.acceptedRegistration(id)?.epoch === m[0]!.cache.registration(id)?.epoch), 'registrations accepted', 10_000);
  return { prefix, m };
}

/** Puts every replica in the ISR, as leaders do once their followers caught up. */
async function inSyncEverywhere(member: ClusterMember, topic: string): Promise<void> {
  await member.refresh();
  for (const p of member.cache.partitions(topic)) {
    await member.writePartitionState(topic, p.partition, { ...p, isr: [...p.replicas] }, p.version);
  }
}

it.before(async () => {
  etcd = await startEtcd();
});

it.after.each(async () => {
  await Promise.allSettled(members.splice(0).map((m) => m.close()));
});

it.after(async () => {
  await stopAllEtcd();
  cleanupTempDirs();
});

it('controlled shutdown moves every partition the broker leads to a live ISR member before it leaves', async () => {
  const { m } = await cluster([1, 2, 3]);
  const [a, b, c] = m;
  await a!.createTopic({ name: 'orders', partitions: 30, replicationFactor: 3 });
  await inSyncEverywhere(a!, 'orders');
  await until(() => b!.cache.partitions('orders').every((p) => p.isr.length === 3), 'b sees full ISRs', 10_000);
  const before = b!.cache.partitions('orders');
  const led = before.filter((p) => p.leader === 2);
  assert.ok(led.length > 0);
  const result = await within(b!.controlledShutdown(), 30_000, 'controlled shutdown');
  console.log(`  controlled shutdown: ${result.moved} partitions in ${result.elapsedMs} ms (${(result.elapsedMs / result.moved).toFixed(1)} ms per partition)`);
  assert.is(result.led, led.length);
  assert.is(result.moved, led.length);
  assert.equal(result.remaining, []);
  assert.is(result.resigned, false);
  // Done while broker 2 is still registered: the others see it, and the new leaders.
  assert.ok(c!.cache.liveBrokerIds().has(2));
  for (const p of b!.cache.partitions('orders')) assert.is.not(p.leader, 2, 'the leaving broker saw every move before it returned');
  // Followers leave the ISR too (in the same pass; the wait above is for leaderships only).
  await until(() => c!.cache.partitions('orders').every((p) => p.leader !== 2 && !p.isr.includes(2)), 'c sees no partition led or followed in sync by 2', 10_000);
  for (const p of c!.cache.partitions('orders')) {
    const was = before.find((q) => q.partition === p.partition)!;
    assert.not.ok(p.isr.includes(2), `2 left the ISR of orders-${p.partition}`);
    assert.is(p.leaderEpoch, was.leader === 2 ? was.leaderEpoch + 1 : was.leaderEpoch);
    assert.ok(p.leader === was.leader || was.leader === 2);
  }
});

it('a partition with no other live ISR member stays with the leaving broker; the others move', async () => {
  const { m } = await cluster([1, 2]);
  const [a, b] = m;
  await a!.createTopic({ name: 'mixed', partitions: 2, replicationFactor: 2, assignment: [[2, 1], [2, 1]] });
  // Only partition 0 has its follower in sync (partition 1's follower fell behind and left the ISR).
  const p1 = a!.cache.partition('mixed', 1)!;
  await a!.writePartitionState('mixed', 1, { ...p1, isr: [2] }, p1.version);
  await until(() => b!.cache.partition('mixed', 0)?.isr.length === 2 && b!.cache.partition('mixed', 1)?.isr.length === 1, 'b sees the ISRs', 10_000);
  const result = await within(b!.controlledShutdown(), 30_000, 'controlled shutdown');
  assert.is(result.led, 2);
  assert.is(result.moved, 1);
  assert.equal(result.remaining, ['mixed-1']);
  assert.is(a!.cache.partition('mixed', 0)!.leader, 1);
  assert.is(a!.cache.partition('mixed', 1)!.leader, 2, 'nobody else has its records');
});

it('the controller shutting down moves its partitions, resigns, and another broker is elected while it is still registered', async () => {
  const { m } = await cluster([1, 2, 3]);
  const [a, b, c] = m;
  assert.is(a!.controllerId, 1);
  await a!.createTopic({ name: 'ctl', partitions: 6, replicationFactor: 3 });
  await inSyncEverywhere(a!, 'ctl');
  const led = a!.cache.partitions('ctl').filter((p) => p.leader === 1).length;
  const result = await within(a!.controlledShutdown(), 30_000, 'controlled shutdown of the controller');
  assert.is(result.moved, led);
  assert.ok(result.resigned);
  const next = await until(() => b!.controllerId !== undefined && b!.controllerId !== 1 && b!.controllerId === c!.controllerId && b!.controllerId, 'a new controller', 15_000);
  assert.ok([2, 3].includes(next));
  assert.ok(b!.cache.liveBrokerIds().has(1), 'elected while broker 1 still registered');
  assert.not.ok(a!.isController);
  for (const p of b!.cache.partitions('ctl')) assert.is.not(p.leader, 1);
  // The new controller acts: broker 1 leaving for good changes nothing more; broker 3 dying moves its partitions.
  await a!.close();
  await c!.close();
  await until(() => b!.cache.partitions('ctl').every((p) => p.leader === 2), 'the new controller moved 3\'s partitions to 2', 15_000);
});

it('a broker that re-registers is out of the ISR of partitions others lead, and leads nothing written before its registration', async () => {
  const { prefix, m } = await cluster([1, 2, 3]);
  const [a, b] = m;
  await a!.createTopic({ name: 'bounce', partitions: 6, replicationFactor: 3 });
  await a!.createTopic({ name: 'solo', partitions: 1, replicationFactor: 1, assignment: [[2]] });
  await inSyncEverywhere(a!, 'bounce');
  await until(() => b!.cache.partitions('bounce').every((p) => p.isr.length === 3), 'b sees full ISRs', 10_000);
  const soloBefore = b!.cache.partition('solo', 0)!;
  // Gone and back at once: the controller may see the return before (or without) the departure.
  await b!.close();
  const back = await join(2, prefix);
  // The leader's own writes on a state from before its registration are refused (broker-epoch fencing).
  try {
    await back.writePartitionState('solo', 0, { ...soloBefore, isr: [2] }, soloBefore.version);
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkeinError).code, 'SKEIN_STALE_CLUSTER_STATE', (err as Error).message);
  }
  await until(() => a!.cache.acceptedRegistration(2)?.epoch === back.brokerEpoch, 'the controller accepted the new registration', 15_000);
  for (const p of a!.cache.partitions('bounce')) {
    assert.not.ok(p.isr.includes(2), `bounce-${p.partition}: the restarted broker is not trusted as in sync`);
    assert.is.not(p.leader, 2);
  }
  // Its sole partition comes back to it, in a state written after it registered.
  const solo = await until(() => {
    const s = back.cache.partition('solo', 0);
    return s && s.leader === 2 ? s : undefined;
  }, 'solo-0 led by 2 again', 10_000);
  assert.ok(solo.version > back.brokerEpoch);
});

it('a broker back with an empty data folder is never elected for data it lacked; with its folder it leads again', async () => {
  const { prefix, m } = await cluster([1, 2]);
  const [a, b] = m;
  await a!.createTopic({ name: 'only-on-2', partitions: 1, replicationFactor: 2, assignment: [[2, 1]] });
  await a!.createTopic({ name: 'shared', partitions: 1, replicationFactor: 2, assignment: [[2, 1]] });
  // only-on-2's follower never caught up; shared's did.
  const only = a!.cache.partition('only-on-2', 0)!;
  await a!.writePartitionState('only-on-2', 0, { ...only, isr: [2] }, only.version);
  await b!.close();
  await until(() => a!.cache.partition('only-on-2', 0)?.leader === -1 && a!.cache.partition('shared', 0)?.leader === 1, 'only-on-2 offline, shared moved', 15_000);
  const wiped = await join(2, prefix, { directoryId: 'dir-2-new' });
  await until(() => a!.cache.acceptedRegistration(2)?.directoryId === 'dir-2-new', 'the new folder accepted', 15_000);
  const offline = a!.cache.partition('only-on-2', 0)!;
  assert.is(offline.leader, -1, 'not led by a broker that lost the records');
  assert.equal(offline.isr, []);
  assert.not.ok(a!.cache.partition('shared', 0)!.isr.includes(2));
  assert.is(a!.cache.partition('shared', 0)!.leader, 1);
  await wiped.close();
  // Another restart with the same (new) folder is an ordinary restart: nothing offline comes back from it either.
  const again = await join(2, prefix, { directoryId: 'dir-2-new' });
  await until(() => a!.cache.acceptedRegistration(2)?.epoch === again.brokerEpoch, 'accepted again', 15_000);
  assert.is(a!.cache.partition('only-on-2', 0)!.leader, -1);
});

it('reassignment [1,2] -> [2,3]: adding, waiting for the ISR, leadership moved, the final assignment recorded', async () => {
  const { m } = await cluster([1, 2, 3]);
  const [a, b, c] = m;
  await a!.createTopic({ name: 'grow', partitions: 1, replicationFactor: 2, assignment: [[1, 2]] });
  await inSyncEverywhere(a!, 'grow');
  await b!.reassign('grow', 0, [2, 3]);
  const moving = await until(() => {
    const s = c!.cache.partition('grow', 0);
    return s && s.replicas.length === 3 ? s : undefined;
  }, 'replicas 1,2,3 while moving', 10_000);
  assert.equal(moving.replicas, [2, 3, 1]);
  assert.is(moving.leader, 1);
  assert.equal(c!.reassignments(), [{ topic: 'grow', partition: 0, replicas: [2, 3, 1], adding: [3], removing: [1] }]);
  // Broker 3 caught up: the leader puts it in the ISR.
  const seen = a!.cache.partition('grow', 0)!;
  await a!.writePartitionState('grow', 0, { ...seen, isr: [1, 2, 3] }, seen.version);
  const done = await until(() => {
    const s = c!.cache.partition('grow', 0);
    return s && s.replicas.length === 2 ? s : undefined;
  }, 'the final replicas', 10_000);
  assert.equal(done, { ...done, replicas: [2, 3], leader: 2, leaderEpoch: moving.leaderEpoch + 1, isr: [2, 3] });
  await until(() => c!.cache.topic('grow')?.partitions[0]?.join() === '2,3' && c!.reassignments().length === 0, 'assignment recorded, nothing in progress', 10_000);
});

it('a reassignment is resumed by a new controller, and a cancelled one reverts', async () => {
  const { m } = await cluster([1, 2, 3]);
  const [a, b, c] = m;
  await b!.createTopic({ name: 'resume', partitions: 2, replicationFactor: 1, assignment: [[2], [2]] });
  await b!.reassign('resume', 0, [2, 3]);
  await until(() => c!.cache.partition('resume', 0)?.replicas.length === 2, 'phase one', 10_000);
  await a!.close(); // the controller goes
  await until(() => c!.controllerId !== undefined && c!.controllerId !== 1, 'a new controller', 15_000);
  const seen = c!.cache.partition('resume', 0)!;
  await c!.writePartitionState('resume', 0, { ...seen, isr: [2, 3] }, seen.version);
  await until(() => c!.reassignments().length === 0 && c!.cache.topic('resume')?.partitions[0]?.join() === '2,3', 'completed by the new controller', 15_000);
  // Cancel: partition 1 goes back to [2] at once, though broker 3 never caught up.
  await c!.reassign('resume', 1, [3]);
  await until(() => c!.cache.partition('resume', 1)?.replicas.join() === '3,2', 'adding 3', 10_000);
  assert.equal(c!.reassignments()[0]!.adding, [3]);
  await b!.reassign('resume', 1, null);
  await until(() => c!.cache.partition('resume', 1)?.replicas.join() === '2' && c!.reassignments().length === 0, 'reverted', 10_000);
  assert.is(c!.cache.partition('resume', 1)!.leader, 2);
  try {
    await b!.reassign('resume', 1, null);
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkeinError).code, 'SKEIN_NO_REASSIGNMENT_IN_PROGRESS');
  }
  for (const target of [[9], [2, 2], []]) {
    try {
      await b!.reassign('resume', 1, target);
      assert.unreachable();
    } catch (err) {
      assert.is((err as SkeinError).code, 'SKEIN_INVALID_REPLICA_ASSIGNMENT', `${target.join(',')}: ${(err as Error).message}`);
    }
  }
});

it('preferred leader election gives leadership back to the first replica once it is in sync', async () => {
  const { m } = await cluster([1, 2]);
  const [a, b] = m;
  await a!.createTopic({ name: 'pref', partitions: 1, replicationFactor: 2, assignment: [[1, 2]] });
  const s = a!.cache.partition('pref', 0)!;
  await a!.writePartitionState('pref', 0, { ...s, leader: 2, leaderEpoch: 3, isr: [2] }, s.version);
  assert.is(await b!.electPreferredLeader('pref', 0), 'notAvailable', '1 is not in the ISR');
  const t = a!.cache.partition('pref', 0)!;
  await a!.writePartitionState('pref', 0, { ...t, isr: [2, 1] }, t.version);
  assert.is(await b!.electPreferredLeader('pref', 0), 'elected');
  const after = b!.cache.partition('pref', 0)!;
  assert.is(after.leader, 1);
  assert.is(after.leaderEpoch, 4);
  assert.is(await b!.electPreferredLeader('pref', 0), 'notNeeded');
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
