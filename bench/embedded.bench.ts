/**
 * The embedded engine as a service uses it: produce and consume 100-byte records through
 * Skein's producer and consumer (batched; 1 and 8 partitions), and single-record end-to-end
 * latency (send → eachMessage) at p50/p99/p999 with hdr-histogram-js.
 *
 * Baseline in the same run: a plain in-memory JS array used as a queue (push 100-byte Buffers,
 * shift them out), the fastest thing an in-process queue could be, with no durability at all.
 * Targets (DESIGN.md): produce >= 2 M records/s, consume by batch >= 10 M records/s, latency
 * p50 < 50 us and p99 < 200 us.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { Skein } from '../src/client/skein.js';
import { formatRate, printEnvironment, printTable, QUICK } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-embedded-'));

function arrayBaseline(total: number, value: Buffer): { produce: number; consume: number } {
  const queue: Buffer[] = [];
  let started = process.hrtime.bigint();
  for (let i = 0; i < total; i++) queue.push(Buffer.from(value));
  const produce = total / (Number(process.hrtime.bigint() - started) / 1e9);
  let sink = 0;
  started = process.hrtime.bigint();
  for (let i = 0; i < total; i++) sink += queue[i]!.length;
  queue.length = 0;
  const consume = total / (Number(process.hrtime.bigint() - started) / 1e9);
  if (sink < 0) console.log(sink);
  return { produce, consume };
}

async function throughput(partitions: number, total: number, value: Buffer): Promise<{ produce: number; consume: number }> {
  const skein = await Skein.open({ dir: join(root, `tp-${partitions}-${Date.now()}`), groupInitialRebalanceDelayMs: 0 });
  const topic = `bench-${partitions}`;
  await skein.admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries: [{ name: 'segment.bytes', value: String(256 * 1024 * 1024) }] }] });
  const producer = skein.producer({ batchSize: 128 * 1024 });
  await producer.connect();
  const perSend = 1000;
  const messages = Array.from({ length: perSend }, (_, i) => ({ key: partitions > 1 ? `k${i}` : null, value }));
  let started = process.hrtime.bigint();
  const inFlight: Promise<unknown>[] = [];
  for (let sent = 0; sent < total; sent += perSend) {
    inFlight.push(producer.send({ topic, messages, acks: 1 }));
    if (inFlight.length >= 16) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const produce = total / (Number(process.hrtime.bigint() - started) / 1e9);

  const consumer = skein.consumer({ groupId: `g-${partitions}`, maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 100 });
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let bytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  started = process.hrtime.bigint();
  await consumer.run({
    autoCommitInterval: 1000,
    eachBatch: async ({ batch }) => {
      // Touch every value, as the array baseline touches every Buffer.
      for (const message of batch.messages) bytes += message.value!.length;
      received += batch.messages.length;
      if (received >= total) done();
    },
  });
  await finished;
  const consume = total / (Number(process.hrtime.bigint() - started) / 1e9);
  if (bytes !== total * value.length) throw new Error(`consumed ${bytes} bytes, expected ${total * value.length}`);
  await skein.close();
  return { produce, consume };
}

interface LatencyRun {
  /** Tuned: acks 1 and a 1 s long poll. Defaults: what a new user gets (acks -1, default consumer). */
  settings: 'tuned' | 'defaults';
  /** Records produced (1000 per send) in the same process before measuring. */
  preload: number;
}

async function latency(samples: number, run: LatencyRun): Promise<{ histogram: hdr.Histogram; gcCount: number; gcMaxMs: number }> {
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
  for (let i = 0; i < samples + 100; i++) {
    const arrived = new Promise<void>((resolve) => (next = resolve));
    sentAt = process.hrtime.bigint();
    if (run.settings === 'tuned') await producer.send({ topic: 'latency', messages: [{ value }], acks: 1 });
    else await producer.send({ topic: 'latency', messages: [{ value }] });
    await arrived;
    if (i === 99) {
      histogram.reset(); // warm-up
      gcs.length = 0;
    }
  }
  observer.disconnect();
  await skein.close();
  return { histogram, gcCount: gcs.length, gcMaxMs: Math.max(0, ...gcs) };
}

async function main(): Promise<void> {
  printEnvironment();
  const total = QUICK ? 200_000 : 1_000_000;
  const value = Buffer.alloc(100, 0x61);
  const base = arrayBaseline(total, value);
  for (const partitions of [1, 8]) {
    const skein = await throughput(partitions, total, value);
    printTable(
      `embedded produce, ${total.toLocaleString('en-US')} x 100 B, ${partitions} partition(s), batches of 1000, acks=1`,
      [
        { name: 'JS array push (baseline)', unitsPerSec: base.produce, opsPerSec: NaN, ratio: 1 },
        { name: 'Skein producer.send', unitsPerSec: skein.produce, opsPerSec: NaN, ratio: skein.produce / base.produce },
      ],
      'records',
      'JS array',
    );
    printTable(
      `embedded consume (eachBatch), ${partitions} partition(s)`,
      [
        { name: 'JS array read (baseline)', unitsPerSec: base.consume, opsPerSec: NaN, ratio: 1 },
        { name: 'Skein consumer eachBatch', unitsPerSec: skein.consume, opsPerSec: NaN, ratio: skein.consume / base.consume },
      ],
      'records',
      'JS array',
    );
    console.log(`targets: produce >= 2 M records/s (${formatRate(skein.produce, 'records')}), consume >= 10 M records/s (${formatRate(skein.consume, 'records')})`);
  }
  const samples = QUICK ? 2000 : 20_000;
  console.log('\n## single-record latency, send -> eachMessage, 1 partition');
  console.log('| settings | p50 | p99 | p99.9 | max | GCs during | longest GC |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const runs: Array<[string, LatencyRun]> = [
    ['tuned (acks 1, maxWait 1 s), fresh process', { settings: 'tuned', preload: 0 }],
    [`defaults (acks -1, default consumer), after ${QUICK ? '200 k' : '1 M'} records produced`, { settings: 'defaults', preload: QUICK ? 200_000 : 1_000_000 }],
  ];
  for (const [name, run] of runs) {
    const { histogram: h, gcCount, gcMaxMs } = await latency(samples, run);
    console.log(`| ${name} | ${h.getValueAtPercentile(50)} us | ${h.getValueAtPercentile(99)} us | ${h.getValueAtPercentile(99.9)} us | ${h.maxValue} us | ${gcCount} | ${gcMaxMs.toFixed(2)} ms |`);
  }
  console.log('targets: p50 < 50 us, p99 < 200 us with the defaults (Redis Streams over loopback here: 60 us / 240 us)');
  rmSync(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
