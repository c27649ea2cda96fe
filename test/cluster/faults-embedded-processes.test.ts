/**
 * Three Node processes each embedding a broker (`Skein.open({ cluster })`, no `skein serve`)
 * form one cluster through a real etcd that kafkajs produces to and consumes from (issue 12):
 * a topic with RF 3 and min.insync.replicas 2, an idempotent acks=-1 producer; one process is
 * SIGKILLed mid-way and writes go on through the other two; a consumer group then reads every
 * partition and the checker finds every acknowledged record once, in order, at its offset.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { EmbeddedProcess } from '../helpers/cluster/embedded-process.js';
import { check, describe, partitionKey, type ReadBack, type ReadRecord } from '../helpers/cluster/checker.js';
import { Load } from '../helpers/cluster/load.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('faults: three embedded Skein.open({ cluster }) processes');
const PARTITIONS = 3;
let etcd: EtcdServer;
const nodes: EmbeddedProcess[] = [];

function kafka(clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: nodes.filter((n) => n.running).map((n) => n.bootstrap),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    connectionTimeout: 2000,
    requestTimeout: 8000,
  });
}

it.before(async () => {
  etcd = await startEtcd();
  const root = tempDir('skein-embedded-procs-');
  for (const id of [1, 2, 3]) nodes.push(new EmbeddedProcess(id, join(root, `n${id}`), etcd.url));
  await Promise.all(nodes.map((n) => n.start()));
});

it.after(async () => {
  await Promise.allSettled(nodes.map((n) => n.kill()));
  await stopAllEtcd();
  cleanupTempDirs();
});

it('kafkajs produces (acks=-1, idempotent) and consumes through three embedded brokers, one of them SIGKILLed on the way', async () => {
  const topic = 'fleet';
  let admin: Admin = kafka('fleet-admin').admin();
  await within(admin.connect(), 20_000, 'admin connect');
  try {
    await until(async () => (await admin.describeCluster()).brokers.length === 3, 'three brokers in the cluster', 30_000, 200);
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    const meta = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions;
    assert.equal(meta.map((p) => p.leader).sort(), [1, 2, 3], 'leaders spread over the three processes');
    await until(async () => {
      const m = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions;
      return m.every((p) => p.isr.length === 3);
    }, 'every partition with three in-sync replicas', 30_000, 200);
  } finally {
    await admin.disconnect();
  }
  const load = new Load(() => kafka('fleet-writer'), { topic, partitions: PARTITIONS, batch: 5, pauseMs: 5 }).start();
  const victim = nodes[0]!;
  try {
    await load.progress(10, 30_000, 'writes with three processes');
    await victim.kill();
    await load.progress(10, 60_000, `writes after embedded broker ${victim.nodeId} was SIGKILLed`);
  } finally {
    await within(load.stop(), 60_000, 'writers to stop');
  }
  // Read back through a consumer group, on the two live processes.
  const consumer = kafka('fleet-reader').consumer({ groupId: 'fleet-readers', sessionTimeout: 6000, heartbeatInterval: 500 });
  const read = new Map<number, ReadRecord[]>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
  admin = kafka('fleet-admin-2').admin();
  await admin.connect();
  try {
    const high = await until(async () => {
      const o = await admin.fetchTopicOffsets(topic);
      const needed = new Array<number>(PARTITIONS).fill(0);
      for (const a of load.history.acks) needed[a.partition] = Math.max(needed[a.partition]!, a.offset + 1);
      return o.every((x) => Number(x.high) >= needed[x.partition]!) ? o : undefined;
    }, 'high watermarks covering every acknowledged offset', 30_000, 200);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void read.get(partition)!.push({ offset: Number(message.offset), value: message.value!.toString() }) });
    await until(() => high.every((o) => {
      const got = read.get(o.partition)!;
      return Number(o.high) === 0 || (got.length > 0 && got[got.length - 1]!.offset >= Number(o.high) - 1);
    }), 'every partition consumed to its high watermark', 60_000, 100);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  const back: ReadBack = new Map([...read].map(([p, records]) => [partitionKey(topic, p), records]));
  const result = check(load.history, back);
  assert.ok(result.ok, describe(result));
  assert.ok(result.acknowledged >= 100, `enough acknowledged (${result.acknowledged})`);
  // The survivors shut down cleanly: SIGTERM runs skein.close().
  for (const n of nodes.slice(1)) assert.is(await n.terminate(), 0, `embedded broker ${n.nodeId} closed cleanly: ${n.output().slice(-500)}`);
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
