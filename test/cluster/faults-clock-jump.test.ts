/**
 * A broker whose wall clock jumps (issue 12, "Faults and bad input"): three broker processes,
 * RF 3, min.insync.replicas 2, a real etcd; broker 1 runs under libfaketime
 * (LD_PRELOAD, FAKETIME_TIMESTAMP_FILE re-read at every call with FAKETIME_NO_CACHE), so the
 * test steps its wall clock two hours back, then four forward, then home, while kafkajs writes
 * with acks=-1. DONT_FAKE_MONOTONIC=1: only the wall clock steps, as NTP or an operator steps
 * it; CLOCK_MONOTONIC never steps on Linux (docs/cluster.md, Clock jumps).
 *
 * Must hold: broker 1 keeps its registration (no session lost: the session is timed on the
 * monotonic clock), no ISR ever shrinks (the lag timer and the followers' backoffs are
 * monotonic too), writes go on, the records keep their CreateTime (the producer's clock),
 * time-based retention deletes nothing on broker 1 while its clock is behind (a segment
 * expires when now - its newest timestamp > retention.ms, as in Kafka), and the checker finds
 * every acknowledged record. The clock does jump: broker 1's retention (retention.ms 1 h)
 * deletes its sealed segments of that topic when its clock is two hours ahead, as Kafka's would.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { ETCD_BINARY } from '../helpers/cluster/etcd.js';
import { FaultCluster, PREFIX, type EtcdPartition } from '../helpers/cluster/fault-cluster.js';
import { check, describe } from '../helpers/cluster/checker.js';
import { Load, readBack } from '../helpers/cluster/load.js';
import { until, within } from '../helpers/cluster/wait.js';
import { withTimeout } from '../helpers/timeout.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const FAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const it = suite('faults: a broker whose wall clock jumps hours forward and back (RF 3, min ISR 2)');
const PARTITIONS = 3;
const HOUR = 3_600_000;
const JUMPED = 1;
let cluster: FaultCluster;
let admin: Admin;
let clockFile: string;

it.before(async () => {
  clockFile = join(tempDir('skein-clock-'), 'offset');
  writeFileSync(clockFile, '+0\n');
  cluster = await FaultCluster.start({
    sessionTimeoutMs: 2000,
    replicaLagTimeMaxMs: 3000,
    minInsyncReplicas: 2,
    args: ['--log-retention-check-interval-ms', '300'],
    env: (nodeId) =>
      nodeId === JUMPED ? { LD_PRELOAD: FAKETIME, FAKETIME_TIMESTAMP_FILE: clockFile, FAKETIME_NO_CACHE: '1', DONT_FAKE_MONOTONIC: '1' } : undefined,
  });
  admin = await cluster.admin();
});

it.after(async () => {
  await admin?.disconnect().catch(() => undefined);
  await cluster?.close();
  cleanupTempDirs();
});

/** Every record's offset and timestamp (ms) of one partition, read with kcat from the beginning. */
function kcatTimestamps(topic: string, partition: number): Promise<Array<{ offset: number; timestamp: number }>> {
  return new Promise((resolve, reject) => {
    const args = ['-b', cluster.bootstrap().join(','), '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o %T\n'];
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`kcat ${topic}/${partition} exited ${code}: ${err.slice(-300)}`));
      resolve(out.split('\n').filter(Boolean).map((line) => {
        const [offset, timestamp] = line.split(' ');
        return { offset: Number(offset), timestamp: Number(timestamp) };
      }));
    });
  });
}

