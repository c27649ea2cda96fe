/**
 * The replicated cluster on this machine (issue 12, "What the benchmark must show"): real etcd,
 * broker processes (`skein serve` from out/, listening directly, no test proxy in the data path),
 * measured from outside with real clients.
 *
 * - Produce throughput: kcat (librdkafka) sends 100-byte records with acks=all to a topic with
 *   RF 3 on three brokers, next to the baseline: one broker alone (no etcd), same client, same
 *   settings, same file, same 3 partitions. Both setups run side by side and kcat alternates
 *   between them (A B, B A, ...), so load from outside falls on both alike; the ratio is the
 *   median of the rounds' ratios, with their range. CPU time per record (the brokers' and
 *   kcat's, from /proc) says how much of the ratio is work rather than waiting: RF 3 stores
 *   every record three times and sends it twice over loopback, and three brokers plus kcat
 *   share the machine's cores. Target: ratio >= 0.5.
 * - End-to-end latency with replication: kafkajs sends one record at a time (acks=all), a kafkajs
 *   consumer receives it (consumers read only below the high watermark, so this includes the
 *   followers' fetch); p50/p99 next to the same on one broker.
 * - Failover: for several session timeouts, a kafkajs writer sends one record at a time to a
 *   partition with RF 3 while its leader is SIGKILLed; figures are the time until etcd names a
 *   new leader and until the first write acknowledged after the kill. Then the same for SIGTERM
 *   (controlled shutdown); every write acknowledged meanwhile is read back (kcat) and any not found
 *   at its offset is named. Kafka's anchors: a crash costs about broker.session.timeout.ms (9 s in
 *   KRaft); a controlled shutdown a few milliseconds per partition. Target: within 2 x the
 *   session timeout.
 *
 * Never fails on a poor figure: a step that cannot finish (e.g. replication not working, so the
 * ISR never fills) prints what it saw and the run goes on. BENCH_QUICK=1 shortens it;
 * BENCH_TRACE=1 prints the first failed sends of each failover with their time after the signal;
 * BENCH_BROKER_LOG=1 streams the brokers' output (warnings) with a clock to match the trace.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Etcd3 } from 'etcd3';
import { startEtcd, stopAllEtcd, type EtcdServer } from '../test/helpers/cluster/etcd.js';
import { isRunning, signal, track } from '../test/helpers/cluster/children.js';
import { kcatRead } from '../test/helpers/cluster/load.js';
import { formatRate, printEnvironment, QUICK } from './harness.js';

const LAUNCH = fileURLToPath(new URL('../test/cli/helpers/launch.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'skein-bench-cluster-'));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One `skein serve` process listening on a free port it reports (no proxy: nothing but the broker in the data path). */
class Broker {
  port = 0;
  private child: ChildProcess | undefined;
  private log = '';
  constructor(readonly nodeId: number, readonly dir: string, readonly args: string[]) {}

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && isRunning(this.child);
  }

  async start(): Promise<void> {
    const child = track(spawn(process.execPath, [LAUNCH, 'serve', '--node-id', String(this.nodeId), '--host', '127.0.0.1', '--port', '0', '--dir', this.dir, '--log-level', 'warn', ...this.args], { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child = child;
    this.log = '';
    this.port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`broker ${this.nodeId} did not start: ${this.log.slice(-800)}`));
      }, 30_000);
      const keep = (chunk: Buffer) => {
        if (process.env.BENCH_BROKER_LOG) process.stderr.write(chunk.toString().replace(/^(?=.)/gm, `[broker ${this.nodeId} +${Date.now() % 100000}] `));
        this.log = (this.log + chunk.toString()).slice(-8000);
        const m = /skein listening on [^:\s]+:(\d+)/.exec(this.log);
        if (m) {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve(Number(m[1]));
        }
      };
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`broker ${this.nodeId} exited ${code}: ${this.log.slice(-800)}`));
      };
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      child.once('exit', onExit);
    });
  }

  async kill(): Promise<void> {
    if (this.child) await signal(this.child, 'SIGKILL');
  }

  async terminate(): Promise<void> {
    const child = this.child;
    if (!child || !isRunning(child)) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

interface Cluster {
  brokers: Broker[];
  etcd?: EtcdServer;
  client?: Etcd3;
  prefix: string;
}

async function startCluster(name: string, count: number, sessionTimeoutMs: number): Promise<Cluster> {
  const etcd = count > 1 ? await startEtcd() : undefined;
  const args = etcd ? ['--etcd', etcd.url, '--session-timeout-ms', String(sessionTimeoutMs), '--replica-lag-time-max-ms', '10000', '--min-insync-replicas', '2'] : [];
  const brokers = Array.from({ length: count }, (_, i) => new Broker(i + 1, join(root, `${name}-b${i + 1}`), args));
  await Promise.all(brokers.map((b) => b.start()));
  const cluster: Cluster = { brokers, etcd, client: etcd ? new Etcd3({ hosts: etcd.url }) : undefined, prefix: '/skein/' };
  if (cluster.client) {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const keys = await cluster.client.getAll().prefix('/skein/brokers/').keys();
      if (keys.length === count) break;
      await sleep(100);
    }
  }
  return cluster;
}

