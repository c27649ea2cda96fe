/**
 * The controller's work with real broker processes (`skein serve --etcd`), a real etcd and
 * kafkajs: SIGTERM is a controlled shutdown (leaderships move before the broker exits, a
 * producer with acks=-1 keeps going with no failed send, a controller hands over), a
 * reassignment [1,2] -> [3,2] with data in it completes (seen in progress meanwhile through
 * kafkajs's and `skein reassign --list`), after which broker 3 serves every record and broker 1
 * has deleted its copy; a broker SIGKILLed and restarted at once (its old lease still in etcd)
 * waits for it, rejoins, and follows again. Replication (followers fetching, the ISR kept by
 * leaders) is what moves the data; this file checks what the controller decides around it.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ETCD_BINARY, startEtcd, stopAllEtcd, type EtcdServer } from '../helpers/cluster/etcd.js';
import { BrokerProcess } from '../helpers/cluster/broker-process.js';
import { until, within } from '../helpers/cluster/wait.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const it = suite('controller with broker processes (real etcd, kafkajs)');
const LAUNCH = fileURLToPath(new URL('../cli/helpers/launch.js', import.meta.url));
let etcd: EtcdServer;
let brokers: BrokerProcess[] = [];

function kafka(): Kafka {
  return new Kafka({
    clientId: 'controller-test',
    brokers: brokers.filter((b) => b.running).map((b) => b.bootstrap),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    connectionTimeout: 3000,
    requestTimeout: 15_000,
  });
}

const broker = (id: number): BrokerProcess => brokers.find((b) => b.nodeId === id)!;

/** `skein <args>` from this checkout; resolves with exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return within(
    new Promise((resolve) => {
      const child = spawn(process.execPath, [LAUNCH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    }),
    30_000,
    `skein ${args.join(' ')}`,
  );
}

/** A short-lived admin on the brokers running now (one that went away must not be asked). */
async function withAdmin<T>(work: (a: Admin) => Promise<T>): Promise<T> {
  const a = kafka().admin();
  await a.connect();
  try {
    return await work(a);
  } finally {
    await a.disconnect().catch(() => undefined);
  }
}

async function partitionsOf(topic: string) {
  const m = await withAdmin((a) => a.fetchTopicMetadata({ topics: [topic] }));
  return m.topics[0]!.partitions.sort((a, b) => a.partitionId - b.partitionId);
}

const brokerCount = async () => (await withAdmin((a) => a.describeCluster())).brokers.length;

/** Waits until every replica of every partition of `topic` is in its ISR (followers caught up). */
async function fullyInSync(topic: string): Promise<void> {
  await until(async () => (await partitionsOf(topic)).every((p) => p.leader >= 0 && p.isr.length === p.replicas.length), `${topic} fully in sync`, 60_000, 250);
}

it.before(async () => {
  etcd = await startEtcd();
  const root = tempDir('skein-ctrl-');
  brokers = await Promise.all(
    [1, 2, 3].map((nodeId) =>
      BrokerProcess.start({
        nodeId,
        dir: join(root, `b${nodeId}`),
        etcd: etcd.url,
        args: ['--session-timeout-ms', '6000', '--replica-lag-time-max-ms', '10000', '--log-level', 'warn', '--controlled-shutdown-retry-backoff-ms', '10000'],
      }),
    ),
  );
  await until(async () => (await brokerCount()) === 3, 'three brokers', 30_000, 200);
});

/** A test that stopped a broker starts it again, so the next test has three. */
it.after.each(async () => {
  for (const b of brokers) if (!b.running) await b.start();
  await until(async () => (await brokerCount()) === 3, 'three brokers after the test', 30_000, 250);
});

it.after(async () => {
  await Promise.allSettled(brokers.map((b) => b.close()));
  await stopAllEtcd();
  cleanupTempDirs();
});

