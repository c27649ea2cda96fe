/**
 * A broker of a cluster reports its replicas to observers (the admin port's metrics) as the
 * cluster assigns, moves and deletes them: records produced to a partition it leads show in
 * /metrics, as they do on one broker; a replica moved away by a reassignment leaves its
 * series; an observer (metrics) added while the broker holds only some partitions of a topic
 * is handed those, and /metrics answers.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Skein } from '../../src/client/skein.js';
import type { Partition } from '../../src/partition/partition.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('cluster replicas are seen by observers and metrics');
let etcd: EtcdServer;
const skeins: Skein[] = [];

it.before(async () => {
  etcd = await startEtcd();
});

it.after(async () => {
  await Promise.allSettled(skeins.map((s) => s.close()));
  await stopAllEtcd();
  cleanupTempDirs();
});

/** Two embedded members of one cluster, opened once for the suite. */
async function pair(): Promise<[Skein, Skein]> {
  if (skeins.length === 2) return skeins as [Skein, Skein];
  const root = tempDir('skein-cluster-metrics-');
  for (const nodeId of [1, 2]) {
    skeins.push(
      await within(
        Skein.open({
          dir: join(root, `n${nodeId}`),
          cluster: { nodeId, etcd: etcd.url, prefix: `/metrics-${process.pid}/`, sessionTimeoutMs: 10_000, listen: { host: '127.0.0.1', port: 0 } },
          onWarning: () => undefined,
        }),
        30_000,
        `broker ${nodeId} opening`,
      ),
    );
  }
  const [a, b] = skeins as [Skein, Skein];
  await until(() => a.broker.brokers().length === 2 && b.broker.brokers().length === 2, 'both registered', 20_000);
  return [a, b];
}

/** The value of a metric line with these label fragments in a /metrics text (undefined: no such line). */
function sample(text: string, name: string, ...labels: string[]): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