async function stopCluster(cluster: Cluster): Promise<void> {
  cluster.client?.close();
  await Promise.allSettled(cluster.brokers.map((b) => b.kill()));
  await cluster.etcd?.stop();
}

function kafka(cluster: Cluster, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: cluster.brokers.filter((b) => b.running).map((b) => b.bootstrap),
    logLevel: logLevel.NOTHING,
    retry: { retries: 100, initialRetryTime: 50, maxRetryTime: 200 },
    connectionTimeout: 1000,
    requestTimeout: 5000,
  });
}

async function createTopic(cluster: Cluster, topic: string, partitions: number, rf: number): Promise<void> {
  const admin = kafka(cluster, 'bench-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: rf }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

interface EtcdPartition {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  replicas: number[];
}

async function partitionState(cluster: Cluster, topic: string, p: number): Promise<EtcdPartition | undefined> {
  const text = await cluster.client?.get(`/skein/partitions/${topic}/${p}`).string();
  return text ? (JSON.parse(text) as EtcdPartition) : undefined;
}

/** Waits (bounded) for every partition to have `size` in-sync replicas; false if it did not happen. */
async function waitIsr(cluster: Cluster, topic: string, partitions: number, size: number, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const states = await Promise.all(Array.from({ length: partitions }, (_, p) => partitionState(cluster, topic, p)));
    if (states.every((s) => s && s.leader >= 0 && s.isr.length >= size)) return true;
    await sleep(100);
  }
  return false;
}

/** CPU time (user + system) in ms of a process, or of this process's reaped children; undefined where /proc is not there. */
function cpuMs(pid: number | 'children'): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid === 'children' ? 'self' : pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime, stime are fields 14, 15 of stat (11, 12 after the name); cutime, cstime 16, 17.
    const [a, b] = pid === 'children' ? [13, 14] : [11, 12];
    return ((Number(fields[a]) + Number(fields[b])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

interface ProduceRun {
  rate: number;
  /** CPU of the broker processes per record, µs. */
  brokerCpuUs?: number;
  /** CPU of kcat per record, µs. */
  clientCpuUs?: number;
}

/** kcat producing `records` lines of 100 bytes with acks=all; the rate and CPU per record, or an error text. */
function kcatProduce(cluster: Cluster, topic: string, file: string, records: number): ProduceRun | string {
  const brokersBefore = cluster.brokers.map((b) => (b.pid ? cpuMs(b.pid) : undefined));
  const clientBefore = cpuMs('children');
  const started = process.hrtime.bigint();
  const result = spawnSync(
    'kcat',
    ['-P', '-b', cluster.brokers.map((b) => b.bootstrap).join(','), '-t', topic, '-l', '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'message.timeout.ms=60000', file],
    { encoding: 'utf8', timeout: 180_000 },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 || /fail|error/i.test(result.stderr ?? '')) return `kcat exited ${result.status ?? result.signal}: ${(result.stderr ?? '').slice(-300).trim()}`;
  const brokersAfter = cluster.brokers.map((b) => (b.pid ? cpuMs(b.pid) : undefined));
  const clientAfter = cpuMs('children');
  const brokerMs = brokersAfter.every((v, i) => v !== undefined && brokersBefore[i] !== undefined) ? brokersAfter.reduce<number>((n, v, i) => n + v! - brokersBefore[i]!, 0) : undefined;
  return {
    rate: records / seconds,
    brokerCpuUs: brokerMs === undefined ? undefined : (brokerMs * 1000) / records,
    clientCpuUs: clientAfter === undefined || clientBefore === undefined ? undefined : ((clientAfter - clientBefore) * 1000) / records,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function latency(cluster: Cluster, topic: string, samples: number): Promise<{ p50: number; p99: number; max: number } | string> {
  const client = kafka(cluster, 'bench-latency');
  const producer = client.producer({ allowAutoTopicCreation: false });
  const consumer = client.consumer({ groupId: `latency-${topic}`, maxWaitTimeInMs: 500 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const arrivals = new Map<string, bigint>();
  let wake: (() => void) | undefined;
  await consumer.run({
    eachMessage: async ({ message }) => {
      arrivals.set(message.value!.toString(), process.hrtime.bigint());
      wake?.();
    },
  });
  try {
    // Wait until the consumer is assigned and receiving.
    const probeDeadline = Date.now() + 30_000;
    let probe = 0;
    while (Date.now() < probeDeadline) {
      const v = `probe-${probe++}`;
      await producer.send({ topic, acks: -1, messages: [{ value: v }] });
      await sleep(200);
      if (arrivals.has(v)) break;
    }
    if (arrivals.size === 0) return 'the consumer received nothing within 30 s';
    const times: number[] = [];
    for (let i = 0; i < samples; i++) {
      const v = `lat-${i}`;
      const arrived = new Promise<void>((r) => (wake = () => arrivals.has(v) && r()));
      const sentAt = process.hrtime.bigint();
      await producer.send({ topic, acks: -1, messages: [{ value: v }] });
      await Promise.race([arrived, sleep(10_000)]);
      const at = arrivals.get(v);
      if (at === undefined) return `record ${i} not received within 10 s`;
      times.push(Number(at - sentAt) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!, max: times[times.length - 1]! };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
}

interface Failover {
  trigger: 'SIGKILL' | 'SIGTERM';
  sessionMs: number;
  electedMs?: number;
  firstAckMs?: number;
  /** Longest time between two acknowledged writes from 1 s before the stop on. */
  gapMs?: number;
  note?: string;
}

/** One writer sending one record at a time (acks=all); the leader of partition 0 is stopped by `trigger`. */
async function failover(cluster: Cluster, topic: string, sessionMs: number, trigger: 'SIGKILL' | 'SIGTERM'): Promise<Failover> {
  const before = await partitionState(cluster, topic, 0);
  if (!before || before.leader < 0) return { trigger, sessionMs, note: 'no leader to stop' };
  const victim = cluster.brokers.find((b) => b.nodeId === before.leader)!;
  const client = kafka(cluster, `bench-failover-${trigger}`);
  const producer = client.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let stopping = false;
  let killedAt = 0;
  let firstAckAfter = 0;
  const acks: number[] = [];
  const errors = new Map<string, number>();
  const acked = new Map<string, number>();
  let sent = 0;
  const writer = (async () => {
    while (!stopping) {
      const startedAt = Date.now();
      try {
        const value = `f-${sent++}`;
        const [meta] = await producer.send({ topic, acks: -1, messages: [{ partition: 0, value }] });
        acked.set(value, Number(meta!.baseOffset));
        const now = Date.now();
        acks.push(now);
        if (killedAt > 0 && startedAt >= killedAt && firstAckAfter === 0) firstAckAfter = now;
      } catch (err) {
        if (killedAt > 0) {
          const e = err as { type?: string; name?: string; message?: string };
          const key = `${e.type ?? e.name}: ${(e.message ?? '').slice(0, 60)}`;
          errors.set(key, (errors.get(key) ?? 0) + 1);
          if (process.env.BENCH_TRACE && errors.size <= 6 && (errors.get(key) ?? 0) <= 2) console.log(`  ${trigger} +${Date.now() - killedAt} ms: ${key}`);
        }
        await sleep(20);
      }
      await sleep(5);
    }
  })();
  let elected = 0;
  try {
    await sleep(1000);
    killedAt = Date.now();
    if (process.env.BENCH_TRACE) console.log(`  ${trigger} to broker ${victim.nodeId} at ${killedAt % 100000} (leader epoch ${before.leaderEpoch}, ISR ${before.isr.join(',')})`);
    if (trigger === 'SIGKILL') await victim.kill();
    else await victim.terminate();
    const deadline = killedAt + Math.max(4 * sessionMs, 20_000);
    while (Date.now() < deadline && (elected === 0 || firstAckAfter === 0)) {
      if (elected === 0) {
        const s = await partitionState(cluster, topic, 0);
        if (s && s.leader >= 0 && s.leader !== victim.nodeId) elected = Date.now();
      }
      await sleep(20);
    }
  } finally {
    stopping = true;
    await Promise.race([writer, sleep(15_000)]);
    await producer.disconnect().catch(() => undefined);
  }
  // Safety while measuring: every acknowledged write must be read back at its offset.
  let lost = '';
  try {
    const back = await kcatRead(cluster.brokers.filter((b) => b.running).map((b) => b.bootstrap), topic, 0, 30_000);
    const at = new Map(back.map((r) => [r.value, r.offset]));
    const missing = [...acked].filter(([v, o]) => at.get(v) !== o);
    if (missing.length > 0) lost = `${missing.length} of ${acked.size} acknowledged writes not read back at their offset (first: ${missing.slice(0, 3).map(([v, o]) => `${v}@${o} read at ${at.get(v) ?? 'nowhere'}`).join(', ')})`;
  } catch (err) {
    lost = `read-back failed: ${(err as Error).message.split('\n')[0]}`;
  }
  // The longest stretch without an acknowledged write around the event: what clients felt.
  let gap = 0;
  const around = acks.filter((t) => t >= killedAt - 1000);
  for (let i = 1; i < around.length; i++) gap = Math.max(gap, around[i]! - around[i - 1]!);
  return {
    trigger,
    sessionMs,
    gapMs: around.length > 1 ? gap : undefined,
    electedMs: elected ? elected - killedAt : undefined,
    firstAckMs: firstAckAfter ? firstAckAfter - killedAt : undefined,
    note: [
      elected ? '' : `no new leader within ${Math.max(4 * sessionMs, 20_000) / 1000} s (etcd: ${JSON.stringify(await partitionState(cluster, topic, 0))})`,
      firstAckAfter ? '' : `no write sent after the signal acknowledged within ${Math.max(4 * sessionMs, 20_000) / 1000} s`,
      errors.size ? `failed sends: ${[...errors].map(([k, n]) => `${k} x${n}`).join('; ')}` : '',
      lost,
    ].filter(Boolean).join('; ') || undefined,
  };
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${Math.round(value).toLocaleString('en-US')} ms`;
}

async function main(): Promise<void> {
  printEnvironment();
  if (spawnSync('etcd', ['--version']).status !== 0 || spawnSync('kcat', ['-V']).status !== 0) {
    console.log('skipping: needs etcd (etcd-server) and kcat');
    return;
  }
  const records = QUICK ? 100_000 : 500_000;
  const rounds = QUICK ? 2 : 4;
  const file = join(root, 'records.txt');
  writeFileSync(file, Array.from({ length: records }, (_, i) => String(i).padStart(8, '0') + 'x'.repeat(91)).join('\n') + '\n');
  const samples = QUICK ? 100 : 300;

  // Both setups side by side: one broker alone (the baseline) and three brokers with RF 3.
  const single = await startCluster('single', 1, 0);
  const replicated = await startCluster('rf3', 3, 2000);
  const singleRuns: ProduceRun[] = [];
  const rf3Runs: ProduceRun[] = [];
  const ratios: number[] = [];
  let produceNote = '';
  let singleLatency: Awaited<ReturnType<typeof latency>> = 'n/a';
  let rf3Latency: Awaited<ReturnType<typeof latency>> = 'n/a';
  try {
    await createTopic(single, 'tp', 3, 1);
    await createTopic(single, 'lat', 1, 1);
    await createTopic(replicated, 'tp', 3, 3);
    await createTopic(replicated, 'lat', 1, 3);
    if (!(await waitIsr(replicated, 'tp', 3, 3)) || !(await waitIsr(replicated, 'lat', 1, 3))) produceNote = ' (ISR never reached 3 replicas: followers not replicating)';
    for (let round = 0; round < rounds; round++) {
      // Alternate who goes first, so a burst of outside load does not always hit the same side.
      const order = round % 2 === 0 ? (['single', 'rf3'] as const) : (['rf3', 'single'] as const);
      const got: Partial<Record<'single' | 'rf3', ProduceRun>> = {};
      for (const side of order) {
        const run = kcatProduce(side === 'single' ? single : replicated, 'tp', file, records);
        if (typeof run === 'string') {
          produceNote += ` ${side} round ${round + 1}: ${run}`;
          continue;
        }
        got[side] = run;
        (side === 'single' ? singleRuns : rf3Runs).push(run);
      }
      if (got.single && got.rf3) ratios.push(got.rf3.rate / got.single.rate);
    }
    singleLatency = await latency(single, 'lat', samples);
    rf3Latency = await latency(replicated, 'lat', samples);
  } catch (err) {
    produceNote += ` failed: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await stopCluster(single);
    await stopCluster(replicated);
  }

  console.log(`\n## produce, kcat, ${records.toLocaleString('en-US')} x 100 B per run, 3 partitions, acks=all, ${rounds} alternating rounds, ${cpus().length} cores${produceNote}`);
  console.log('| setup | rate, median (range) | ratio to one broker, median of rounds (range) | broker CPU per record | kcat CPU per record |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  const rates = (runs: ProduceRun[]) =>
    runs.length === 0 ? 'n/a' : `${formatRate(median(runs.map((r) => r.rate)), 'records')} (${formatRate(Math.min(...runs.map((r) => r.rate)), 'records')}-${formatRate(Math.max(...runs.map((r) => r.rate)), 'records')})`;
  const cpu = (runs: ProduceRun[], pick: (r: ProduceRun) => number | undefined) => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? 'n/a' : `${median(values).toFixed(2)} µs`;
  };
  const ratioText = ratios.length === 0 ? 'n/a' : `${median(ratios).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}x-${Math.max(...ratios).toFixed(2)}x)`;
  console.log(`| one broker, RF 1 | ${rates(singleRuns)} | 1.00x | ${cpu(singleRuns, (r) => r.brokerCpuUs)} | ${cpu(singleRuns, (r) => r.clientCpuUs)} |`);
  console.log(`| three brokers, RF 3, min.insync.replicas 2 | ${rates(rf3Runs)} | ${ratioText} | ${cpu(rf3Runs, (r) => r.brokerCpuUs)} | ${cpu(rf3Runs, (r) => r.clientCpuUs)} |`);

  console.log(`\n## end-to-end latency, kafkajs, one 100 B record at a time, acks=all, ${samples} samples`);
  console.log('| setup | p50 | p99 | max |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, l] of [['one broker, RF 1', singleLatency], ['three brokers, RF 3', rf3Latency]] as const) {
    if (typeof l === 'string') console.log(`| ${name} | ${l} | | |`);
    else console.log(`| ${name} | ${l.p50.toFixed(1)} ms | ${l.p99.toFixed(1)} ms | ${l.max.toFixed(1)} ms |`);
  }

  const failovers: Failover[] = [];
  for (const sessionMs of QUICK ? [2000] : [1000, 2000, 4000]) {
    const cluster = await startCluster(`fo-${sessionMs}`, 3, sessionMs);
    try {
      await createTopic(cluster, 'fo', 1, 3);
      const full = await waitIsr(cluster, 'fo', 1, 3);
      const crash = await failover(cluster, 'fo', sessionMs, 'SIGKILL');
      if (!full) crash.note = `${crash.note ?? ''} ISR was not full before the kill`.trim();
      failovers.push(crash);
      // The killed broker comes back (once its lease is gone) and catches up; then a controlled shutdown.
      const down = cluster.brokers.find((b) => !b.running);
      if (down) {
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && (await cluster.client!.get(`/skein/brokers/${down.nodeId}`).exists())) await sleep(100);
        await down.start();
      }
      const refilled = await waitIsr(cluster, 'fo', 1, 3);
      const controlled = await failover(cluster, 'fo', sessionMs, 'SIGTERM');
      if (!refilled) controlled.note = `${controlled.note ?? ''} ISR was not full before the shutdown`.trim();
      failovers.push(controlled);
    } catch (err) {
      failovers.push({ trigger: 'SIGKILL', sessionMs, note: `failed: ${(err as Error).message.split('\n')[0]}` });
    } finally {
      await stopCluster(cluster);
    }
  }
  console.log('\n## failover of a partition leader (RF 3, min.insync.replicas 2), kafkajs writer, one record at a time, acks=all');
  console.log('| trigger | session timeout | new leader in etcd after | first write sent after the signal acknowledged after | ratio to session timeout | longest gap between acks | note |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const f of failovers) {
    const ratio = f.firstAckMs !== undefined ? `${(f.firstAckMs / f.sessionMs).toFixed(2)}x` : 'n/a';
    console.log(`| ${f.trigger === 'SIGKILL' ? 'kill -9' : 'SIGTERM (controlled)'} | ${ms(f.sessionMs)} | ${ms(f.electedMs)} | ${ms(f.firstAckMs)} | ${ratio} | ${ms(f.gapMs)} | ${f.note ?? ''} |`);
  }
}

try {
  await main();
} finally {
  await stopAllEtcd();
  rmSync(root, { recursive: true, force: true });
}
