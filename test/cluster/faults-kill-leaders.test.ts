/**
 * Failover without losing an acknowledged record (issue 12, "What the tests must show"): three
 * broker processes, replication factor 3, min.insync.replicas 2, a real etcd; an idempotent
 * producer with acks=all writes to every partition while the test SIGKILLs the leader of each
 * partition in turn and restarts it (waiting for the ISR to be whole again before the next
 * kill). Afterwards every partition is read back (kcat) and the checker must find every
 * acknowledged record, once, at its acknowledged offset, in send order. Once with kafkajs as the
 * producer, once with librdkafka (python3-confluent-kafka); then once more with kafkajs, each
 * leader stopped with SIGTERM (a controlled shutdown: leadership moves before the exit).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Admin } from 'kafkajs';
import { ETCD_BINARY } from '../helpers/cluster/etcd.js';
import { FaultCluster, faultClusterHooks } from '../helpers/cluster/fault-cluster.js';
import { check, describe, type History } from '../helpers/cluster/checker.js';
import { Load, readBack } from '../helpers/cluster/load.js';
import { RDKAFKA_AVAILABLE, RdkafkaProducer } from '../helpers/cluster/rdkafka-producer.js';
import { until, within } from '../helpers/cluster/wait.js';

const it = suite('faults: SIGKILL each partition leader in turn under acks=all load (RF 3, min ISR 2)');
const PARTITIONS = 3;
let cluster: FaultCluster;
let admin: Admin;

faultClusterHooks(it, (c, a) => {
  cluster = c;
  admin = a;
});

/**
 * For each partition: kill its leader, wait for etcd to name another leader (epoch + 1), restart
 * the old one, see `progress()` acknowledged writes after the failover, and wait for the ISR to
 * be all three again.
 */
