/**
 * A leader cut off from the cluster while a client still reaches it (issue 12): three broker
 * processes, RF 3, min.insync.replicas 2, each broker's etcd link and its peers' link through
 * proxies. The test cuts the leader's proxies (its followers cannot fetch from it, it cannot
 * renew its lease or change the ISR) while a client on the leader's side of the cut (its
 * sockets go straight to the leader's own port) writes to it with acks=1 and acks=-1. Meanwhile
 * the cluster elects another leader and ordinary clients keep writing with acks=-1.
 *
 * Must hold: nothing the isolated leader took with acks=-1 was acknowledged; the cluster's
 * checker history (every acks=-1 acknowledgement) is whole after the heal; the tail the
 * isolated leader took with acks=1 is truncated when it rejoins (never read back, not on its
 * disk), and its log equals the new leader's, record for record.
 *
 * Also here (same cluster): a follower paused (SIGSTOP) past replica.lag.time.max.ms but within
 * its session leaves the ISR while writes go on, and rejoins it after SIGCONT once caught up.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ETCD_BINARY } from '../helpers/cluster/etcd.js';
import { FaultCluster } from '../helpers/cluster/fault-cluster.js';
import { check, describe, valueOf } from '../helpers/cluster/checker.js';
import { Load, readBack } from '../helpers/cluster/load.js';
import { diskRecords } from '../helpers/cluster/disk-log.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs } from '../helpers/temp-dir.js';

const it = suite('faults: an isolated leader, a paused follower (RF 3, min ISR 2)');
const SESSION_MS = 6000;
const LAG_MS = 1500;
let cluster: FaultCluster;
let admin: Admin;

it.before(async () => {
  cluster = await FaultCluster.start({ sessionTimeoutMs: SESSION_MS, replicaLagTimeMaxMs: LAG_MS, minInsyncReplicas: 2, etcdProxies: true });
  admin = await cluster.admin();
});

it.after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await cluster?.close();
  cleanupTempDirs();
});

/** A kafkajs client whose every connection goes to `port` (the broker itself, past its proxy). */
function pinnedClient(port: number): Kafka {
  return new Kafka({
    clientId: 'isolated-side',
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
    requestTimeout: 6000,
    socketFactory: ({ onConnect }) => {
      const socket = connect({ host: '127.0.0.1', port }, onConnect);
      socket.setKeepAlive(true, 60_000);
      return socket;
    },
  });
}

