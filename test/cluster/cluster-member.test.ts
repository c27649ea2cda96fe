/**
 * ClusterMember against a real etcd (Debian's etcd-server, started here on free ports):
 * registration, one controller, topic creation with spread replicas, compare-and-set on the
 * partition version, leadership moving off a broker that left or whose lease expired, and a
 * second broker with the same node id refused. Several members run in this one process; each
 * has its own etcd client and lease, exactly as separate brokers would.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClusterMember } from '../../src/cluster/cluster-member.js';
import { SkeinError } from '../../src/errors.js';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs } from '../helpers/temp-dir.js';

const it = suite('cluster member (real etcd)');
let etcd: EtcdServer;
const members: ClusterMember[] = [];
let prefixCount = 0;

async function join(nodeId: number, prefix: string, extra: { sessionTimeoutMs?: number; uncleanLeaderElection?: boolean } = {}): Promise<ClusterMember> {
  const member = await within(
    ClusterMember.join({ nodeId, etcd: etcd.url, prefix, sessionTimeoutMs: extra.sessionTimeoutMs ?? 2000, uncleanLeaderElection: extra.uncleanLeaderElection }, { host: '127.0.0.1', port: 9000 + nodeId }),
    20_000,
    `broker ${nodeId} joining`,
  );
  member.on('warning', (m) => process.stderr.write(`[broker ${nodeId}] ${m}\n`));
  members.push(member);
  return member;
}

/** Puts every replica of every partition of `topic` in the ISR, as a leader does once its followers caught up. */
async function inSyncEverywhere(member: ClusterMember, topic: string): Promise<void> {
  for (const p of member.cache.partitions(topic)) {
    await member.writePartitionState(topic, p.partition, { ...p, isr: [...p.replicas] }, p.version);
  }
}

/** Each test its own cluster (prefix) in the shared etcd. */
function freshPrefix(): string {
  return `/test-${process.pid}-${++prefixCount}/`;
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

it('three brokers register, see each other and agree on one controller', async () => {
  const prefix = freshPrefix();
  const [a, b, c] = [await join(1, prefix), await join(2, prefix), await join(3, prefix)];
  for (const m of [a!, b!, c!]) {
    await until(() => m.cache.brokers().length === 3, `broker ${m.nodeId} to see 3 brokers`, 10_000);
    assert.equal(m.cache.brokers(), [
      { nodeId: 1, host: '127.0.0.1', port: 9001 },
      { nodeId: 2, host: '127.0.0.1', port: 9002 },
      { nodeId: 3, host: '127.0.0.1', port: 9003 },
    ]);
  }
  await until(() => a!.controllerId !== undefined && a!.controllerId === b!.controllerId && b!.controllerId === c!.controllerId, 'one controller', 10_000);
  assert.is([a!, b!, c!].filter((m) => m.isController).length, 1);
  // The first to join won: it campaigned before the others existed.
  assert.is(a!.controllerId, 1);
});

it('a topic is created once, with replicas spread and the state visible to every broker', async () => {
  const prefix = freshPrefix();
  const [a, b, c] = [await join(1, prefix), await join(2, prefix), await join(3, prefix)];
  await until(() => c!.cache.brokers().length === 3 && b!.cache.brokers().length === 3, 'all brokers seen', 10_000);
  const created = await b!.createTopic({ name: 'orders', partitions: 6, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
  assert.is(created.partitions.length, 6);
  const leaders = created.partitions.map((r) => r[0]);
  for (const id of [1, 2, 3]) assert.is(leaders.filter((l) => l === id).length, 2, `broker ${id} leads 2 of 6`);
  for (const m of [a!, c!]) {
    await until(() => m.cache.partitions('orders').length === 6, `broker ${m.nodeId} sees 6 partitions`, 10_000);
    const p0 = m.cache.partition('orders', 0)!;
    assert.equal(p0.replicas, created.partitions[0]);
    assert.is(p0.leader, created.partitions[0]![0]);
    assert.is(p0.leaderEpoch, 0);
    assert.equal([...p0.isr].sort((x, y) => x - y), [...created.partitions[0]!].sort((x, y) => x - y), 'a new partition\'s ISR is all its (empty) replicas, as in Kafka');
    assert.equal(m.cache.topic('orders')!.configs, { 'min.insync.replicas': '2' });
  }
  try {
    await c!.createTopic({ name: 'orders', partitions: 1, replicationFactor: 1 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkeinError).code, 'SKEIN_TOPIC_ALREADY_EXISTS');
  }
  try {
    await c!.createTopic({ name: 'too-wide', partitions: 1, replicationFactor: 4 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkeinError).code, 'SKEIN_INVALID_REPLICATION_FACTOR');
  }
  const grown = await a!.createPartitions('orders', 9);
  assert.is(grown.partitions.length, 9);
  await until(() => c!.cache.partitions('orders').length === 9, 'new partitions seen', 10_000);
  for (const replicas of grown.partitions) assert.is(new Set(replicas).size, 3);
  await a!.deleteTopic('orders');
  await until(() => c!.cache.partitions('orders').length === 0 && c!.cache.topic('orders') === undefined, 'topic gone everywhere', 10_000);
});

it('partition state changes are compare-and-set on the version', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await join(1, prefix), await join(2, prefix)];
  await until(() => a!.cache.brokers().length === 2, 'both seen', 10_000);
  await a!.createTopic({ name: 't', partitions: 1, replicationFactor: 2 });
  await until(() => b!.cache.partition('t', 0), 'b sees t-0', 10_000);
  const seen = b!.cache.partition('t', 0)!;
  const grown = await a!.writePartitionState('t', 0, { ...seen, isr: [...seen.replicas] }, seen.version);
  assert.ok(grown.version > seen.version);
  try {
    // b still holds the old version: its write must lose.
    await b!.writePartitionState('t', 0, { ...seen, isr: [seen.leader] }, seen.version);
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkeinError).code, 'SKEIN_STALE_CLUSTER_STATE');
  }
  await until(() => b!.cache.partition('t', 0)?.isr.length === 2, 'b sees the grown ISR', 10_000);
});