async function killEachLeader(topic: string, progress: (what: string) => Promise<void>, how: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
  for (let p = 0; p < PARTITIONS; p++) {
    const before = await cluster.partition(topic, p);
    const victim = before.leader;
    const stop = how === 'SIGKILL' ? cluster.killAndRestart.bind(cluster) : cluster.terminateAndRestart.bind(cluster);
    await stop(victim, async () => {
      await until(async () => {
        const now = await cluster.partition(topic, p);
        return now.leader >= 0 && now.leader !== victim ? now : undefined;
      }, `a new leader for ${topic}/${p} after broker ${victim} was killed`, 30_000, 100).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await cluster.describeState(topic, PARTITIONS)}`);
      });
    });
    const after = await cluster.partition(topic, p);
    assert.ok(after.leaderEpoch > before.leaderEpoch, `leader epoch of ${topic}/${p} grew (${before.leaderEpoch} -> ${after.leaderEpoch})`);
    assert.not.equal(after.leader, victim);
    await progress(`after killing broker ${victim} (leader of ${topic}/${p})`);
    await cluster.waitForIsr(topic, PARTITIONS, 3, 60_000);
  }
}

async function verify(topic: string, history: History, partitions = PARTITIONS): Promise<void> {
  const back = await readBack(cluster.kafka('reader'), cluster.bootstrap(), topic, partitions, history);
  const result = check(history, back);
  const failures = [...history.failures].map(([k, n]) => `${k} ${n}`).join(', ');
  assert.ok(result.ok, `${describe(result)}\nfailed sends: ${failures || 'none'}`);
  assert.ok(result.acknowledged >= 30, `enough acknowledged records to mean something (${result.acknowledged})`);
}

it('kafkajs, idempotent, acks=-1: every acknowledged record is read back once, in order, at its offset', async () => {
  const topic = 'kills-kafkajs';
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
  await cluster.waitForIsr(topic, PARTITIONS, 3, 30_000);
  const load = new Load(() => cluster.kafka('kills-writer'), { topic, partitions: PARTITIONS, batch: 5, pauseMs: 5 }).start();
  try {
    await load.progress(5, 30_000, 'writes before any fault');
    await killEachLeader(topic, (what) => load.progress(3, 60_000, `writes acknowledged ${what}`));
  } finally {
    await within(load.stop(), 90_000, 'writers to stop');
  }
  await verify(topic, load.history);
});

it('librdkafka (confluent_kafka), enable.idempotence, acks=all: every delivery report is read back once, in order, at its offset', async () => {
  if (!RDKAFKA_AVAILABLE) throw new Error('python3-confluent-kafka is not installed for /usr/bin/python3 (apt-get install python3-confluent-kafka)');
  const topic = 'kills-rdkafka';
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
  await cluster.waitForIsr(topic, PARTITIONS, 3, 30_000);
  const producer = new RdkafkaProducer(cluster.bootstrap(), topic, PARTITIONS);
  const progress = async (more: number, what: string) => {
    const target = producer.acked.map((n) => n + more);
    await until(() => producer.acked.every((n, p) => n >= target[p]!), `${more} more delivery reports ${what} (so far ${producer.acked}; ${producer.errors.slice(-3).join('; ')})`, 60_000, 50);
  };
  let exitCode: number | null = null;
  try {
    await progress(20, 'before any fault');
    await killEachLeader(topic, (what) => progress(10, what));
  } finally {
    exitCode = await producer.stop();
  }
  assert.is(exitCode, 0, `the producer flushed and exited: ${producer.output}`);
  assert.not.ok(producer.errors.some((e) => e.startsWith('FATAL')), `no fatal idempotence error: ${producer.errors.join('; ')}`);
  await verify(topic, producer.history);
});

it('kafkajs, idempotent, acks=-1, each leader stopped with SIGTERM (controlled shutdown) in turn: writes go on, every acknowledged record read back once, in order', async () => {
  const topic = 'terms-kafkajs';
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
  await cluster.waitForIsr(topic, PARTITIONS, 3, 30_000);
  const load = new Load(() => cluster.kafka('terms-writer'), { topic, partitions: PARTITIONS, batch: 5, pauseMs: 5 }).start();
  try {
    await load.progress(5, 30_000, 'writes before any shutdown');
    await killEachLeader(topic, (what) => load.progress(3, 60_000, `writes acknowledged ${what.replace('killing', 'stopping (SIGTERM)')}`), 'SIGTERM');
  } finally {
    await within(load.stop(), 90_000, 'writers to stop');
  }
  await verify(topic, load.history);
});

it('one kafkajs idempotent producer (never replaced, one record per send) carries on across a SIGKILL and a SIGTERM of its partition\'s leader', async () => {
  const topic = 'one-producer';
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });
  await cluster.waitForIsr(topic, 1, 3, 30_000);
  const load = new Load(() => cluster.kafka('one-producer'), { topic, partitions: 1, batch: 1, pauseMs: 5, keepProducer: true, sendTimeoutMs: 60_000 }).start();
  try {
    await load.progress(20, 30_000, 'writes before any fault');
    for (const how of ['SIGKILL', 'SIGTERM'] as const) {
      const { leader } = await cluster.partition(topic, 0);
      const victim = cluster.broker(leader);
      if (how === 'SIGKILL') await victim.kill();
      else assert.is(await victim.terminate(), 0, `broker ${leader} exits 0 after SIGTERM`);
      await until(async () => {
        const now = await cluster.partition(topic, 0);
        return now.leader >= 0 && now.leader !== leader;
      }, `a new leader after ${how} of broker ${leader}`, 30_000, 100);
      // While the stopped broker is still down: the same producer id goes on with the new leader.
      await load.progress(10, 30_000, `writes by the same producer after ${how} of broker ${leader}, while it is down`).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await cluster.describeState(topic, 1)}`);
      });
      await cluster.waitUnregistered(leader);
      await victim.start();
      await cluster.waitForIsr(topic, 1, 3, 60_000);
    }
  } finally {
    await within(load.stop(), 90_000, 'writer to stop');
  }
  await verify(topic, load.history, 1);
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
