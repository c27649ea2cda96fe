/**
 * The embedded engine as a service uses it: produce and consume 100-byte records through
 * Skein's producer and consumer (1 and 8 partitions), and single-record end-to-end latency
 * (send → eachMessage) at p50/p99/p999 with hdr-histogram-js.
 *
 * Settings, side by side:
 *  - produce, tuned: batchSize 128 KiB, acks 1; defaults: what a new user gets (batchSize
 *    16 KiB, acks -1). Both send 1000 records per send(), 16 sends in flight.
 *  - consume, eachBatch with every value touched (its length added and its first byte read):
 *    through kafkajs-shaped `batch.messages` (a message object and a Buffer view per record),
 *    and through `batch.records()` (the records in place, nothing allocated per record); each
 *    with the defaults (`skein.consumer({ groupId })`, run({ eachBatch })) and tuned (maxBytes
 *    16 MiB, 4 MiB per partition, maxWait 100 ms, auto-commit every second). The rate is the
 *    second half of the records (steady state); the first half, from the first eachBatch call,
 *    is printed beside it: it pays for a young generation that the full GC before each
 *    consumer shrank (V8 grows it back over the first few hundred thousand messages) and, in
 *    the first round, for JIT compilation. The group join before the first batch (5-30 ms
 *    here, most of it the group's metadata write in SyncGroup) is printed too; the group coordinator's first use (creating __consumer_offsets, once per
 *    broker: 0.3-1.5 s here) is paid by a warm-up consumer before the round, and the heap is
 *    collected before each consumer (npm run bench passes --expose-gc).
 *  - latency, tuned (acks 1, maxWait 1 s) without a preload; defaults (acks -1, default
 *    consumer) after 1 M records produced in the same process. Each with the GCs seen and the
 *    event-loop delay (monitorEventLoopDelay) during the run.
 *
 * Baselines measured in the same round, before each measurement: a JS array used as a queue
 * (push 100-byte Buffers, read them back: the fastest in-process queue, no durability), and
 * memcpy of the same records into one buffer (the cost of moving the bytes once). The machine
 * is shared and noisy: the 1-partition figures are measured ROUNDS times, alternating, and
 * printed as the median with the spread; ratios are taken within a round. Beside each rate,
 * the process's CPU time per record (all its threads): on a machine where other processes
 * take the cores, wall-clock rates fall while CPU per record stays put.
 * SKEIN_BENCH_ROUNDS sets the 1-partition rounds (default 3), SKEIN_BENCH_THROUGHPUT_ONLY=1 skips
 * the latency runs.
 * Targets (issue 10): produce >= 2 M records/s, consume by batch >= 10 M records/s, latency
 * p99 < 200 us with the defaults.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { Skein } from '../src/client/skein.js';
import { formatRate, printEnvironment, QUICK } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-embedded-'));
const ROUNDS = Number(process.env.SKEIN_BENCH_ROUNDS ?? (QUICK ? 1 : 3));
/** SKEIN_BENCH_THROUGHPUT_ONLY=1: the throughput tables only (for A/B runs of the consume path). */
const THROUGHPUT_ONLY = process.env.SKEIN_BENCH_THROUGHPUT_ONLY === '1';

interface Baselines {
  arrayPush: number;
  arrayRead: number;
  memcpy: number;
}

/** Records/s of the in-memory baselines over `total` records of `value`. */
function baselines(total: number, value: Buffer): Baselines {
  const queue: Buffer[] = [];
  let started = process.hrtime.bigint();
  for (let i = 0; i < total; i++) queue.push(Buffer.from(value));
  const arrayPush = total / (Number(process.hrtime.bigint() - started) / 1e9);
  let sink = 0;
  started = process.hrtime.bigint();
  for (let i = 0; i < total; i++) sink += queue[i]!.length;
  const arrayRead = total / (Number(process.hrtime.bigint() - started) / 1e9);
  queue.length = 0;
  // memcpy into pages already faulted in (fill first): the copy, not the page faults.
  const target = Buffer.alloc(Math.min(total, 1_000_000) * value.length, 1);
  const copies = target.length / value.length;
  started = process.hrtime.bigint();
  for (let done = 0; done < total; ) {
    for (let i = 0; i < copies && done < total; i++, done++) target.set(value, i * value.length);
  }
  const memcpy = total / (Number(process.hrtime.bigint() - started) / 1e9);
  if (sink < 0) console.log(sink);
  return { arrayPush, arrayRead, memcpy };
}

type ProduceSettings = 'tuned' | 'defaults';
type ConsumeMode = 'messages' | 'records';
type ConsumeSettings = 'defaults' | 'tuned';
type ConsumeRun = `${ConsumeMode} ${ConsumeSettings}`;
const CONSUME_RUNS: ConsumeRun[] = ['messages defaults', 'records defaults', 'messages tuned', 'records tuned'];