it('when a leader leaves, the controller moves leadership to an ISR member with a new epoch', async () => {
  const prefix = freshPrefix();
  const [a, b, c] = [await join(1, prefix), await join(2, prefix), await join(3, prefix)];
  await until(() => a!.cache.brokers().length === 3, 'all seen', 10_000);
  await a!.createTopic({ name: 'x', partitions: 3, replicationFactor: 3 });
  await until(() => b!.cache.partitions('x').length === 3, 'b sees x', 10_000);
  await inSyncEverywhere(a!, 'x');
  await until(() => b!.cache.partitions('x').every((p) => p.isr.length === 3), 'b sees full ISRs', 10_000);
  const ledByB = b!.cache.partitions('x').filter((p) => p.leader === 2);
  assert.ok(ledByB.length > 0);
  await b!.close();
  for (const before of ledByB) {
    const after = await until(() => {
      const p = c!.cache.partition('x', before.partition);
      return p && p.leader !== 2 ? p : undefined;
    }, `a new leader for x-${before.partition}`, 15_000);
    assert.ok([1, 3].includes(after.leader));
    assert.is(after.leaderEpoch, before.leaderEpoch + 1);
    assert.not.ok(after.isr.includes(2), 'the departed broker left the ISR');
  }
  // Partitions b only followed keep their leader and epoch, minus b in the ISR.
  for (const p of c!.cache.partitions('x').filter((q) => !ledByB.some((l) => l.partition === q.partition))) {
    await until(() => !c!.cache.partition('x', p.partition)!.isr.includes(2), 'b out of the ISR', 10_000);
    assert.is(c!.cache.partition('x', p.partition)!.leaderEpoch, 0);
  }
});

it('the controller itself dying hands the controllership and its partitions to the others', async () => {
  const prefix = freshPrefix();
  const [a, b, c] = [await join(1, prefix), await join(2, prefix), await join(3, prefix)];
  await until(() => c!.cache.brokers().length === 3, 'all seen', 10_000);
  await b!.createTopic({ name: 'y', partitions: 3, replicationFactor: 2 });
  await inSyncEverywhere(b!, 'y');
  // Whoever is the controller now (usually the first to join; the test of the election above
  // checks that) is the one that dies.
  const all = [a!, b!, c!];
  await until(() => a!.controllerId !== undefined && all.every((m) => m.controllerId === a!.controllerId), 'one controller seen by all', 10_000);
  const old = all.find((m) => m.nodeId === a!.controllerId)!;
  const [x, y] = all.filter((m) => m !== old);
  await until(() => [0, 1, 2].every((p) => y!.cache.partition('y', p)?.isr.length === 2), `broker ${y!.nodeId} to see y in sync`, 10_000);
  const led = [0, 1, 2].filter((p) => y!.cache.partition('y', p)!.leader === old.nodeId);
  await old.close();
  await until(() => x!.controllerId !== undefined && x!.controllerId !== old.nodeId, 'a new controller', 15_000);
  await until(() => x!.controllerId === y!.controllerId, 'the survivors to agree on it', 15_000);
  for (let p = 0; p < 3; p++) {
    await until(() => {
      const s = y!.cache.partition('y', p);
      return s && s.leader !== old.nodeId && s.leader !== -1 && !s.isr.includes(old.nodeId);
    }, `y-${p} led by a live broker`, 15_000);
  }
  assert.ok(led.length > 0, `the old controller led some of y's partitions (${led.join(', ')}), which moved`);
});

/** Leaves the leader alone in the ISR, as a leader does when its followers fall behind (replication.ts). */
async function shrinkToLeader(member: ClusterMember, topic: string): Promise<void> {
  await until(() => member.cache.partition(topic, 0), `${topic}-0 seen`, 10_000);
  const s = member.cache.partition(topic, 0)!;
  await member.writePartitionState(topic, 0, { ...s, isr: [s.leader] }, s.version);
}

