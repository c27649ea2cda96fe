/**
 * The Kafka protocol server under load: produce and consume throughput over loopback with
 * kafkajs (and kcat when installed), for 100-byte and 1 KiB records, and the CPU time the
 * broker spends next to the client's for the same work. The broker is `skein serve` in a
 * child process (its CPU read from /proc/<pid>/stat before and after each pass); kafkajs runs
 * in this process (process.cpuUsage()), kcat in a child (bash `times`).
 *
 * Also single-record end-to-end latency with kafkajs (send with acks=1 → eachMessage of a
 * consumer in a long poll), one record in flight at a time, p50/p99/p999 (DESIGN.md target
 * over the protocol on loopback: p99 under 1 ms).
 *
 * The ratio to watch is broker CPU / client CPU (DESIGN.md: over the Kafka protocol the
 * broker is never the bottleneck, it uses less CPU than the client for the same bytes).
 * kafkajs (JavaScript, encodes and decodes every record) is a heavy client; kcat (C,
 * librdkafka) is a light one, so the same broker work weighs more against it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import * as hdr from 'hdr-histogram-js';
import { printEnvironment, QUICK } from './harness.js';
import { cpuSecondsOf, ownCpuSeconds, runMeasured } from './protocol/cpu.js';

const { Kafka, logLevel } = kafkajs;
const SERVE = fileURLToPath(new URL('./protocol/serve-child.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'skein-bench-protocol-'));
const HAS_KCAT = spawnSync('kcat', ['-V']).status === 0;
const PARTITIONS = 4;

interface Row {
  client: string;
  size: string;
  op: 'produce' | 'consume';
  records: number;
  wallSeconds: number;
  brokerCpu: number;
  clientCpu: number;
  bytes: number;
}

async function startBroker(): Promise<{ child: ChildProcess; bootstrap: string }> {
  const child = spawn(process.execPath, [SERVE, 'serve', '--dir', join(root, 'data'), '--port', '0', '--log-level', 'warn', '--num-partitions', String(PARTITIONS)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const bootstrap = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /clients connect to (\S+)\)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`skein serve exited with ${code}`)));
  });
  return { child, bootstrap };
}

/** Runs `work` and reports wall time and the CPU the broker and this process used meanwhile. */
async function measured(brokerPid: number, work: () => Promise<void>): Promise<{ wallSeconds: number; brokerCpu: number; clientCpu: number }> {
  const broker0 = cpuSecondsOf(brokerPid);
  const client0 = ownCpuSeconds();
  const t0 = process.hrtime.bigint();
  await work();
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { wallSeconds, brokerCpu: cpuSecondsOf(brokerPid) - broker0, clientCpu: ownCpuSeconds() - client0 };
}