it('replicas the cluster assigns are announced, counted in /metrics, and removed with their topic', async () => {
  const [a] = await pair();
  const added = new Map<number, string[]>();
  const removed = new Map<number, string[]>();
  for (const s of skeins) {
    added.set(s.broker.nodeId, []);
    removed.set(s.broker.nodeId, []);
    s.broker.observe({
      partitionAdded: (p: Partition) => void added.get(s.broker.nodeId)!.push(`${p.topic}-${p.partition}`),
      partitionRemoved: (p: Partition) => void removed.get(s.broker.nodeId)!.push(`${p.topic}-${p.partition}`),
    });
  }
  const admin = await a.listenAdmin({ port: 0 });
  await a.broker.createTopic({ topic: 'metered', numPartitions: 4, replicationFactor: 1 });
  await until(() => added.get(1)!.length + added.get(2)!.length === 4, 'four replicas announced', 20_000);
  const mine = a.cluster!.cache.partitions('metered').filter((p) => p.replicas.includes(1)).map((p) => `metered-${p.partition}`);
  assert.equal(added.get(1)!.sort(), mine.sort(), 'broker 1 announced exactly the replicas it holds');
  assert.ok(mine.length > 0 && mine.length < 4, 'replicas spread over both brokers');

  const led = a.cluster!.cache.partitions('metered').find((p) => p.leader === 1)!;
  await a.broker.produce('metered', led.partition, encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }]), 1);
  const text = await (await fetch(`${admin.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('kafka_server_brokertopicmetrics_messagesin_total') && l.includes(`topic="metered"`) && l.includes(`partition="${led.partition}"`));
  assert.ok(line, `messages-in of metered-${led.partition} in /metrics`);
  assert.is(Number(line!.split(' ').pop()), 3);

  await a.broker.deleteTopic('metered');
  await until(() => removed.get(1)!.length + removed.get(2)!.length === 4, 'four replicas removed', 20_000);
  assert.equal(removed.get(1)!.sort(), mine.sort());
});

it('a replica moved away by a reassignment is removed from observers and its series leave /metrics', async () => {
  const [a, b] = await pair();
  await a.broker.createTopic({ topic: 'moving', replicaAssignment: [[1], [2], [1]] });
  await until(() => a.broker.localReplica('moving', 0) !== undefined && a.broker.localReplica('moving', 2) !== undefined && b.broker.localReplica('moving', 1) !== undefined, 'replicas opened', 20_000);
  const removed: string[] = [];
  a.broker.observe({ partitionRemoved: (p: Partition) => void removed.push(`${p.topic}-${p.partition}`) });
  const admin = await a.listenAdmin({ port: 0 });
  await until(() => a.cluster!.cache.partition('moving', 0)?.leader === 1, 'broker 1 leads moving-0', 20_000);
  await until(() => a.cluster!.cache.partition('moving', 2)?.leader === 1, 'broker 1 leads moving-2', 20_000);
  await a.broker.produce('moving', 0, encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }]), 1);
  await a.broker.produce('moving', 2, encodeRecordBatch([{ value: Buffer.from('z') }]), 1);
  assert.is(admin.metrics!.topicTotals.get('moving')?.messagesIn, 3);
  const before = await (await fetch(`${admin.url}/metrics`)).text();
  assert.is(sample(before, 'kafka_server_brokertopicmetrics_messagesin_total', 'topic="moving"', 'partition="0"'), 2);
  assert.ok(sample(before, 'kafka_log_log_size_bytes', 'topic="moving"', 'partition="0"')! > 0, 'the log size of moving-0 is reported');

  await a.cluster!.reassign('moving', 0, [2]);
  await until(() => a.broker.localReplica('moving', 0) === undefined && b.broker.localReplica('moving', 0) !== undefined, 'moving-0 moved to broker 2', 30_000);
  assert.equal(removed, ['moving-0'], 'observers told the replica went');
  const after = await (await fetch(`${admin.url}/metrics`)).text();
  assert.is(sample(after, 'kafka_server_brokertopicmetrics_messagesin_total', 'topic="moving"', 'partition="0"'), undefined, 'no messages-in series for a replica held elsewhere');
  assert.is(sample(after, 'kafka_log_log_size_bytes', 'topic="moving"', 'partition="0"'), undefined, 'no log series for a replica held elsewhere');
  assert.is(sample(after, 'kafka_server_brokertopicmetrics_messagesin_total', 'topic="moving"', 'partition="2"'), 1, 'the replica still held keeps its series');
  assert.ok(admin.metrics!.topicTotals.has('moving'), 'the topic totals stay while broker 1 holds a partition of it');
  // Records appended on broker 2 now are not counted by broker 1.
  await until(() => b.cluster!.cache.partition('moving', 0)?.leader === 2, 'broker 2 leads moving-0', 20_000);
  await b.broker.produce('moving', 0, encodeRecordBatch([{ value: Buffer.from('c') }]), 1);
  const later = await (await fetch(`${admin.url}/metrics`)).text();
  assert.is(sample(later, 'kafka_server_brokertopicmetrics_messagesin_total', 'topic="moving"', 'partition="0"'), undefined);
});

it('metrics attached to a member holding only some partitions of a topic: its own are handed over and counted, /metrics answers', async () => {
  const [a, b] = await pair();
  await a.broker.createTopic({ topic: 'partial', replicaAssignment: [[1], [2], [1], [2]] });
  await until(() => [0, 2].every((p) => a.broker.localReplica('partial', p) !== undefined) && [1, 3].every((p) => b.broker.localReplica('partial', p) !== undefined), 'replicas opened', 20_000);
  const handed: Array<Partition | undefined> = [];
  a.broker.observe({ partitionAdded: (p: Partition) => void handed.push(p) });
  const partial = handed.filter((p) => p === undefined || p.topic === 'partial');
  assert.equal(partial.map((p) => p && p.partition).sort(), [0, 2], 'handed exactly the partitions broker 1 holds, no holes');

  // Attached now, after the topic exists: the metrics subscribe to what observe() hands them.
  const adminA = await a.listenAdmin({ port: 0 });
  const adminB = await b.listenAdmin({ port: 0 });
  await until(() => a.cluster!.cache.partition('partial', 2)?.leader === 1, 'broker 1 leads partial-2', 20_000);
  await a.broker.produce('partial', 2, encodeRecordBatch([{ value: Buffer.from('a') }, { value: Buffer.from('b') }, { value: Buffer.from('c') }]), 1);
  // A group's committed offsets on every partition, wherever its coordinator is: lag is read from the replicas held there.
  const kafka = new Kafka({ clientId: 'partial-metrics', brokers: [`127.0.0.1:${a.broker.listener.port}`], logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  try {
    await kafkaAdmin.setOffsets({ groupId: 'partial-readers', topic: 'partial', partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: '0' })) });
  } finally {
    await kafkaAdmin.disconnect();
  }
  const coordinator = (await a.broker.findCoordinator('partial-readers')).nodeId;
  for (const [admin, nodeId, own, other] of [[adminA, 1, [0, 2], [1, 3]], [adminB, 2, [1, 3], [0, 2]]] as const) {
    const response = await fetch(`${admin.url}/metrics`);
    assert.is(response.status, 200, `/metrics of ${admin.url}`);
    const text = await response.text();
    if (nodeId === coordinator) {
      // The coordinator reports the committed offsets of the partitions it holds.
      for (const p of own) assert.is(sample(text, 'kafka_consumergroup_current_offset', 'consumergroup="partial-readers"', `partition="${p}"`), 0, `committed offset of partial-${p}`);
    }
    for (const p of own) assert.ok(sample(text, 'kafka_log_log_logendoffset', 'topic="partial"', `partition="${p}"`) !== undefined, `log end offset of partial-${p}`);
    for (const p of other) assert.is(sample(text, 'kafka_log_log_logendoffset', 'topic="partial"', `partition="${p}"`), undefined, `no log series for partial-${p} held elsewhere`);
  }
  const textA = await (await fetch(`${adminA.url}/metrics`)).text();
  assert.is(sample(textA, 'kafka_server_brokertopicmetrics_messagesin_total', 'topic="partial"', 'partition="2"'), 3);
  assert.is(sample(textA, 'kafka_log_log_logendoffset', 'topic="partial"', 'partition="2"'), 3);
});

it.run();