it('a leader cut off from its followers and etcd: acks=-1 is never acknowledged there, its acks=1 tail is truncated on rejoin, its log equals the new leader\'s', async () => {
  const topic = 'isolated';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
  const [before] = await cluster.waitForIsr(topic, 1, 3, 30_000);
  const old = before!.leader;
  const load = new Load(() => cluster.kafka('cluster-side'), { topic, partitions: 1, batch: 5, pauseMs: 10 }).start();
  const history = load.history;
  const divergent: { value: string; offset: number }[] = [];
  let isolatedAcksAll = 0;
  const isolatedErrors: string[] = [];
  try {
    await load.progress(5, 30_000, 'writes before the cut');
    const isolated = pinnedClient(cluster.broker(old).port).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await within(isolated.connect(), 10_000, 'isolated client connect');
    try {
      // The cut: nobody reaches the leader through its advertised address, and it reaches no etcd.
      cluster.isolate(old);
      const sends: Promise<void>[] = [];
      for (let i = 0; i < 6; i++) {
        const v1 = valueOf('iso-acks1', i);
        history.attempt(v1);
        try {
          const [m] = await isolated.send({ topic, acks: 1, messages: [{ partition: 0, value: v1 }] });
          divergent.push({ value: v1, offset: Number(m!.baseOffset) });
        } catch (err) {
          isolatedErrors.push(`acks=1: ${(err as Error).message}`);
        }
        const vAll = valueOf('iso-acksall', i);
        history.attempt(vAll);
        sends.push(
          isolated.send({ topic, acks: -1, timeout: 3000, messages: [{ partition: 0, value: vAll }] }).then(
            ([m]) => {
              isolatedAcksAll += 1;
              history.ack({ topic, partition: 0, offset: Number(m!.baseOffset), value: vAll });
            },
            (err: Error) => void isolatedErrors.push(`acks=-1: ${err.message}`),
          ),
        );
      }
      await within(Promise.all(sends), 30_000, 'the isolated acks=-1 sends to end');
    } finally {
      await isolated.disconnect().catch(() => undefined);
    }
    assert.is(isolatedAcksAll, 0, `the isolated leader acknowledged ${isolatedAcksAll} acks=-1 writes without its ISR`);
    assert.ok(divergent.length > 0, `the isolated leader took acks=1 writes during the cut, so there is a tail to truncate (errors: ${isolatedErrors.join('; ')})`);
    const elected = await until(async () => {
      const s = await cluster.partition(topic, 0);
      return s.leader >= 0 && s.leader !== old ? s : undefined;
    }, 'another leader elected while the old one is cut off', 30_000, 100);
    assert.ok(elected.leaderEpoch > before!.leaderEpoch);
    assert.not.ok(elected.isr.includes(old), 'the isolated leader left the ISR');
    await load.progress(3, 60_000, 'acks=-1 writes acknowledged by the new leader').catch(async (err: Error) => {
      throw new Error(`${err.message}\n${await cluster.describeState(topic, 1)}`);
    });
    cluster.heal(old);
    await cluster.waitForIsr(topic, 1, 3, 60_000);
    await load.progress(3, 30_000, 'writes after the heal');
  } finally {
    cluster.heal(old);
    await within(load.stop(), 60_000, 'writers to stop');
  }
  const back = await readBack(cluster.kafka('reader'), cluster.bootstrap(), topic, 1, history);
  const result = check(history, back);
  assert.ok(result.ok, describe(result));
  const readValues = new Set(back.get(`${topic}/0`)!.map((r) => r.value));
  const served = divergent.filter((d) => readValues.has(d.value));
  assert.equal(served, [], 'the acks=1 tail written to the isolated leader is never read back');
  // Every replica ends with the same log: the old leader truncated its tail and copied the new one's.
  const leader = (await cluster.partition(topic, 0)).leader;
  const expected = () => diskRecords(cluster.partitionDir(leader, topic, 0));
  const oldLog = await until(() => {
    const mine = diskRecords(cluster.partitionDir(old, topic, 0));
    const theirs = expected();
    return mine.length === theirs.length && mine.length > 0 ? mine : undefined;
  }, `broker ${old}'s log to reach broker ${leader}'s length`, 30_000, 200).catch(() => diskRecords(cluster.partitionDir(old, topic, 0)));
  assert.equal(oldLog, expected(), `broker ${old}'s log equals the new leader ${leader}'s`);
  const onDisk = new Set(oldLog.map((r) => r.value));
  assert.equal(divergent.filter((d) => onDisk.has(d.value)), [], 'the divergent tail is gone from the old leader\'s disk');
});

it('a follower paused past replica.lag.time.max.ms (within its session) leaves the ISR, writes go on, and it rejoins after catching up', async () => {
  const topic = 'lagging';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
  const [state] = await cluster.waitForIsr(topic, 1, 3, 30_000);
  const follower = state!.replicas.find((r) => r !== state!.leader)!;
  const load = new Load(() => cluster.kafka('lag-writer'), { topic, partitions: 1, batch: 5, pauseMs: 10 }).start();
  try {
    await load.progress(5, 30_000, 'writes before the pause');
    cluster.broker(follower).pause();
    try {
      const shrunk = await until(async () => {
        const s = await cluster.partition(topic, 0);
        return !s.isr.includes(follower) ? s : undefined;
      }, `broker ${follower} dropped from the ISR after ${LAG_MS} ms behind`, SESSION_MS - 500, 50);
      assert.is(shrunk.leader, state!.leader, 'the leader did not change');
      assert.ok((await cluster.registered()).includes(follower), 'the paused follower still holds its lease: the ISR shrank for lag, not for a lost session');
      await load.progress(3, 30_000, 'acks=-1 writes with the follower out of the ISR');
    } finally {
      cluster.broker(follower).resume();
    }
    await until(async () => (await cluster.partition(topic, 0)).isr.includes(follower), `broker ${follower} back in the ISR`, 30_000, 100);
  } finally {
    await within(load.stop(), 60_000, 'writers to stop');
  }
  const back = await readBack(cluster.kafka('reader'), cluster.bootstrap(), topic, 1, load.history);
  const result = check(load.history, back);
  assert.ok(result.ok, describe(result));
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