async function kafkajsPass(bootstrap: string, brokerPid: number, size: number, total: number): Promise<Row[]> {
  const kafka = new Kafka({ clientId: 'bench', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `kafkajs-${size}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  const value = Buffer.alloc(size, 'x');
  const perSend = 1000;
  const messages = Array.from({ length: perSend }, (_, i) => ({ key: `k${i}`, value }));
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, messages: messages.slice(0, 10) }); // warm the connection and metadata
  const produce = await measured(brokerPid, async () => {
    const inFlight: Promise<unknown>[] = [];
    for (let sent = 0; sent < total; sent += perSend) {
      inFlight.push(producer.send({ topic, acks: 1, messages }));
      if (inFlight.length >= 4) await inFlight.shift();
    }
    await Promise.all(inFlight);
  });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `bench-${size}`, maxBytesPerPartition: 4 << 20, maxBytes: 16 << 20, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const goal = total + 10;
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const consume = await measured(brokerPid, async () => {
    await consumer.run({
      eachBatch: async ({ batch }) => {
        got += batch.messages.length;
        if (got >= goal) done();
      },
    });
    await finished;
  });
  await consumer.disconnect();
  const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  return [
    { client: 'kafkajs', size: label, op: 'produce', records: total, bytes: total * size, ...produce },
    { client: 'kafkajs', size: label, op: 'consume', records: goal, bytes: goal * size, ...consume },
  ];
}

async function kcatPass(bootstrap: string, brokerPid: number, size: number, total: number): Promise<Row[]> {
  const topic = `kcat-${size}`;
  const file = join(root, `kcat-${size}.txt`);
  const line = Buffer.alloc(size + 1, 'y');
  line[size] = 0x0a;
  writeFileSync(file, Buffer.concat(Array.from({ length: total }, () => line)));
  const errFile = join(root, 'kcat.err');
  // The topic exists before the timed pass, as for kafkajs.
  await runMeasured(`printf 'w\\n' | kcat -b ${bootstrap} -P -t ${topic}`, errFile);
  const rows: Row[] = [];
  const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  for (const [op, command, records] of [
    ['produce', `kcat -b ${bootstrap} -P -t ${topic} -X linger.ms=5 -l '${file}'`, total],
    ['consume', `kcat -b ${bootstrap} -C -t ${topic} -e -o beginning -q`, total + 1],
  ] as const) {
    const broker0 = cpuSecondsOf(brokerPid);
    const run = await runMeasured(command, errFile);
    const brokerCpu = cpuSecondsOf(brokerPid) - broker0;
    if (run.code !== 0) throw new Error(`${command} exited with ${run.code}`);
    rows.push({ client: 'kcat', size: label, op, records, bytes: records * size, wallSeconds: run.wallSeconds, brokerCpu, clientCpu: run.cpuSeconds });
  }
  return rows;
}

/** One record in flight at a time: microseconds from send() to the consumer's eachMessage. */
async function latencyPass(bootstrap: string, samples: number): Promise<hdr.Histogram> {
  const kafka = new Kafka({ clientId: 'bench-latency', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'latency', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: 'bench-latency', maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'latency', fromBeginning: false });
  let arrived: (() => void) | undefined;
  let joined!: () => void;
  const ready = new Promise<void>((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  // No commits: kafkajs would commit (an fsync of the offsets log) between fetches, inside the measured path.
  await consumer.run({ autoCommit: false, eachMessage: async () => arrived?.() });
  await ready;
  await new Promise((r) => setTimeout(r, 300)); // let the first fetch settle into its long poll
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
  const value = Buffer.alloc(100, 'l');
  for (let i = 0; i < samples + 100; i++) {
    const got = new Promise<void>((r) => (arrived = r));
    const t0 = process.hrtime.bigint();
    await producer.send({ topic: 'latency', acks: 1, messages: [{ value }] });
    await got;
    if (i >= 100) histogram.recordValue(Number(process.hrtime.bigint() - t0) / 1000); // the first 100 warm up
  }
  await consumer.disconnect();
  await producer.disconnect();
  return histogram;
}

function print(rows: Row[]): void {
  console.log('\n## Kafka protocol over loopback: throughput, and broker CPU next to client CPU for the same work');
  console.log('| client | record | op | records | records/s | MB/s | broker CPU s | client CPU s | broker / client |');
  console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const ratio = r.brokerCpu / r.clientCpu;
    console.log(
      `| ${r.client} | ${r.size} | ${r.op} | ${r.records.toLocaleString('en-US')} | ${Math.round(r.records / r.wallSeconds).toLocaleString('en-US')} | ` +
        `${(r.bytes / r.wallSeconds / 1e6).toFixed(1)} | ${r.brokerCpu.toFixed(2)} | ${r.clientCpu.toFixed(2)} | ${ratio.toFixed(2)}x${ratio < 1 ? '' : ' (broker heavier)'} |`,
    );
  }
}

printEnvironment();
const { child, bootstrap } = await startBroker();
const rows: Row[] = [];
try {
  const scale = QUICK ? 0.2 : 1;
  for (const [size, total] of [[100, 200_000], [1024, 100_000]] as const) {
    rows.push(...(await kafkajsPass(bootstrap, child.pid!, size, Math.round(total * scale))));
    if (HAS_KCAT) rows.push(...(await kcatPass(bootstrap, child.pid!, size, Math.round(total * 2 * scale))));
  }
  if (!HAS_KCAT) console.log('kcat is not installed: kcat rows skipped');
  print(rows);
  const h = await latencyPass(bootstrap, QUICK ? 500 : 3000);
  console.log('\n## kafkajs single-record latency over loopback (send, acks=1 → eachMessage; one in flight)');
  console.log('| samples | p50 | p99 | p99.9 | max |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  const us = (q: number) => `${Math.round(h.getValueAtPercentile(q))} µs`;
  console.log(`| ${h.totalCount} | ${us(50)} | ${us(99)} | ${us(99.9)} | ${Math.round(h.maxValue)} µs |`);
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  rmSync(root, { recursive: true, force: true });
}