/** Records/s and the process's CPU ns per record over one timed section. */
interface Rate {
  rate: number;
  cpuNs: number;
  /** Consume: ms from run() to the first eachBatch call (the group join), not in `rate`. */
  joinMs?: number;
  /** Consume: the first half of the records (`rate` is the second half). */
  firstHalf?: Rate;
}

function timer(): (total: number) => Rate {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return (total) => {
    const used = process.cpuUsage(cpu);
    return { rate: total / (Number(process.hrtime.bigint() - started) / 1e9), cpuNs: ((used.user + used.system) * 1000) / total };
  };
}

async function produce(skein: Skein, topic: string, total: number, value: Buffer, keyed: boolean, settings: ProduceSettings): Promise<Rate> {
  const producer = settings === 'tuned' ? skein.producer({ batchSize: 128 * 1024 }) : skein.producer();
  await producer.connect();
  const perSend = 1000;
  const messages = Array.from({ length: perSend }, (_, i) => ({ key: keyed ? `k${i}` : null, value }));
  const done = timer();
  const inFlight: Promise<unknown>[] = [];
  for (let sent = 0; sent < total; sent += perSend) {
    inFlight.push(settings === 'tuned' ? producer.send({ topic, messages, acks: 1 }) : producer.send({ topic, messages }));
    if (inFlight.length >= 16) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const rate = done(total);
  await producer.disconnect();
  return rate;
}

async function consume(skein: Skein, topic: string, total: number, valueLength: number, run: ConsumeRun, group: string): Promise<Rate> {
  const [mode, settings] = run.split(' ') as [ConsumeMode, ConsumeSettings];
  // Start from a collected heap: the garbage of the produce runs and of the baselines (a
  // million Buffers) is theirs, not the consumer's to pay in its mark-compacts.
  (globalThis as { gc?: () => void }).gc?.();
  const consumer =
    settings === 'tuned' ? skein.consumer({ groupId: group, maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 100 }) : skein.consumer({ groupId: group });
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let bytes = 0;
  let sink = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const runAt = performance.now();
  let joinMs = -1;
  let stop!: (total: number) => Rate;
  let firstHalf: Rate | undefined;
  let halfAt = 0;
  await consumer.run({
    ...(settings === 'tuned' ? { autoCommitInterval: 1000 } : {}),
    eachBatch: async ({ batch }) => {
      if (joinMs < 0) {
        joinMs = performance.now() - runAt;
        stop = timer();
      }
      if (mode === 'messages') {
        // Touch every value as records() below does: its length and its first byte.
        for (const message of batch.messages) {
          const value = message.value!;
          bytes += value.length;
          sink ^= value[0]!;
        }
        received += batch.messages.length;
      } else {
        const r = batch.records();
        while (r.next()) {
          bytes += r.valueLength;
          sink ^= r.bytes[r.valueStart]!;
          received += 1;
        }
      }
      if (firstHalf === undefined && received >= total / 2) {
        firstHalf = stop(received);
        halfAt = received;
        stop = timer();
      }
      if (received >= total) done();
    },
  });
  await finished;
  const rate = { ...stop(received - halfAt), joinMs, firstHalf };
  await consumer.disconnect();
  if (bytes !== total * valueLength) throw new Error(`consumed ${bytes} bytes, expected ${total * valueLength}`);
  if (sink < 0) console.log(sink);
  return rate;
}

/** One consumer that commits once: the broker creates __consumer_offsets on its first commit. */
async function warmGroupCoordinator(skein: Skein): Promise<void> {
  await skein.admin.createTopics({ topics: [{ topic: 'warm-up', numPartitions: 1 }] });
  const producer = skein.producer();
  await producer.send({ topic: 'warm-up', messages: [{ value: 'x' }] });
  const consumer = skein.consumer({ groupId: 'warm-up' });
  await consumer.subscribe({ topic: 'warm-up', fromBeginning: true });
  let seen!: () => void;
  const arrived = new Promise<void>((resolve) => (seen = resolve));
  await consumer.run({ eachMessage: async () => seen() });
  await arrived;
  await consumer.commitOffsets([{ topic: 'warm-up', partition: 0, offset: '1' }]);
  await consumer.disconnect();
  await producer.disconnect();
}

interface RoundFigures {
  base: Baselines;
  produce: Record<ProduceSettings, Rate>;
  consume: Record<ConsumeRun, Rate>;
}

/** One round on `partitions` partitions: baselines, produce tuned and defaults, consume both ways. */
async function round(partitions: number, total: number, value: Buffer, n: number): Promise<RoundFigures> {
  const base = baselines(total, value);
  const skein = await Skein.open({ dir: join(root, `tp-${partitions}-${n}`), groupInitialRebalanceDelayMs: 0 });
  const topics = { tuned: `tuned-${partitions}`, defaults: `defaults-${partitions}` };
  await skein.admin.createTopics({
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: partitions, configEntries: [{ name: 'segment.bytes', value: String(256 * 1024 * 1024) }] })),
  });
  const keyed = partitions > 1;
  // Alternate the order between rounds so neither setting always runs on a warmer process.
  const order: ProduceSettings[] = n % 2 === 0 ? ['tuned', 'defaults'] : ['defaults', 'tuned'];
  const produced = {} as Record<ProduceSettings, Rate>;
  for (const settings of order) produced[settings] = await produce(skein, topics[settings], total, value, keyed, settings);
  await warmGroupCoordinator(skein);
  const runs = n % 2 === 0 ? CONSUME_RUNS : [...CONSUME_RUNS].reverse();
  const consumed = {} as Record<ConsumeRun, Rate>;
  for (const run of runs) consumed[run] = await consume(skein, topics.tuned, total, value.length, run, `g-${run.replace(' ', '-')}`);
  await skein.close();
  rmSync(join(root, `tp-${partitions}-${n}`), { recursive: true, force: true });
  return { base, produce: produced, consume: consumed };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "2.31 M records/s (1.90-2.52)" for one round or more. */
