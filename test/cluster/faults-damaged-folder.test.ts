/**
 * A broker restarted on a damaged folder (issue 12, "Faults and bad input"): three broker
 * processes, RF 3, min.insync.replicas 2, a real etcd, kafkajs acks=-1 load throughout.
 *
 * 1. The leader of a partition is SIGKILLed; while it is down its folder is damaged the way a
 *    crash or a bad disk leaves one (a flipped byte in the last batch of one partition, a
 *    segment cut inside its last batch in another, garbage after the last batch in the third;
 *    garbage offset and time indexes; an unreadable leader-epoch-checkpoint). It must start,
 *    keep what is intact, fetch the rest from the leaders, and rejoin every ISR; its log then
 *    equals each leader's record for record. Then the two other brokers are SIGKILLed, so it
 *    leads everything alone: the checker, reading from it only, finds every acknowledged record.
 * 2. meta.properties that names another node id (the folder of broker 2), another cluster, or
 *    cannot be read: the broker refuses to start with SKEIN_INCONSISTENT_NODE_ID /
 *    SKEIN_INCONSISTENT_CLUSTER_ID / SKEIN_CORRUPT_META_PROPERTIES, exits 1, leaves the folder
 *    as it was; with its own file back it starts and rejoins the ISR; writes go on meanwhile.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { ETCD_BINARY } from '../helpers/cluster/etcd.js';
import { FaultCluster, faultClusterHooks } from '../helpers/cluster/fault-cluster.js';
import { startExpectingRefusal } from '../helpers/cluster/broker-process.js';
import { check, describe, type History } from '../helpers/cluster/checker.js';
import { Load, readBack } from '../helpers/cluster/load.js';
import { diskRecords } from '../helpers/cluster/disk-log.js';
import { cutInsideLastBatch, flipByteInLastBatch, garbageAfterLastBatch, garbleEpochCheckpoint, garbleIndex } from '../helpers/cluster/damage.js';
import { until, within } from '../helpers/cluster/wait.js';
import { withTimeout } from '../helpers/timeout.js';

const it = suite('faults: a broker restarted on a damaged folder (RF 3, min ISR 2)');
const PARTITIONS = 3;
let cluster: FaultCluster;
let admin: Admin;

faultClusterHooks(it, (c, a) => {
  cluster = c;
  admin = a;
});

/** Starts any broker a failed earlier test left down, so each test begins with three. */
async function allRunning(): Promise<void> {
  for (const b of cluster.brokers) {
    if (b.running) continue;
    await cluster.waitUnregistered(b.nodeId);
    await b.start();
  }
  await cluster.waitForBrokers(cluster.brokers.length);
}

async function createTopic(topic: string, configs: Record<string, string> = {}): Promise<void> {
  const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3, configEntries }], waitForLeaders: true });
  await cluster.waitForIsr(topic, PARTITIONS, 3, 30_000);
}

function verify(history: History, back: Awaited<ReturnType<typeof readBack>>): void {
  const result = check(history, back);
  const failures = [...history.failures].map(([k, n]) => `${k} ${n}`).join(', ');
  assert.ok(result.ok, `${describe(result)}\nfailed sends: ${failures || 'none'}`);
  assert.ok(result.acknowledged >= 30, `enough acknowledged records to mean something (${result.acknowledged})`);
}

