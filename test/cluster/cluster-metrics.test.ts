/**
 * A broker of a cluster reports its replicas to observers (the admin port's metrics) as the
 * cluster assigns and deletes them: records produced to a partition it leads show in
 * /metrics, as they do on one broker.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
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

it('replicas the cluster assigns are announced, counted in /metrics, and removed with their topic', async () => {
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

it.run();