it(
  'wall clock -2 h, then +2 h, then back, under acks=-1 load: no session lost, no ISR shrink, CreateTime kept, no acknowledged record lost; retention follows the jumped clock as Kafka\'s',
  withTimeout(88_000, async () => {
    const topic = 'clock';
    const retained = 'clock-retention';
    await admin.createTopics({
      topics: [
        { topic, numPartitions: PARTITIONS, replicationFactor: 3 },
        // Led by the jumping broker, one hour of retention, small segments (several sealed ones).
        { topic: retained, replicaAssignment: [{ partition: 0, replicas: [JUMPED, 2, 3] }], configEntries: [{ name: 'retention.ms', value: String(HOUR) }, { name: 'segment.bytes', value: '4096' }] },
      ],
      waitForLeaders: true,
    });
    await cluster.waitForIsr(topic, PARTITIONS, 3, 30_000);
    await cluster.waitForIsr(retained, 1, 3, 30_000);
    const states = await cluster.partitions(topic, PARTITIONS);
    assert.ok(states.some((s) => s.leader === JUMPED), `broker ${JUMPED} leads a partition of ${topic}: ${JSON.stringify(states)}`);
    const registeredAt = async () => Number((await cluster.client.get(`${PREFIX}brokers/${JUMPED}`).exec()).kvs[0]?.create_revision ?? -1);
    const epoch = await registeredAt();

    const started = Date.now();
    const load = new Load(() => cluster.kafka('clock-writer'), { topic, partitions: PARTITIONS, batch: 5, pauseMs: 5 }).start();
    const retainedLoad = new Load(() => cluster.kafka('retained-writer'), { topic: retained, partitions: 1, batch: 20, pauseMs: 5, writerPrefix: 'r' }).start();
    // Every ISR seen while the clock jumps (etcd is the agreed truth), polled.
    const shrunk: string[] = [];
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const now = await Promise.all([cluster.partitions(topic, PARTITIONS), cluster.partitions(retained, 1)]).catch(() => undefined);
        if (now) {
          const all: Array<[string, EtcdPartition]> = [...now[0].map((s, p) => [`${topic}/${p}`, s] as [string, EtcdPartition]), [`${retained}/0`, now[1][0]!]];
          for (const [name, s] of all) if (s.isr.length < 3 || s.leader < 0) shrunk.push(`${name} ${JSON.stringify(s)} at +${Date.now() - started} ms`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const segmentsOf = () => {
      const dir = cluster.partitionDir(JUMPED, retained, 0);
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.log')).sort() : [];
    };
    const lowOffset = async () => Number((await admin.fetchTopicOffsets(retained))[0]!.low);
    const unshaken = async (when: string) => {
      assert.equal(shrunk, [], `no partition lost a leader or an ISR member ${when}`);
      assert.is(await registeredAt(), epoch, `broker ${JUMPED} kept its registration (no session lost) ${when}`);
    };
    try {
      await load.progress(10, 30_000, 'writes before the jumps');
      await until(() => segmentsOf().length >= 3, `sealed segments of ${retained} on broker ${JUMPED}`, 30_000, 100);

      // Two hours behind: nothing expires.
      writeFileSync(clockFile, '-2h\n');
      const segmentsBehind = segmentsOf();
      await load.progress(10, 30_000, 'writes with the clock two hours behind');
      await new Promise((r) => setTimeout(r, 3500)); // > replica.lag.time.max.ms and > the session: anything timed on the wall clock would show
      await unshaken('with the clock two hours behind');
      assert.is(await lowOffset(), 0, `no segment of ${retained} deleted while broker ${JUMPED}'s clock is behind`);
      assert.equal(segmentsOf().slice(0, segmentsBehind.length), segmentsBehind, `broker ${JUMPED} kept its segments of ${retained}`);

      // Two hours ahead: writes and the ISR go on; broker 1's retention now finds its sealed
      // segments of `retained` (newest timestamps ~now, by the producer's clock) past one hour.
      writeFileSync(clockFile, '+2h\n');
      await load.progress(10, 30_000, 'writes with the clock two hours ahead');
      await new Promise((r) => setTimeout(r, 3500));
      await unshaken('after the clock stepped four hours forward');
      const low = await until(async () => {
        const l = await lowOffset();
        return l > 0 ? l : undefined;
      }, `broker ${JUMPED}'s retention to delete its expired segments of ${retained} with its clock two hours ahead (the jump took effect)`, 15_000, 200);
      assert.ok(low > 0);

      writeFileSync(clockFile, '+0\n');
      await load.progress(10, 30_000, 'writes with the clock back home');
    } finally {
      writeFileSync(clockFile, '+0\n');
      watching = false;
      await watch;
      await within(Promise.all([load.stop(), retainedLoad.stop()]), 60_000, 'writers to stop');
    }
    assert.equal(shrunk, [], 'no partition lost a leader or an ISR member while the clock jumped');
    assert.is(await registeredAt(), epoch, `broker ${JUMPED} kept its registration (no session lost)`);

    const back = await readBack(cluster.kafka('clock-reader'), cluster.bootstrap(), topic, PARTITIONS, load.history);
    const result = check(load.history, back);
    assert.ok(result.ok, describe(result));
    assert.ok(result.acknowledged >= 100, `enough acknowledged records (${result.acknowledged})`);
    // CreateTime is the producer's: every record of the partitions broker 1 led is stamped
    // with the test's clock, never with the broker's jumped one.
    const finished = Date.now();
    for (let p = 0; p < PARTITIONS; p++) {
      const stamps = await kcatTimestamps(topic, p);
      assert.ok(stamps.length > 0);
      const off = stamps.filter((s) => s.timestamp < started - 60_000 || s.timestamp > finished + 60_000);
      assert.equal(off.slice(0, 5), [], `${topic}/${p}: every record keeps the producer's CreateTime (within the run)`);
    }
  }),
);

if (ETCD_BINARY && existsSync(FAKETIME)) it.run();
else console.log('skipping: etcd or libfaketime is not installed (apt-get install etcd-server faketime)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