it('SIGTERM to a leader: its partitions move to in-sync followers before it exits, and acks=-1 producing goes on without a failed send', async () => {
  await withAdmin((a) => a.createTopics({ topics: [{ topic: 'rolling', numPartitions: 6, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true }));
  await fullyInSync('rolling');
  const before = await partitionsOf('rolling');
  const victim = broker(before[0]!.leader);
  const led = before.filter((p) => p.leader === victim.nodeId).map((p) => p.partitionId);
  const producer = kafka().producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const acknowledged: string[] = [];
  const failures: string[] = [];
  let running = true;
  let n = 0;
  // One send per partition: kafkajs 2.2.4 loses the records of a partition whose leader moved,
  // within one send(), to a broker that already answered that send for other partitions (its
  // retry skips brokers that responded: producer/sendMessages.js), and still resolves.
  const loop = (async () => {
    while (running) {
      const round = n++;
      await Promise.all(
        Array.from({ length: 6 }, async (_, partition) => {
          const value = `r${round}-p${partition}`;
          try {
            await producer.send({ topic: 'rolling', acks: -1, messages: [{ partition, value }] });
            acknowledged.push(value);
          } catch (err) {
            failures.push((err as Error).message);
          }
        }),
      );
    }
  })();
  await until(() => acknowledged.length >= 60, 'records flowing before the SIGTERM', 30_000);
  const code = await victim.terminate(60_000);
  assert.is(code, 0, victim.output().slice(-2000));
  const line = /controlled shutdown moved (\d+) of (\d+) led partitions in (\d+) ms[^\n]*/.exec(victim.output());
  assert.ok(line, `the broker reports its controlled shutdown:\n${victim.output().slice(-1500)}`);
  console.log(`  ${line![0]}`);
  assert.is(Number(line![1]), led.length, 'every partition it led moved before it exited');
  assert.is(Number(line![2]), led.length);
  const after = await until(() => partitionsOf('rolling'), 'metadata from the others', 20_000, 200);
  for (const p of after) {
    assert.is.not(p.leader, victim.nodeId);
    assert.ok(p.leader >= 0, `rolling-${p.partitionId} has a leader`);
  }
  const countAtExit = acknowledged.length;
  await until(() => acknowledged.length >= countAtExit + 60, 'records flowing after the SIGTERM', 30_000);
  running = false;
  await loop;
  await producer.disconnect();
  assert.equal(failures, [], 'no send failed beyond the client\'s retries');
  // Every acknowledged record is there, once.
  const consumer = kafka().consumer({ groupId: 'rolling-reader' });
  const seen = new Map<string, number>();
  await consumer.connect();
  await consumer.subscribe({ topic: 'rolling', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.set(message.value!.toString(), (seen.get(message.value!.toString()) ?? 0) + 1) });
  try {
    await until(() => acknowledged.every((v) => seen.has(v)), 'every acknowledged record read back', 60_000, 200).catch(async (err: Error) => {
      const missing = acknowledged.filter((v) => !seen.has(v));
      const offsets = await withAdmin((a) => a.fetchTopicOffsets('rolling')).catch((e: Error) => e.message);
      throw new Error(`${err.message}: ${missing.length} of ${acknowledged.length} missing (${missing.slice(0, 12).join(' ')}); seen ${seen.size}; offsets ${JSON.stringify(offsets)}; metadata ${JSON.stringify(await partitionsOf('rolling').catch(() => null))}`);
    });
  } finally {
    await consumer.disconnect();
  }
  assert.ok([...seen.values()].every((count) => count === 1), 'no record twice');
  // Back it comes, as a follower that catches up and re-enters the ISR.
  await victim.start();
  await fullyInSync('rolling');
});

it('SIGTERM to the controller: it hands over and another broker is elected controller', async () => {
  const controller = (await withAdmin((a) => a.describeCluster())).controller!;
  const victim = broker(controller);
  assert.is(await victim.terminate(60_000), 0);
  assert.match(victim.output(), /resigned as controller/);
  const others = brokers.filter((b) => b !== victim);
  const next = await until(async () => {
    const probe = new Kafka({ clientId: 'probe', brokers: [others[0]!.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
    await probe.connect();
    try {
      const d = await probe.describeCluster();
      return d.controller !== null && d.controller >= 0 && d.controller !== controller ? d.controller : undefined;
    } finally {
      await probe.disconnect();
    }
  }, 'a new controller', 30_000, 250);
  assert.ok(others.some((b) => b.nodeId === next));
  await victim.start();
  await until(async () => (await brokerCount()) === 3, 'three brokers again', 30_000, 250);
});

it('reassignment [1,2] -> [3,2] with data in it: in progress meanwhile, then broker 3 leads and serves every record and broker 1 deleted its copy', async () => {
  await withAdmin((a) => a.createTopics({ topics: [{ topic: 'move', replicaAssignment: [{ partition: 0, replicas: [1, 2] }] }], waitForLeaders: true }));
  await fullyInSync('move');
  const producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const values = Array.from({ length: 300 }, (_, i) => `m${i}`);
  for (let i = 0; i < values.length; i += 50) {
    await producer.send({ topic: 'move', acks: -1, messages: values.slice(i, i + 50).map((value) => ({ partition: 0, value })) });
  }
  await producer.disconnect();
  assert.ok(existsSync(join(broker(1).dir, 'move-0')), 'broker 1 holds a replica before');
  // kafkajs asks the controller for the list, and broker 3 is about to be stopped: if it is the
  // controller, a controlled shutdown and restart hands the role to another broker first.
  if ((await withAdmin((a) => a.describeCluster())).controller === 3) {
    assert.is(await broker(3).terminate(60_000), 0);
    await broker(3).start();
    await until(async () => (await brokerCount()) === 3 && (await partitionsOf('move'))[0]!.isr.length === 2, 'broker 3 back', 30_000, 250);
  }
  // Broker 3 stopped (SIGSTOP) for a moment: it cannot catch up, so the reassignment stays in progress.
  broker(3).pause();
  let listed: string;
  try {
    const started = await cli(['reassign', '--bootstrap', broker(2).bootstrap, '--topic', 'move', '--partition', '0', '--replicas', '3,2']);
    assert.is(started.code, 0, started.err);
    assert.match(started.out, /move\t0\treassignment to 3,2 started/);
    // Asked of broker 2 (broker 3 does not answer while stopped).
    const viaTwo = new Kafka({ clientId: 'list', brokers: [broker(2).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
    await viaTwo.connect();
    const ongoing = await viaTwo.listPartitionReassignments({ topics: [{ topic: 'move', partitions: [0] }] }).finally(() => viaTwo.disconnect());
    assert.equal(JSON.parse(JSON.stringify(ongoing.topics)), [{ name: 'move', partitions: [{ partition: 0, replicas: [3, 2, 1], addingReplicas: [3], removingReplicas: [1] }] }]);
    listed = (await cli(['reassign', '--bootstrap', broker(1).bootstrap, '--list'])).out;
  } finally {
    broker(3).resume();
  }
  assert.match(listed, /move\t0\treplicas 3,2,1\tadding 3\tremoving 1/);
  const done = await until(async () => {
    const p = (await partitionsOf('move'))[0]!;
    return p.replicas.length === 2 ? p : undefined;
  }, 'the reassignment completed', 60_000, 250);
  assert.equal(done.replicas, [3, 2]);
  assert.is(done.leader, 3, 'the removed leader handed over to the first target replica');
  assert.equal([...done.isr].sort(), [2, 3]);
  const none = await withAdmin((a) => a.listPartitionReassignments({}));
  assert.equal(none.topics, []);
  assert.match((await cli(['reassign', '--bootstrap', broker(2).bootstrap, '--list'])).out, /no reassignment in progress/);
  // Broker 3 (the leader now) serves every record.
  const direct = new Kafka({ clientId: 'direct', brokers: [broker(3).bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const consumer = direct.consumer({ groupId: 'move-reader' });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'move', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  try {
    await until(() => seen.length >= values.length, 'every record from broker 3', 60_000, 200);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(seen, values);
  await until(() => !existsSync(join(broker(1).dir, 'move-0')), 'broker 1 deleted its replica', 30_000, 200);
  // Preferred leader election puts leadership back on the first replica (3 leads already: not needed).
  const elect = await cli(['reassign', '--bootstrap', broker(1).bootstrap, '--elect-preferred', '--topic', 'move', '--partition', '0']);
  assert.is(elect.code, 0, elect.err);
  assert.match(elect.out, /led by its preferred replica already/);
  const bad = await cli(['reassign', '--bootstrap', broker(1).bootstrap, '--topic', 'move', '--partition', '0', '--replicas', '7']);
  assert.is(bad.code, 2, bad.err);
  assert.match(bad.err, /broker 7 is not alive/);
  const cancelNone = await cli(['reassign', '--bootstrap', broker(1).bootstrap, '--topic', 'move', '--partition', '0', '--cancel']);
  assert.is.not(cancelNone.code, 0);
  assert.match(cancelNone.err, /no reassignment/i);
});

it('kill -9 and an immediate restart: the broker waits for its old lease, rejoins, and is a follower back in the ISR', async () => {
  await withAdmin((a) => a.createTopics({ topics: [{ topic: 'bounce', numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true }));
  await fullyInSync('bounce');
  const victim = broker(2);
  await victim.kill();
  // At once: etcd still holds the old registration under the old lease.
  await within(victim.start(), 40_000, 'the restart');
  assert.match(victim.output(), /skein listening on/);
  await until(async () => (await brokerCount()) === 3, 'three brokers', 30_000, 250);
  await fullyInSync('bounce');
  const producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: 'bounce', acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: `after-${partition}` })) });
  await producer.disconnect();
});

it('a broker restarted with an emptied data folder leads nothing it lacks: it follows, catches up, and only then leads again (preferred election)', async () => {
  await withAdmin((a) => a.createTopics({ topics: [{ topic: 'wiped', replicaAssignment: [{ partition: 0, replicas: [3, 1, 2] }] }], waitForLeaders: true }));
  await fullyInSync('wiped');
  const producer = kafka().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const values = Array.from({ length: 200 }, (_, i) => `w${i}`);
  await producer.send({ topic: 'wiped', acks: -1, messages: values.map((value) => ({ partition: 0, value })) });
  await producer.disconnect();
  const victim = broker(3);
  await victim.kill();
  rmSync(victim.dir, { recursive: true, force: true });
  await victim.start();
  // Its registration is new and its folder too: the partition is led by another ISR member,
  // and broker 3 is outside the ISR until it has copied the log back.
  const meanwhile = (await partitionsOf('wiped'))[0]!;
  assert.is.not(meanwhile.leader, 3);
  await until(async () => (await partitionsOf('wiped'))[0]!.isr.includes(3), 'broker 3 caught up and back in the ISR', 60_000, 250);
  const elect = await cli(['reassign', '--bootstrap', broker(1).bootstrap, '--elect-preferred', '--topic', 'wiped', '--partition', '0']);
  assert.is(elect.code, 0, elect.err);
  assert.match(elect.out, /wiped\t0\tpreferred leader elected/);
  await until(async () => (await partitionsOf('wiped'))[0]!.leader === 3, 'broker 3 leads again', 20_000, 200);
  const direct = new Kafka({ clientId: 'direct', brokers: [victim.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const consumer = direct.consumer({ groupId: 'wiped-reader' });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: 'wiped', fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
  try {
    await until(() => seen.length >= values.length, 'every record from the re-filled broker 3', 60_000, 200);
  } finally {
    await consumer.disconnect();
  }
  assert.equal(seen, values);
});

if (ETCD_BINARY) it.run();
else console.log('skipping: etcd is not installed (apt-get install etcd-server)\n  Total:     0\n  Passed:    0\n  Skipped:   0');