function spread(values: number[]): string {
  if (values.length === 1) return formatRate(values[0]!, 'records');
  return `${formatRate(median(values), 'records')} (${(Math.min(...values) / 1e6).toFixed(2)}-${(Math.max(...values) / 1e6).toFixed(2)} M)`;
}

function ratios(values: number[]): string {
  if (values.length === 1) return `${values[0]!.toFixed(2)}x`;
  return `${median(values).toFixed(2)}x (${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)})`;
}

function printThroughput(partitions: number, total: number, rounds: RoundFigures[]): void {
  const col = <T>(f: (r: RoundFigures) => T): T[] => rounds.map(f);
  console.log(`\n## embedded throughput, ${total.toLocaleString('en-US')} x 100 B, ${partitions} partition(s)${partitions > 1 ? ', keyed' : ''}, ${rounds.length} round(s): median (min-max)`);
  const cpu = (f: (r: RoundFigures) => Rate) => `${Math.round(median(col((r) => f(r).cpuNs)))} ns`;
  console.log('| measurement | rate | / JS array | / memcpy | cpu per record | consume: first half (not in the rate) | consume: group join (not in the rate) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  console.log(`| JS array push (baseline) | ${spread(col((r) => r.base.arrayPush))} | 1.00x | | |`);
  console.log(`| memcpy of the records (baseline) | ${spread(col((r) => r.base.memcpy))} | | 1.00x | |`);
  for (const settings of ['tuned', 'defaults'] as const) {
    const label = settings === 'tuned' ? 'produce, tuned (batchSize 128 KiB, acks 1)' : 'produce, defaults (batchSize 16 KiB, acks -1)';
    const f = (r: RoundFigures) => r.produce[settings];
    console.log(`| ${label} | ${spread(col((r) => f(r).rate))} | ${ratios(col((r) => f(r).rate / r.base.arrayPush))} | ${ratios(col((r) => f(r).rate / r.base.memcpy))} | ${cpu(f)} |`);
  }
  console.log(`| JS array read (baseline) | ${spread(col((r) => r.base.arrayRead))} | 1.00x | | |`);
  for (const run of CONSUME_RUNS) {
    const [mode, settings] = run.split(' ');
    const label = `consume eachBatch, ${mode === 'messages' ? 'batch.messages (kafkajs-shaped)' : 'batch.records() (in place)'}, ${settings === 'tuned' ? 'tuned (16 MiB fetches, 4 MiB per partition)' : 'consumer defaults'}`;
    const f = (r: RoundFigures) => r.consume[run];
    const first = (r: RoundFigures) => f(r).firstHalf!;
    console.log(
      `| ${label} | ${spread(col((r) => f(r).rate))} | ${ratios(col((r) => f(r).rate / r.base.arrayRead))} | | ${cpu(f)} | ${spread(col((r) => first(r).rate))}, ${cpu(first)} | ${median(col((r) => f(r).joinMs ?? 0)).toFixed(1)} ms |`,
    );
  }
  const best = (f: (r: RoundFigures) => Rate) => formatRate(median(col((r) => f(r).rate)), 'records');
  console.log(
    `targets: produce >= 2 M records/s (tuned ${best((r) => r.produce.tuned)}, defaults ${best((r) => r.produce.defaults)}), ` +
      `consume >= 10 M records/s (defaults: messages ${best((r) => r.consume['messages defaults'])}, records() ${best((r) => r.consume['records defaults'])}; ` +
      `tuned: messages ${best((r) => r.consume['messages tuned'])}, records() ${best((r) => r.consume['records tuned'])}); ` +
      'on an idle core the cpu per record is the time per record: 500 ns is 2 M/s, 100 ns is 10 M/s',
  );
}

interface LatencyRun {
  /** Tuned: acks 1 and a 1 s long poll. Defaults: what a new user gets (acks -1, default consumer). */
  settings: 'tuned' | 'defaults';
  /** Records produced (1000 per send) in the same process before measuring. */
  preload: number;
}

interface LatencyResult {
  histogram: hdr.Histogram;
  gcCount: number;
  gcMaxMs: number;
  loopDelayP99Ms: number;
}

async function latency(samples: number, run: LatencyRun): Promise<LatencyResult> {
  const skein = await Skein.open({ dir: join(root, `lat-${run.settings}-${Date.now()}`), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 'latency', numPartitions: 1 }] });
  const value = Buffer.alloc(100, 0x61);
  if (run.preload > 0) {
    const bulk = skein.producer();
    const messages = Array.from({ length: 1000 }, () => ({ value }));
    const inFlight: Promise<unknown>[] = [];
    for (let sent = 0; sent < run.preload; sent += 1000) {
      inFlight.push(bulk.send({ topic: 'bulk', messages }));
      if (inFlight.length >= 16) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }
  const producer = skein.producer();
  await producer.connect();
  const consumer = run.settings === 'tuned' ? skein.consumer({ groupId: 'latency', maxWaitTimeInMs: 1000 }) : skein.consumer({ groupId: 'latency' });
  await consumer.subscribe({ topic: 'latency' });
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: 3 });
  let sentAt = 0n;
  let next!: () => void;
  await consumer.run({
    eachMessage: async () => {
      histogram.recordValue(Number(process.hrtime.bigint() - sentAt) / 1000);
      next();
    },
  });
  while (consumer.health().status !== 'consuming' || consumer.assignment().length === 0) await new Promise((r) => setTimeout(r, 10));
  const gcs: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcs.push(entry.duration);
  });
  observer.observe({ entryTypes: ['gc'] });
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  for (let i = 0; i < samples + 100; i++) {
    const arrived = new Promise<void>((resolve) => (next = resolve));
    sentAt = process.hrtime.bigint();
    if (run.settings === 'tuned') await producer.send({ topic: 'latency', messages: [{ value }], acks: 1 });
    else await producer.send({ topic: 'latency', messages: [{ value }] });
    await arrived;
    if (i === 99) {
      histogram.reset(); // warm-up
      gcs.length = 0;
      loopDelay.enable();
    }
  }
  loopDelay.disable();
  observer.disconnect();
  await skein.close();
  return { histogram, gcCount: gcs.length, gcMaxMs: Math.max(0, ...gcs), loopDelayP99Ms: loopDelay.percentile(99) / 1e6 };
}

