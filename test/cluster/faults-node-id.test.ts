/**
 * Two broker processes with the same node id (issue 12, "Faults and bad input"): three broker
 * processes, RF 3, min.insync.replicas 2, a real etcd, kafkajs acks=-1 load throughout.
 *
 * 1. A second process started with a live broker's node id (on a fresh folder, and on the live
 *    broker's own folder) is refused: it exits 1 saying SKEIN_NODE_ID_IN_USE (SKEIN_LOG_LOCKED
 *    for the folder in use), while the first keeps its registration and serves on; the checker
 *    finds every acknowledged record.
 * 2. The first one's lease is lost (SIGSTOP past the session) and a second process with its
 *    node id starts meanwhile (fresh folder): the second registers and joins as a broker whose
 *    folder is new (out of every ISR until it has caught up). When the paused one resumes
 *    (SIGCONT) it is a zombie: it cannot re-register while the second lives (it says so),
 *    acknowledges nothing (acks=-1 and acks=1 sent straight to its port fail), and sends no
 *    follower fetch (its log stops growing): leaders count every fetch with a replica id as that
 *    replica's log end, so a zombie fetching as node N would make the new N look caught up.
 *    Once the second stops, the old one registers again and rejoins the ISR as a restarted broker.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ETCD_BINARY } from '../helpers/cluster/etcd.js';
import { FaultCluster, PREFIX } from '../helpers/cluster/fault-cluster.js';
import { BrokerProcess, startExpectingRefusal } from '../helpers/cluster/broker-process.js';
import { check, describe, valueOf, type History } from '../helpers/cluster/checker.js';
import { Load, readBack } from '../helpers/cluster/load.js';
import { diskRecords } from '../helpers/cluster/disk-log.js';
import { until, within } from '../helpers/cluster/wait.js';
import { withTimeout } from '../helpers/timeout.js';
import { cleanupTempDirs } from '../helpers/temp-dir.js';

const it = suite('faults: two broker processes with one node id (RF 3, min ISR 2)');
const PARTITIONS = 3;
const SESSION_MS = 2000;
let cluster: FaultCluster;
let admin: Admin;

it.before(async () => {
  cluster = await FaultCluster.start({ sessionTimeoutMs: SESSION_MS, replicaLagTimeMaxMs: 3000, minInsyncReplicas: 2 });
  admin = await cluster.admin();
});

it.after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await cluster?.close();
  cleanupTempDirs();
});

async function createTopic(topic: string): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
  await cluster.waitForIsr(topic, PARTITIONS, 3, 30_000);
}

async function verify(topic: string, history: History): Promise<void> {
  const back = await readBack(cluster.kafka('reader'), cluster.bootstrap(), topic, PARTITIONS, history);
  const result = check(history, back);
  const failures = [...history.failures].map(([k, n]) => `${k} ${n}`).join(', ');
  assert.ok(result.ok, `${describe(result)}\nfailed sends: ${failures || 'none'}`);
  assert.ok(result.acknowledged >= 30, `enough acknowledged records to mean something (${result.acknowledged})`);
}

/** The create revision of a broker's registration (its broker epoch), or undefined. */
async function registration(nodeId: number): Promise<number | undefined> {
  const res = await cluster.client.get(`${PREFIX}brokers/${nodeId}`).exec();
  const kv = res.kvs[0];
  return kv ? Number(kv.create_revision) : undefined;
}

/** A kafkajs client whose every connection goes to `port` (a broker itself, past its proxy). */
function pinnedClient(port: number): Kafka {
  return new Kafka({
    clientId: 'pinned',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
    requestTimeout: 6000,
    socketFactory: ({ onConnect }) => connect({ host: '127.0.0.1', port }, onConnect),
  });
}

it(
  'a second process with a live broker\'s node id is refused (SKEIN_NODE_ID_IN_USE, exit 1); the first keeps its registration and serves on',
  withTimeout(80_000, async () => {
    const topic = 'dup-live';
    await createTopic(topic);
    const load = new Load(() => cluster.kafka('dup-writer'), { topic, partitions: PARTITIONS, batch: 5, pauseMs: 5 }).start();
    const { leader } = await cluster.partition(topic, 0);
    const first = cluster.broker(leader);
    try {
      await load.progress(10, 30_000, 'writes before the second process');
      const epoch = await registration(leader);
      assert.ok(epoch, `broker ${leader} is registered`);
      const fresh = await startExpectingRefusal({ ...first.startOptions, dir: join(cluster.root, `second-${leader}`) }, 30_000);
      assert.not.ok(fresh.listened, `the second process must not serve: ${fresh.output.slice(-800)}`);
      assert.is(fresh.code, 1, `the second process exits 1: ${fresh.output.slice(-800)}`);
      assert.match(fresh.output, /SKEIN_NODE_ID_IN_USE/, 'it says why');
      assert.match(fresh.output, new RegExp(`node id ${leader}\\b`), 'and which node id');
      const same = await startExpectingRefusal(first.startOptions, 30_000);
      assert.is(same.code, 1, `a second process on the first's own folder exits 1: ${same.output.slice(-800)}`);
      assert.match(same.output, /SKEIN_LOG_LOCKED|SKEIN_NODE_ID_IN_USE/, `it says why: ${same.output.slice(-800)}`);
      assert.ok(first.running, 'the first process still runs');
      assert.is(await registration(leader), epoch, `broker ${leader}'s registration is the first one's, unchanged`);
      await load.progress(10, 30_000, 'writes after the refusals');
      const states = await cluster.waitForIsr(topic, PARTITIONS, 3, 20_000);
      assert.is(states[0]!.leader, leader, `broker ${leader} still leads ${topic}/0`);
    } finally {
      await within(load.stop(), 60_000, 'writers to stop');
    }
    await verify(topic, load.history);
  }),
);