/** Every file of a folder (recursively) with its bytes' hash: to see a refused start touched nothing. */
function folderPrint(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(`${path} ${createHash('sha1').update(readFileSync(path)).digest('hex')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

it(
  'a leader SIGKILLed, its segments, indexes and epoch checkpoint damaged, restarted: it recovers, refetches, rejoins every ISR, and alone holds every acknowledged record',
  withTimeout(85_000, async () => {
    const topic = 'damaged';
    // Small segments with dense indexes: sealed segments have index files to damage (the
    // active segment's indexes live in memory until it rolls or the log closes).
    await createTopic(topic, { 'segment.bytes': '8192', 'index.interval.bytes': '256' });
    const load = new Load(() => cluster.kafka('damaged-writer'), { topic, partitions: PARTITIONS, batch: 5, pauseMs: 5 }).start();
    const { leader: victim } = await cluster.partition(topic, 0);
    const others = cluster.brokers.map((b) => b.nodeId).filter((id) => id !== victim);
    const segments = (p: number) => readdirSync(cluster.partitionDir(victim, topic, p)).filter((f) => f.endsWith('.index')).length;
    try {
      await load.progress(15, 30_000, 'writes before the crash');
      await until(() => [0, 1, 2].every((p) => segments(p) >= 2), `sealed segments with index files on broker ${victim}`, 40_000, 100);
      await cluster.broker(victim).kill();
      const done: string[] = [];
      const dirs = Array.from({ length: PARTITIONS }, (_, p) => cluster.partitionDir(victim, topic, p));
      done.push(flipByteInLastBatch(dirs[0]!), garbleIndex(dirs[0]!, '.index'));
      done.push(cutInsideLastBatch(dirs[1]!), garbleEpochCheckpoint(dirs[1]!));
      done.push(garbageAfterLastBatch(dirs[2]!), garbleIndex(dirs[2]!, '.timeindex'), garbleEpochCheckpoint(dirs[2]!));
      // Writes go on with the two others while the damaged broker is down.
      await load.progress(5, 30_000, `writes while broker ${victim} is down`);
      await cluster.waitUnregistered(victim);
      await cluster.broker(victim).start().catch((err: Error) => {
        throw new Error(`broker ${victim} did not start on its damaged folder (${done.join('; ')}): ${err.message}`);
      });
      await load.progress(5, 30_000, `writes after broker ${victim} restarted`);
      await cluster.waitForIsr(topic, PARTITIONS, 3, 40_000);
    } finally {
      await within(load.stop(), 60_000, 'writers to stop');
    }
    // Quiet now: each replica of the damaged broker equals its leader's, record for record.
    for (let p = 0; p < PARTITIONS; p++) {
      const { leader } = await cluster.partition(topic, p);
      await until(() => {
        const mine = diskRecords(cluster.partitionDir(victim, topic, p));
        const theirs = diskRecords(cluster.partitionDir(leader, topic, p));
        return mine.length === theirs.length && JSON.stringify(mine) === JSON.stringify(theirs);
      }, `broker ${victim}'s ${topic}/${p} to equal its leader ${leader}'s`, 20_000, 200);
    }
    // Now the damaged-and-recovered broker alone: the others SIGKILLed one after the other.
    for (const id of others) {
      await cluster.broker(id).kill();
      await until(async () => {
        const states = await cluster.partitions(topic, PARTITIONS);
        return states.every((s) => s.leader !== id && s.leader >= 0);
      }, `leadership off broker ${id}`, 30_000, 100).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await cluster.describeState(topic, PARTITIONS)}`);
      });
    }
    const states = await cluster.partitions(topic, PARTITIONS);
    assert.ok(states.every((s) => s.leader === victim), `broker ${victim} leads every partition: ${JSON.stringify(states)}`);
    const back = await readBack(cluster.kafka('damaged-reader'), cluster.bootstrap(), topic, PARTITIONS, load.history);
    verify(load.history, back);
    for (const id of others) {
      await cluster.waitUnregistered(id);
      await cluster.broker(id).start();
    }
    await cluster.waitForIsr(topic, PARTITIONS, 3, 40_000);
  }),
);

it(
  'meta.properties of another node, of another cluster, or unreadable: the broker refuses to start with a clear code, touches nothing; with its own file it rejoins; no acknowledged record lost',
  withTimeout(85_000, async () => {
    const topic = 'meta';
    await createTopic(topic);
    const victim = 3;
    const broker = cluster.broker(victim);
    const meta = join(broker.dir, 'meta.properties');
    const load = new Load(() => cluster.kafka('meta-writer'), { topic, partitions: PARTITIONS, batch: 5, pauseMs: 5 }).start();
    try {
      await load.progress(10, 30_000, 'writes before the restart');
      const own = readFileSync(meta, 'utf8');
      assert.match(own, /^node\.id=3$/m, 'the folder records its node id');
      const clusterId = /^cluster\.id=(\S+)$/m.exec(own)?.[1];
      assert.ok(clusterId, `the folder records its cluster id: ${own}`);
      assert.is(await cluster.client.get('/skein/cluster-id').string(), clusterId, 'the cluster id is the one in etcd');
      assert.is((await admin.describeCluster()).clusterId, clusterId, 'clients are told the same cluster id (Metadata)');
      await broker.kill();
      await cluster.waitUnregistered(victim);
      const cases: Array<{ what: string; write: () => void; code: string }> = [
        { what: "broker 2's meta.properties", write: () => copyFileSync(join(cluster.broker(2).dir, 'meta.properties'), meta), code: 'SKEIN_INCONSISTENT_NODE_ID' },
        { what: 'another cluster id', write: () => writeFileSync(meta, own.replace(/^cluster\.id=.*$/m, 'cluster.id=AnotherClusterXXXXXXXXX')), code: 'SKEIN_INCONSISTENT_CLUSTER_ID' },
        { what: 'an unreadable file', write: () => writeFileSync(meta, own.slice(0, 40) + '\u0000\u0000garbage without an equals sign\n'), code: 'SKEIN_CORRUPT_META_PROPERTIES' },
      ];
      for (const c of cases) {
        c.write();
        const before = folderPrint(broker.dir);
        const refused = await startExpectingRefusal(broker.startOptions, 30_000);
        assert.not.ok(refused.listened, `broker ${victim} with ${c.what} must not start: ${refused.output.slice(-800)}`);
        assert.is(refused.code, 1, `exit code 1 with ${c.what}: ${refused.output.slice(-800)}`);
        assert.ok(refused.output.includes(c.code), `the output names ${c.code} for ${c.what}: ${refused.output.slice(-800)}`);
        assert.is(folderPrint(broker.dir), before, `the folder is untouched after the refusal (${c.what})`);
        assert.not.ok((await cluster.registered()).includes(victim), `broker ${victim} with ${c.what} never registered`);
      }
      await load.progress(5, 30_000, 'writes while broker 3 is refused');
      writeFileSync(meta, own);
      await broker.start();
      await cluster.waitForIsr(topic, PARTITIONS, 3, 40_000);
      await load.progress(5, 30_000, 'writes after broker 3 rejoined');
    } finally {
      await within(load.stop(), 60_000, 'writers to stop');
    }
    const back = await readBack(cluster.kafka('meta-reader'), cluster.bootstrap(), topic, PARTITIONS, load.history);
    verify(load.history, back);
  }),
);

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