async function main(): Promise<void> {
  printEnvironment();
  const total = QUICK ? 200_000 : 1_000_000;
  const value = Buffer.alloc(100, 0x61);
  for (const partitions of [1, 8]) {
    const rounds: RoundFigures[] = [];
    const count = partitions === 1 ? ROUNDS : 1;
    for (let n = 0; n < count; n++) rounds.push(await round(partitions, total, value, n));
    printThroughput(partitions, total, rounds);
  }
  if (THROUGHPUT_ONLY) {
    rmSync(root, { recursive: true, force: true });
    return;
  }
  const samples = QUICK ? 2000 : 20_000;
  console.log('\n## single-record latency, send -> eachMessage, 1 partition');
  console.log('| settings | p50 | p99 | p99.9 | max | GCs during | longest GC | event-loop delay p99 |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const runs: Array<[string, LatencyRun]> = [
    ['tuned (acks 1, maxWait 1 s), no preload', { settings: 'tuned', preload: 0 }],
    [`defaults (acks -1, default consumer), after ${QUICK ? '200 k' : '1 M'} records produced`, { settings: 'defaults', preload: QUICK ? 200_000 : 1_000_000 }],
  ];
  for (const [name, run] of runs) {
    const { histogram: h, gcCount, gcMaxMs, loopDelayP99Ms } = await latency(samples, run);
    console.log(
      `| ${name} | ${h.getValueAtPercentile(50)} us | ${h.getValueAtPercentile(99)} us | ${h.getValueAtPercentile(99.9)} us | ${Math.round(h.maxValue)} us | ${gcCount} | ${gcMaxMs.toFixed(2)} ms | ${loopDelayP99Ms.toFixed(2)} ms |`,
    );
  }
  console.log('targets: p50 < 50 us, p99 < 200 us with the defaults (Redis Streams over loopback here: 60 us / 240 us)');
  console.log('the event-loop delay is what the process as a whole saw (other processes on the machine included): a p99 in ms says the samples above it were stolen, not spent in Skein');
  rmSync(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