it(
  'the first paused past its session while a second with its node id starts: the second takes the id; the resumed first neither acknowledges nor fetches, and takes the id back once the second stops',
  withTimeout(88_000, async () => {
    const topic = 'dup-zombie';
    await createTopic(topic);
    const load = new Load(() => cluster.kafka('zombie-writer'), { topic, partitions: PARTITIONS, batch: 5, pauseMs: 5 }).start();
    const { leader: id } = await cluster.partition(topic, 0);
    const zombie = cluster.broker(id);
    let second: BrokerProcess | undefined;
    try {
      await load.progress(10, 30_000, 'writes before the pause');
      const firstEpoch = await registration(id);
      zombie.pause();
      await cluster.waitUnregistered(id, 20_000);
      await until(async () => (await cluster.partitions(topic, PARTITIONS)).every((s) => s.leader >= 0 && s.leader !== id && !s.isr.includes(id)), `leadership and ISR off paused broker ${id}`, 20_000, 100);
      second = await BrokerProcess.start({ ...zombie.startOptions, dir: join(cluster.root, `second-${id}`) });
      const secondEpoch = await until(async () => {
        const e = await registration(id);
        return e !== undefined && e !== firstEpoch ? e : undefined;
      }, `the second process to register as broker ${id}`, 20_000, 100);
      await load.progress(5, 30_000, `writes with the second broker ${id}`);

      zombie.resume();
      // The resumed one finds its session gone and cannot register again while the second lives.
      await until(() => /cannot re-join[^\n]*another live broker is registered with node id/.test(zombie.output()), `the resumed broker ${id} to say it cannot re-join`, 30_000, 100).catch((err: Error) => {
        throw new Error(`${err.message}\n${zombie.output().slice(-1500)}`);
      });
      // It acknowledges nothing: writes sent straight to its own port fail, whatever the acks.
      const pinned = pinnedClient(zombie.port).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
      await within(pinned.connect(), 10_000, 'pinned client connect');
      const acked: string[] = [];
      try {
        for (const acks of [-1, 1] as const) {
          for (let p = 0; p < PARTITIONS; p++) {
            const value = valueOf(`zombie-acks${acks}`, p);
            load.history.attempt(value);
            await pinned.send({ topic, acks, timeout: 3000, messages: [{ partition: p, value }] }).then(
              () => void acked.push(`${value} (acks=${acks}, partition ${p})`),
              () => undefined,
            );
          }
        }
      } finally {
        await pinned.disconnect().catch(() => undefined);
      }
      assert.equal(acked, [], 'the resumed broker acknowledged nothing');
      // It sends no follower fetch: its replicas stop growing while the writes go on.
      const counts = () => Array.from({ length: PARTITIONS }, (_, p) => diskRecords(cluster.partitionDir(id, topic, p)).length);
      await new Promise((r) => setTimeout(r, 1000));
      const before = counts();
      await load.progress(15, 30_000, 'writes while the zombie is up');
      assert.equal(counts(), before, `the resumed broker's replicas did not grow (it fetched nothing): ${before} -> ${counts()}`);
      assert.is(await registration(id), secondEpoch, `broker ${id}'s registration is still the second process's`);
      // The second, a new folder, catches up and joins every ISR.
      await cluster.waitForIsr(topic, PARTITIONS, 3, 40_000);

      // The second stops (controlled shutdown); the first registers again and rejoins.
      assert.is(await second.terminate(), 0, `the second broker ${id} exits 0 on SIGTERM`);
      await until(async () => {
        const e = await registration(id);
        return e !== undefined && e !== secondEpoch ? e : undefined;
      }, `the resumed broker ${id} to register again`, 30_000, 100);
      await cluster.waitForIsr(topic, PARTITIONS, 3, 40_000);
      await load.progress(5, 30_000, `writes after broker ${id} came back`);
    } finally {
      zombie.resume();
      await second?.close();
      await within(load.stop(), 60_000, 'writers to stop');
    }
    await verify(topic, load.history);
  }),
);

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
