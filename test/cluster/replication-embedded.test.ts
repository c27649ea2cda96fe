/**
 * Replication between in-process brokers (real etcd, real Kafka-protocol connections between
 * the brokers, kafkajs as the client). Each follower's connection to its leader is a real
 * LeaderConnection behind a gate the test can close, like a cut link: while it is closed the
 * followers do not fetch, so the test can see what the leader does before the ISR has a batch.
 *
 * - acks=all answers once every ISR member has the batch; the HW moves only then.
 * - Consumers never see records above the HW (acks=1 records wait there while followers lag).
 * - acks=all times out with SKEIN_REQUEST_TIMED_OUT; fewer ISR members than min.insync.replicas
 *   refuses with SKEIN_NOT_ENOUGH_REPLICAS before appending, and a shrink while waiting gives
 *   SKEIN_NOT_ENOUGH_REPLICAS_AFTER_APPEND.
 * - A follower held back past replica.lag.time.max.ms leaves the ISR; released, it catches up
 *   and rejoins; every replica then holds the same bytes.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { ClusterMember } from '../../src/cluster/cluster-member.js';
import type { LeaderEndpoint, LeaderEndpointFactory } from '../../src/cluster/leader-endpoint.js';
import { ProtocolServer } from '../../src/protocol/server/server.js';
import { LeaderConnection } from '../../src/protocol/peer/leader-connection.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('replication between embedded brokers (real etcd, gated links)');
let etcd: EtcdServer;

/** Holds back every fetch of one follower while closed (a cut link that heals when opened). */
class Gate {
  private opened: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;
  /** Fetches held at the gate now: once one is, none of this follower's fetches is in flight. */
  held = 0;
  close(): void {
    if (this.release) return;
    this.opened = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release?.();
    this.release = undefined;
  }
  wait(): Promise<void> {
    return this.opened;
  }
}

function gated(gate: Gate): LeaderEndpointFactory {
  return (leaderId, resolve) => {
    const inner = new LeaderConnection(leaderId, resolve);
    const endpoint: LeaderEndpoint = {
      leaderId,
      fetch: async (request) => {
        gate.held += 1;
        try {
          await gate.wait();
        } finally {
          gate.held -= 1;
        }
        return inner.fetch(request);
      },
      endOffsetsForEpochs: async (replicaId, queries) => {
        await gate.wait();
        return inner.endOffsetsForEpochs(replicaId, queries);
      },
      close: () => inner.close(),
    };
    return endpoint;
  };
}

interface Node {
  nodeId: number;
  dir: string;
  prefix: string;
  options: ClusterSettings;
  broker: Broker;
  member: ClusterMember;
  server: ProtocolServer;
  gate: Gate;
  warnings: string[];
}

let prefixCount = 0;

interface ClusterSettings {
  replicaLagTimeMaxMs: number;
  minInsyncReplicas: number;
}

/** One in-process broker of a cluster: data folder, protocol listener, etcd membership, gated fetchers. */
async function startNode(nodeId: number, dir: string, prefix: string, options: ClusterSettings): Promise<Node> {
  const warnings: string[] = [];
  const broker = await Broker.open({ dir, nodeId, workerPool: false, onWarning: (m) => warnings.push(m) });
  const server = await ProtocolServer.listen({ broker, host: '127.0.0.1', port: 0 });
  const member = await within(
    ClusterMember.join({ nodeId, etcd: etcd.url, prefix, sessionTimeoutMs: 10_000, ...options }, { host: broker.listener.host, port: broker.listener.port }),
    20_000,
    `broker ${nodeId} joining`,
  );
  const gate = new Gate();
  await broker.attachCluster(member, { leaderEndpoints: gated(gate) });
  return { nodeId, dir, prefix, options, broker, member, server, gate, warnings };
}

/** Leaves the cluster (lease revoked: the controller moves its leaderships at once) and closes. */
async function stopNode(n: Node): Promise<void> {
  n.gate.open();
  await n.member.close();
  await n.server.close();
  await n.broker.close();
}

async function startCluster(ids: number[], options: ClusterSettings): Promise<Node[]> {
  const root = tempDir('skein-repl-');
  const prefix = `/repl-${process.pid}-${prefixCount++}/`;
  const nodes: Node[] = [];
  for (const nodeId of ids) nodes.push(await startNode(nodeId, join(root, `n${nodeId}`), prefix, options));
  await until(() => nodes.every((n) => n.member.cache.brokers().length === ids.length), 'every broker sees the others', 20_000);
  return nodes;
}

async function stopCluster(nodes: Node[]): Promise<void> {
  for (const n of nodes) if (!n.broker.closed) await stopNode(n);
}

