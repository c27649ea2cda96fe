/**
 * The high watermark survives a SIGKILL (replication-offset-checkpoint), with real broker
 * processes, a real etcd, kcat and kafkajs.
 *
 * Three brokers, one partition with replicas [L, F, P]: P is SIGSTOPped (its lease lives on,
 * so it stays in the ISR), L takes records with acks=1 that F copies but P cannot, so the HW
 * stays below them. F is SIGKILLed and restarted (from its checkpoint, its HW is still below
 * them), rejoins the ISR, and L leaves by SIGTERM so F leads. A consumer of F must not see
 * the records P lacks (without the checkpoint F restarted with its HW at its log end and
 * served them at once); after SIGCONT P copies them and they become readable.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Etcd3 } from 'etcd3';
import { readOffsetCheckpointFile } from '../../src/broker/offset-checkpoint-file.js';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { BrokerProcess } from '../helpers/cluster/broker-process.js';
import { diskRecords } from '../helpers/cluster/disk-log.js';
import { until, within } from '../helpers/cluster/wait.js';
import { KCAT_AVAILABLE, runKcat } from '../helpers/kcat.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('high watermark checkpoint across a SIGKILL (real etcd, broker processes, kcat)');
let etcd: EtcdServer;
let etcdClient: Etcd3;
let brokers: BrokerProcess[] = [];

const COMMON = ['--replica-lag-time-max-ms', '60000', '--min-insync-replicas', '1', '--replica-high-watermark-checkpoint-interval-ms', '200', '--log-level', 'warn'];
/** Broker 2 restarts quickly after a SIGKILL (its old lease is gone in 2 s); 1 and 3 keep theirs through a long SIGSTOP. */
const SESSION: Record<number, string> = { 1: '30000', 2: '2000', 3: '30000' };

interface StoredState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
}

async function stateOf(topic: string): Promise<StoredState> {
  return JSON.parse((await etcdClient.get(`/skein/partitions/${topic}/0`).string())!) as StoredState;
}

function broker(nodeId: number): BrokerProcess {
  return brokers.find((b) => b.nodeId === nodeId)!;
}

/** What a consumer of `via` reads from the beginning to the end it is served (the HW). */
async function consumed(via: BrokerProcess, topic: string): Promise<string[]> {
  const run = await runKcat(via.bootstrap, ['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\n']);
  assert.is(run.code, 0, run.stderr);
  return run.stdout.toString().split('\n').filter((l) => l.length > 0);
}

it.before(async () => {
  etcd = await startEtcd();
  etcdClient = new Etcd3({ hosts: etcd.url });
  const root = tempDir('skein-hwcp-');
  brokers = await Promise.all([1, 2, 3].map((nodeId) => BrokerProcess.start({ nodeId, dir: join(root, `b${nodeId}`), etcd: etcd.url, args: ['--session-timeout-ms', SESSION[nodeId]!, ...COMMON] })));
  await until(async () => (await etcdClient.getAll().prefix('/skein/brokers/').keys()).length === 3 && (await etcdClient.get('/skein/controller').exists()), 'three brokers and a controller', 30_000, 200);
});

it.after(async () => {
  for (const b of brokers) b.resume();
  await Promise.allSettled(brokers.map((b) => b.close()));
  etcdClient?.close();
  await stopAllEtcd();
  cleanupTempDirs();
});

it('a broker restarted after SIGKILL starts with its checkpointed HW: leading, it serves nothing beyond the cluster HW until its followers have it', async () => {
  const controller = Number(await etcdClient.get('/skein/controller').string());
  // P (paused) must not be the controller, whose decisions the test needs; F is broker 2.
  const F = 2;
  const P = controller === 1 ? 3 : 1;
  const L = [1, 3].find((id) => id !== P)!;
  const kafka = new Kafka({ clientId: 'hwcp', brokers: [broker(L).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await within(admin.connect(), 20_000, 'admin connect');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const topic = 'hwcp';
  const dirOf = (id: number) => join(broker(id).dir, `${topic}-0`);
  try {
    await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [L, F, P] }] }], waitForLeaders: true });
    await until(async () => (await stateOf(topic)).isr.length === 3, 'all three in the ISR', 30_000, 200);
    await producer.send({ topic, acks: -1, messages: [{ value: 'a' }] });
    await until(() => diskRecords(dirOf(P)).length === 1, `broker ${P} holds the acknowledged record`, 20_000, 100);

    broker(P).pause();
    await producer.send({ topic, acks: 1, messages: [{ value: 'b' }, { value: 'c' }] });
    await until(() => diskRecords(dirOf(F)).length === 3, `broker ${F} copied b and c`, 20_000, 100);
    const checkpoint = join(broker(F).dir, 'replication-offset-checkpoint');
    await until(() => {
      const read = readOffsetCheckpointFile(checkpoint);
      return read.state === 'ok' && read.entries.some((e) => e.topic === topic && e.partition === 0 && e.offset === 1);
    }, `broker ${F}'s checkpoint names ${topic} 0 at HW 1`, 20_000, 100);
    assert.ok((await stateOf(topic)).isr.includes(P), 'the paused broker is still in the ISR: b and c are not committed');

    await broker(F).kill();
    await broker(F).start();
    await until(async () => {
      const s = await stateOf(topic);
      return s.leader === L && s.isr.includes(F);
    }, `broker ${F} back in the ISR`, 30_000, 200);

    // L leaves cleanly: the controller moves leadership to the first live ISR member, F.
    await producer.disconnect();
    assert.is(await broker(L).terminate(), 0);
    const led = await until(async () => {
      const s = await stateOf(topic);
      return s.leader !== L && s.leader !== -1 ? s : undefined;
    }, 'a new leader', 30_000, 200);
    assert.is(led.leader, F);
    assert.ok(led.isr.includes(P), 'P is still in the ISR, so the HW waits for it');

    assert.equal(await consumed(broker(F), topic), ['a'], 'nothing beyond the cluster HW is served');
    const fAdmin = new Kafka({ clientId: 'hwcp-f', brokers: [broker(F).bootstrap], logLevel: logLevel.NOTHING }).admin();
    await fAdmin.connect();
    try {
      assert.is(Number((await fAdmin.fetchTopicOffsets(topic))[0]!.high), 1, 'ListOffsets latest is the checkpointed HW');
      broker(P).resume();
      await until(async () => Number((await fAdmin.fetchTopicOffsets(topic))[0]!.high) === 3, 'the HW passes b and c once P has them', 30_000, 200);
    } finally {
      await fAdmin.disconnect();
    }
    assert.equal(await consumed(broker(F), topic), ['a', 'b', 'c'], 'nothing lost: readable once on the ISR');
  } finally {
    broker(P).resume();
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
});

if (ETCD_BINARY && KCAT_AVAILABLE) it.run();