it('a leader alone in its ISR (its followers fell behind) leaves its partition offline when it goes, not led by a replica that lacks its records', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await join(1, prefix), await join(2, prefix)];
  await until(() => a!.cache.brokers().length === 2, 'both seen', 10_000);
  await a!.createTopic({ name: 'alone', partitions: 1, replicationFactor: 2, assignment: [[2, 1]] });
  await shrinkToLeader(a!, 'alone');
  await b!.close();
  const offline = await until(() => {
    const s = a!.cache.partition('alone', 0);
    return s && s.leader === -1 ? s : undefined;
  }, 'alone-0 offline', 15_000);
  assert.is(offline.leaderEpoch, 1);
  assert.equal(offline.isr, [2], 'the last ISR is kept, so its member can lead again when it returns');
  const back = await join(2, prefix);
  const led = await until(() => {
    const s = back.cache.partition('alone', 0);
    return s && s.leader === 2 ? s : undefined;
  }, `broker 2 leads again after it returned (controller ${a!.controllerId}, a sees ${JSON.stringify(a!.cache.partition('alone', 0))} brokers ${JSON.stringify(a!.cache.brokers())})`, 15_000);
  assert.is(led.leaderEpoch, 2);
});

it('with unclean leader election a live out-of-sync replica takes over (and the docs say what that loses)', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await join(1, prefix, { uncleanLeaderElection: true }), await join(2, prefix, { uncleanLeaderElection: true })];
  await until(() => a!.cache.brokers().length === 2, 'both seen', 10_000);
  await a!.createTopic({ name: 'risky', partitions: 1, replicationFactor: 2, assignment: [[2, 1]] });
  await shrinkToLeader(a!, 'risky');
  await b!.close();
  const s = await until(() => {
    const p = a!.cache.partition('risky', 0);
    return p && p.leader === 1 ? p : undefined;
  }, 'broker 1 leads uncleanly', 15_000);
  assert.equal(s.isr, [1]);
  assert.is(s.leaderEpoch, 1);
});

it('a second live broker with the same node id is refused with SKEIN_NODE_ID_IN_USE', async () => {
  const prefix = freshPrefix();
  await join(1, prefix, { sessionTimeoutMs: 1000 });
  try {
    await join(1, prefix, { sessionTimeoutMs: 1000 });
    assert.unreachable();
  } catch (err) {
    assert.ok(err instanceof SkeinError);
    assert.is((err as SkeinError).code, 'SKEIN_NODE_ID_IN_USE');
  }
});

it('producer id blocks: disjoint across brokers, racing ones included, and never below the ids a folder handed out before it joined', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await join(1, prefix), await join(2, prefix)];
  const starts = await Promise.all([a.allocateProducerIds(1000), b.allocateProducerIds(1000), a.allocateProducerIds(1000), b.allocateProducerIds(1000)]);
  assert.equal([...starts].sort((x, y) => x - y), [0, 1000, 2000, 3000], 'four racing allocations get four disjoint blocks');
  // A broker whose folder handed out ids up to 9000 alone gets a block above them, and the counter moves past it.
  assert.is(await b.allocateProducerIds(1000, 9000), 9000);
  assert.is(await a.allocateProducerIds(1000), 10_000);
});

it('etcd unreachable at start: a clear SKEIN_COORDINATOR_UNAVAILABLE, bounded in time', async () => {
  try {
    await within(ClusterMember.join({ nodeId: 1, etcd: 'http://127.0.0.1:9', sessionTimeoutMs: 1000 }, { host: '127.0.0.1', port: 1 }), 30_000, 'join against no etcd');
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkeinError).code, 'SKEIN_COORDINATOR_UNAVAILABLE', (err as Error).message);
  }
});

it('etcd killed and restarted: the members carry on with the state etcd kept, and topics can be created again', async () => {
  const prefix = freshPrefix();
  const [a, b] = [await join(1, prefix, { sessionTimeoutMs: 5000 }), await join(2, prefix, { sessionTimeoutMs: 5000 })];
  await until(() => a!.cache.brokers().length === 2 && b!.cache.brokers().length === 2, 'both seen', 10_000);
  await a!.createTopic({ name: 'kept', partitions: 2, replicationFactor: 2 });
  await etcd.stop();
  try {
    await b!.createTopic({ name: 'while-down', partitions: 1, replicationFactor: 1 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as SkeinError).code, 'SKEIN_COORDINATOR_UNAVAILABLE', 'a change while etcd is down is refused with a code');
  }
  await etcd.restart();
  await until(async () => {
    await b!.createTopic({ name: 'after', partitions: 1, replicationFactor: 2 }).catch((err: SkeinError) => {
      if (err.code !== 'SKEIN_TOPIC_ALREADY_EXISTS') throw err;
    });
    return true;
  }, 'a topic created after etcd returned', 30_000, 500);
  await until(() => a!.cache.topic('after') !== undefined && a!.cache.partitions('kept').length === 2, 'a sees old and new topics', 20_000);
  await until(() => a!.cache.brokers().length === 2 && a!.controllerId !== undefined && a!.controllerId === b!.controllerId, 'both registered, one controller', 30_000);
  assert.is(a!.cache.topic('while-down'), undefined);
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