async function createTopic(nodes: Node[], topic: string, replicas: number[]): Promise<void> {
  await nodes[0]!.broker.createTopic({ topic, replicaAssignment: [replicas] });
  await until(() => nodes.every((n) => n.broker.localReplica(topic, 0) !== undefined || !replicas.includes(n.broker.nodeId)), `${topic} open on its replicas`, 10_000);
}

const record = (value: string) => encodeRecordBatch([{ value: Buffer.from(value) }]);

/** The bytes of a replica's whole log. */
function logBytes(broker: Broker, topic: string): Buffer {
  const replica = broker.localReplica(topic, 0)!;
  const read = replica.log.read(replica.logStartOffset, { maxBytes: 64 * 1024 * 1024, minOneBatch: true });
  return Buffer.concat(read.views);
}

function isr(nodes: Node[], topic: string): number[] {
  return [...nodes[0]!.member.cache.partition(topic, 0)!.isr].sort((a, b) => a - b);
}

it.before(async () => {
  etcd = await startEtcd();
});

it.after(async () => {
  await stopAllEtcd();
  cleanupTempDirs();
});

it('acks=all answers once the ISR has the batch; consumers never read above the high watermark', async () => {
  const nodes = await startCluster([1, 2, 3], { replicaLagTimeMaxMs: 60_000, minInsyncReplicas: 2 });
  try {
    await createTopic(nodes, 'hw', [1, 2, 3]);
    const [leader, f2, f3] = nodes as [Node, Node, Node];
    const replica = leader.broker.localReplica('hw', 0)!;
    const first = await within(leader.broker.produce('hw', 0, record('a'), -1, 10_000), 10_000, 'first acks=all produce');
    assert.is(first.baseOffset, 0);
    assert.ok(replica.highWatermark >= 1, 'acknowledged: the HW passed the batch');

    // Followers cut off: an acks=1 record is appended but stays above the HW.
    // (A fetch already in flight may still bring the record over; the leader learns of it
    // only from the next fetch's offset, which the gate holds back.)
    f2.gate.close();
    f3.gate.close();
    const hwBefore = replica.highWatermark;
    const second = await leader.broker.produce('hw', 0, record('b'), 1);
    assert.is(replica.logEndOffset, second.lastOffset + 1);
    assert.is(replica.highWatermark, hwBefore, 'the HW waits for the ISR');
    let acked = false;
    const third = leader.broker.produce('hw', 0, record('c'), -1, 30_000).then((r) => ((acked = true), r));

    const kafka = new Kafka({ clientId: 'hw', brokers: [`127.0.0.1:${leader.server.address.port}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets('hw');
      assert.is(Number(offsets[0]!.high), hwBefore, 'ListOffsets latest is the HW, not the log end');
      const fetched = await leader.broker.fetch({ maxWaitMs: 0, partitions: [{ topic: 'hw', partition: 0, fetchOffset: hwBefore, maxBytes: 1 << 20 }] });
      assert.is(fetched.partitions[0]!.bytes, 0, 'a consumer reads nothing at the HW');
      assert.not.ok(acked, 'acks=all still waiting');

      f2.gate.open();
      f3.gate.open();
      const done = await within(third, 20_000, 'acks=all after the followers return');
      assert.is(done.baseOffset, second.lastOffset + 1);
      assert.ok(replica.highWatermark >= done.lastOffset + 1);
      assert.is(Number((await admin.fetchTopicOffsets('hw'))[0]!.high), replica.highWatermark);
    } finally {
      await admin.disconnect();
    }
    await until(() => [f2, f3].every((f) => f.broker.localReplica('hw', 0)!.logEndOffset === replica.logEndOffset), 'followers at the leader log end', 10_000);
    for (const f of [f2, f3]) assert.ok(logBytes(f.broker, 'hw').equals(logBytes(leader.broker, 'hw')), `broker ${f.broker.nodeId} holds the leader's bytes`);
  } finally {
    await stopCluster(nodes);
  }
});

it('producer ids are unique across the cluster: two idempotent producers that got their ids from different brokers both write to one partition', async () => {
  const nodes = await startCluster([1, 2, 3], { replicaLagTimeMaxMs: 60_000, minInsyncReplicas: 2 });
  try {
    await createTopic(nodes, 'pids', [1, 2, 3]);
    // Each broker answers InitProducerId from its own block (asked at once, twice each).
    const ids = await within(Promise.all([...nodes, ...nodes].map((n) => n.broker.initProducerId())), 20_000, 'InitProducerId on every broker');
    const unique = new Set(ids.map((id) => id.producerId));
    assert.is(unique.size, ids.length, `distinct producer ids, got ${ids.map((id) => id.producerId).join(', ')}`);
    // A producer initialised on broker 2 and one on broker 3 (as after a failover): both
    // batches start at sequence 0 and must both be written, neither taken for the other's repeat.
    const leader = nodes[0]!.broker;
    const a = await within(leader.produce('pids', 0, encodeRecordBatch([{ value: Buffer.from('a') }], { producerId: ids[1]!.producerId, producerEpoch: 0, baseSequence: 0 }), -1, 10_000), 10_000, 'producer a');
    const b = await within(leader.produce('pids', 0, encodeRecordBatch([{ value: Buffer.from('b') }], { producerId: ids[2]!.producerId, producerEpoch: 0, baseSequence: 0 }), -1, 10_000), 10_000, 'producer b');
    assert.is(a.baseOffset, 0);
    assert.is(b.baseOffset, 1, 'the second producer\'s batch was written, not answered as a duplicate');
    assert.is(leader.localReplica('pids', 0)!.logEndOffset, 2);
  } finally {
    await stopCluster(nodes);
  }
});

it('acks=all: REQUEST_TIMED_OUT while the ISR lacks the batch, NOT_ENOUGH_REPLICAS below min.insync.replicas (nothing appended), AFTER_APPEND when the ISR shrinks while waiting; acks=1 still works', async () => {
  const nodes = await startCluster([1, 2], { replicaLagTimeMaxMs: 2000, minInsyncReplicas: 2 });
  try {
    await createTopic(nodes, 'few', [1, 2]);
    const [leader, follower] = nodes as [Node, Node];
    const replica = leader.broker.localReplica('few', 0)!;
    await within(leader.broker.produce('few', 0, record('ok'), -1, 10_000), 10_000, 'produce with both in sync');

    follower.gate.close();
    try {
      await leader.broker.produce('few', 0, record('slow'), -1, 100);
      assert.unreachable('timed out');
    } catch (err) {
      assert.is((err as SkeinError).code, 'SKEIN_REQUEST_TIMED_OUT');
    }
    // Still held back: the follower lags past 2 s and the ISR shrinks to the leader while this waits.
    try {
      await within(leader.broker.produce('few', 0, record('shrinking'), -1, 30_000), 30_000, 'acks=all during the shrink');
      assert.unreachable('shrank');
    } catch (err) {
      assert.is((err as SkeinError).code, 'SKEIN_NOT_ENOUGH_REPLICAS_AFTER_APPEND', (err as Error).message);
    }
    await until(() => isr(nodes, 'few').length === 1, 'the ISR without the held-back follower', 10_000);
    assert.equal(isr(nodes, 'few'), [1]);
    const end = replica.logEndOffset;
    try {
      await leader.broker.produce('few', 0, record('refused'), -1, 10_000);
      assert.unreachable('refused');
    } catch (err) {
      assert.is((err as SkeinError).code, 'SKEIN_NOT_ENOUGH_REPLICAS');
    }
    assert.is(replica.logEndOffset, end, 'nothing appended');
    const one = await leader.broker.produce('few', 0, record('acks-1'), 1);
    assert.is(one.baseOffset, end);

    follower.gate.open();
    await until(() => isr(nodes, 'few').length === 2, 'the follower back in the ISR after catching up', 20_000);
    const after = await within(leader.broker.produce('few', 0, record('again'), -1, 10_000), 10_000, 'acks=all once the ISR is back');
    assert.is(after.baseOffset, end + 1);
    await until(() => follower.broker.localReplica('few', 0)!.logEndOffset === replica.logEndOffset, 'follower caught up', 10_000);
    assert.ok(logBytes(follower.broker, 'few').equals(logBytes(leader.broker, 'few')));
  } finally {
    await stopCluster(nodes);
  }
});

it('a leader that appended records its followers never fetched loses leadership; back as a follower, it asks where its epoch ends (OffsetForLeaderEpoch), truncates that divergent tail and holds the new leader\'s log', async () => {
  const nodes = await startCluster([1, 2, 3], { replicaLagTimeMaxMs: 60_000, minInsyncReplicas: 2 });
  try {
    await createTopic(nodes, 'diverge', [1, 2, 3]);
    const [old, f2, f3] = nodes as [Node, Node, Node];
    await within(old.broker.produce('diverge', 0, record('agreed'), -1, 10_000), 10_000, 'a record on all three');
    f2.gate.close();
    f3.gate.close();
    // Once each follower has a fetch held at its gate, none is in flight that could copy what follows.
    await until(() => f2.gate.held > 0 && f3.gate.held > 0, 'both followers held back', 10_000);
    await old.broker.produce('diverge', 0, record('lost-1'), 1);
    await old.broker.produce('diverge', 0, record('lost-2'), 1);
    const oldReplica = old.broker.localReplica('diverge', 0)!;
    assert.is(oldReplica.logEndOffset, 3);
    assert.is(oldReplica.highWatermark, 1, 'never acknowledged to acks=all, never visible to consumers');

    await stopNode(old);
    f2.gate.open();
    f3.gate.open();
    const moved = await until(() => {
      const s = f2.member.cache.partition('diverge', 0)!;
      return s.leader !== 1 && s.leader !== -1 ? s : undefined;
    }, 'a follower leads', 10_000);
    assert.is(moved.leaderEpoch, 1);
    const leader = nodes.find((n) => n.nodeId === moved.leader)!;
    const written = await within(leader.broker.produce('diverge', 0, record('new-leader'), -1, 10_000), 10_000, 'acks=all on the new leader');
    assert.is(written.baseOffset, 1, 'the new leader continues after the agreed record');

    const back = await startNode(1, old.dir, old.prefix, old.options);
    nodes[0] = back;
    const replica = back.broker.localReplica('diverge', 0)!;
    const leaderReplica = leader.broker.localReplica('diverge', 0)!;
    await until(() => replica.logEndOffset === leaderReplica.logEndOffset && back.member.cache.partition('diverge', 0)!.isr.includes(1), 'the old leader caught up and back in the ISR', 20_000);
    assert.ok(logBytes(back.broker, 'diverge').equals(logBytes(leader.broker, 'diverge')), 'its log is the new leader\'s, the divergent tail gone');
    assert.ok(back.warnings.some((w) => /truncated the diverged tail \[1, 3\) \(OffsetForLeaderEpoch: leader \d ends epoch 0 at 1\)/.test(w)), back.warnings.join('\n'));
  } finally {
    await stopCluster(nodes);
  }
});

it('a follower that starts empty after the leader compacted its log copies the gapped log byte for byte, at the same offsets (appendAsFollower keeps the leader\'s offsets)', async () => {
  const nodes = await startCluster([1, 2, 3], { replicaLagTimeMaxMs: 60_000, minInsyncReplicas: 1 });
  try {
    const [leader, , f3] = nodes as [Node, Node, Node];
    // Broker 3 copies nothing until the leader's cleaner has removed records.
    f3.gate.close();
    await nodes[0]!.broker.createTopic({ topic: 'compacted', replicaAssignment: [[1, 2, 3]], configEntries: [{ name: 'cleanup.policy', value: 'compact' }] });
    await until(() => nodes.every((n) => n.broker.localReplica('compacted', 0) !== undefined), 'compacted open on its replicas', 10_000);
    const keyed = (key: string, value: string) => encodeRecordBatch([{ key: Buffer.from(key), value: Buffer.from(value) }]);
    for (let i = 0; i < 40; i++) await leader.broker.produce('compacted', 0, keyed(`k${i % 5}`, `v${i}`), 1);
    const replica = leader.broker.localReplica('compacted', 0)!;
    replica.log.roll();
    await leader.broker.produce('compacted', 0, keyed('k0', 'after-roll'), 1);
    const cleaned = await replica.log.compact({ force: true, inline: true });
    assert.ok(cleaned.cleaned, `the cleaner ran (${cleaned.reason ?? ''})`);
    const leaderOffsets = offsetsOf(leader.broker, 'compacted');
    assert.ok(leaderOffsets.length < 41 && leaderOffsets[0]! > 0, `records removed, gaps left: ${leaderOffsets.join(',')}`);
    assert.is(replica.logStartOffset, 0, 'the log still starts at 0: the follower fetches from there');

    f3.gate.open();
    const copy = () => f3.broker.localReplica('compacted', 0)!;
    await until(() => copy().logEndOffset === replica.logEndOffset, 'broker 3 at the leader log end', 20_000);
    assert.equal(offsetsOf(f3.broker, 'compacted'), leaderOffsets, 'the same offsets, gaps included');
    assert.ok(logBytes(f3.broker, 'compacted').equals(logBytes(leader.broker, 'compacted')), 'the leader\'s bytes');
    // And it goes on following what the leader appends next.
    await leader.broker.produce('compacted', 0, keyed('k9', 'later'), 1);
    await until(() => copy().logEndOffset === replica.logEndOffset, 'broker 3 follows the next append', 20_000);
    assert.ok(logBytes(f3.broker, 'compacted').equals(logBytes(leader.broker, 'compacted')));
  } finally {
    await stopCluster(nodes);
  }
});

/** The offsets of every record of a replica's log. */
function offsetsOf(broker: Broker, topic: string): number[] {
  const offsets: number[] = [];
  for (const batch of iterateBatches(logBytes(broker, topic))) for (const r of iterateRecords(batch)) offsets.push(r.offset);
  return offsets;
}

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
