/**
 * Compressed traffic on eight partitions, with the partitions' worker pool and without it
 * (all inline), in the same run, for each codec:
 *  - produce: records/s through Broker.produce (the protocol server's path), 2000-record
 *    compressed batches (over the pool threshold), 4 requests in flight per partition, and the
 *    broker's event-loop delay meanwhile (a 1 ms interval timer's lateness, as
 *    perf_hooks.monitorEventLoopDelay measures it, plus the final gap when the run ends:
 *    monitorEventLoopDelay records nothing for a loop blocked from enable() to disable(), which
 *    read as 0 ms for a wholly blocking inline run);
 *  - consume: records/s through the embedded consumer (eachBatch, every value touched), which
 *    decompresses large batches on the pool, and the event-loop delay meanwhile.
 * The delay is reported as the p99 over the ticks of every round of a mode together (a single
 * consume window has too few ticks for a p99 of its own).
 * Ratios: with pool / inline. Targets (issue 10): with the pool, event-loop delay p99 < 10 ms
 * at full load, and throughput at least that of inline work.
 *
 * One pool serves every pooled run, as one broker's pool serves it for its life, and each mode
 * first runs an untimed pass of the same traffic: the codecs' JavaScript (our lz4 decoder, the
 * record parser) is compiled per thread, and a pool made per run measured a cold worker
 * against a warm event loop (lz4 consume 0.28x). Modes alternate, ROUNDS times per codec, the
 * first of each pair alternating too (ABBA).
 * The broker is in service before the measured windows (its __consumer_offsets open, every
 * partition appended to once), and the idle loop's delay is printed before and after the run
 * as the machine's noise floor.
 *
 * Profiling where the loop is held: SKEIN_POOL_BENCH_CODECS=gzip SKEIN_POOL_BENCH_ROUNDS=1
 * node --expose-gc --cpu-prof out/bench/partition-pool.bench.js, then the samples of the main
 * thread's profile inside the probe's late ticks (docs/compression.md, Pools).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { Skein } from '../src/client/skein.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { WorkerPool, defaultPoolSize } from '../src/workers/pool.js';
import { printEnvironment, formatRate, QUICK } from './harness.js';
import { wordValues } from './word-values.js';
import { DelayProbe, delayHistogram } from './event-loop-probe.js';
import type { Histogram } from 'hdr-histogram-js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-pool-'));
const PARTITIONS = 8;
const RECORDS_PER_BATCH = 2000;
// 144 batches x 2000 records x 8 partitions: a window lasts 0.3-0.8 s here, and the five rounds
// of a mode give the delay's p99 700-2800 ticks (with 48 batches, 250-600: the p99 was the
// third or fourth largest stall of a mode, and stalls that come late in a long burst were
// left out).
const BATCHES_PER_PARTITION = Number(process.env.SKEIN_POOL_BENCH_BATCHES ?? (QUICK ? 8 : 144));
const ROUNDS = Number(process.env.SKEIN_POOL_BENCH_ROUNDS ?? (QUICK ? 1 : 5));
/** SKEIN_POOL_BENCH_CODECS=gzip,lz4 runs only those codecs (for profiling). */
const CODECS = (process.env.SKEIN_POOL_BENCH_CODECS?.split(',') ?? ['gzip', 'snappy', 'lz4', 'zstd']) as Array<'gzip' | 'snappy' | 'lz4' | 'zstd'>;
const IN_FLIGHT_PER_PARTITION = 4;

interface Figures {
  produce: number;
  /** The probe's ticks over the produce window (lateness in µs). */
  produceDelay: Histogram;
  /** Event-loop busy time per 1000 records produced (performance.eventLoopUtilization: this thread only). */
  produceLoopUs: number;
  consume: number;
  consumeDelay: Histogram;
  consumeLoopUs: number;
}

/**
 * A broker in service, not one being set up, per codec and mode, kept open across the rounds:
 * __consumer_offsets (50 partitions, opened at the first FindCoordinator of the broker's life:
 * ~100-300 ms of log opens that landed in the consume window) exists, and its heap is that of a
 * process under this load. A broker opened per round measured its first seconds instead: the
 * previous broker's close had let V8 shrink the heap (a memory-reducing mark-compact), so its
 * old-generation limit sat 8-10 MB above the live heap and each consume window ran 2-5
 * mark-compacts in both modes, inline or pooled, which no long-running broker does.
 */
async function openBroker(codec: string, pool: WorkerPool | false): Promise<Skein> {
  const skein = await Skein.open({ dir: join(root, `${codec}-${pool !== false}`), groupInitialRebalanceDelayMs: 0, workerPool: pool });
  await skein.broker.findCoordinator('g');
  return skein;
}

let runs = 0;

/** One round on `skein`: a fresh 8-partition topic produced (measured), then consumed by a fresh group (measured). */
async function run(skein: Skein, codec: 'gzip' | 'snappy' | 'lz4' | 'zstd'): Promise<Figures> {
  const batches = BATCHES_PER_PARTITION;
  const topic = `t${runs++}`;
  await skein.admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  // Each partition takes its first append (which writes its leader epoch checkpoint with an
  // fsync) before the measured window.
  const first = encodeRecordBatch([{ value: Buffer.from('first') }]);
  for (let partition = 0; partition < PARTITIONS; partition++) await skein.broker.produce(topic, partition, first, 1);
  const batch = encodeRecordBatch(wordValues(RECORDS_PER_BATCH).map((value) => ({ value })), { compression: codec });
  // No forced gc() before a window: a full collection leaves V8's limits just above the live
  // heap, and the window then paid the mark-compacts that a process under load does not (the
  // ABBA order shares out what the window before leaves behind).
  const delay = new DelayProbe();
  let elu = performance.eventLoopUtilization();
  let started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, partition) => {
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; i < batches; i++) {
        inFlight.push(skein.broker.produce(topic, partition, batch, 1));
        if (inFlight.length >= IN_FLIGHT_PER_PARTITION) await inFlight.shift();
        // Let requests of other partitions in, as connections would.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(inFlight);
    }),
  );
  const total = PARTITIONS * batches * RECORDS_PER_BATCH;
  const expected = total + PARTITIONS;
  const produce = total / (Number(process.hrtime.bigint() - started) / 1e9);
  const produceLoopUs = (performance.eventLoopUtilization(elu).active * 1000) / (total / 1000);
  const produceDelay = delay.stop().histogram;

  const consumer = skein.consumer({ groupId: `g-${topic}`, maxBytes: 64 * 1024 * 1024, maxBytesPerPartition: 8 * 1024 * 1024 });
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let bytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const consumeDelay = new DelayProbe();
  elu = performance.eventLoopUtilization();
  started = process.hrtime.bigint();
  await consumer.run({
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch: b }) => {
      for (const m of b.messages) bytes += m.value!.length;
      received += b.messages.length;
      if (received >= expected) done();
    },
  });
  await finished;
  const consume = total / (Number(process.hrtime.bigint() - started) / 1e9);
  const consumeLoopUs = (performance.eventLoopUtilization(elu).active * 1000) / (total / 1000);
  const consumeDelayTicks = consumeDelay.stop().histogram;
  if (bytes !== total * 100 + PARTITIONS * 5) throw new Error(`consumed ${bytes} bytes, expected ${total * 100 + PARTITIONS * 5}`);
  await consumer.disconnect();
  return { produce, produceDelay, produceLoopUs, consume, consumeDelay: consumeDelayTicks, consumeLoopUs };
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted.length % 2 === 1 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
}

/** "median (min-max)" of per-round ratios pool / inline. */
function ratios(pool: number[], inline: number[]): string {
  const r = pool.map((p, i) => p / inline[i]!);
  return `${median(r).toFixed(2)}x (${Math.min(...r).toFixed(2)}-${Math.max(...r).toFixed(2)})`;
}

async function main(): Promise<void> {
  printEnvironment();
  console.log(`pool size ${process.env.SKEIN_POOL_BENCH_SIZE ?? defaultPoolSize()} (default: cores less one, ${defaultPoolSize()}); ${PARTITIONS} partitions x ${BATCHES_PER_PARTITION} batches of ${RECORDS_PER_BATCH} x 100 B; ${ROUNDS} rounds per codec, modes alternating`);
  // The noise floor: the same probe over an idle second (other processes on these cores show here).
  const idle = new DelayProbe();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const floor = idle.stop();
  console.log(`idle event loop (noise floor), 1 s: delay p99 ${floor.p99.toFixed(1)} ms, max ${floor.max.toFixed(1)} ms; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  // Thread start and module loading are paid once per broker, not per batch: not measured.
  // SKEIN_POOL_BENCH_SIZE: lanes (default: the broker's default, cores less one); SKEIN_POOL_BENCH_IN_FLIGHT:
  // tasks handed ahead to a lane's thread (default: the pool's, DEFAULT_TASKS_IN_FLIGHT).
  const pool = new WorkerPool({
    size: process.env.SKEIN_POOL_BENCH_SIZE ? Number(process.env.SKEIN_POOL_BENCH_SIZE) : undefined,
    tasksInFlight: process.env.SKEIN_POOL_BENCH_IN_FLIGHT ? Number(process.env.SKEIN_POOL_BENCH_IN_FLIGHT) : undefined,
  });
  await pool.warmUp();
  const rows: string[] = [];
  for (const codec of CODECS) {
    const inlineBroker = await openBroker(codec, false);
    const pooledBroker = await openBroker(codec, pool);
    // Untimed: compiles the codec's path on the event loop and on the worker, and brings each
    // broker's heap to where this load keeps it.
    await run(inlineBroker, codec);
    await run(pooledBroker, codec);
    const inline: Figures[] = [];
    const pooled: Figures[] = [];
    // ABBA: which mode goes first alternates by round. With inline always first, identical
    // code (snappy and zstd consume stay inline in both modes) measured 0.81-0.92x in the
    // second slot: the order, not the mode.
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        inline.push(await run(inlineBroker, codec));
        pooled.push(await run(pooledBroker, codec));
      } else {
        pooled.push(await run(pooledBroker, codec));
        inline.push(await run(inlineBroker, codec));
      }
    }
    await inlineBroker.close();
    await pooledBroker.close();
    const m = (fs: Figures[], f: 'produce' | 'consume' | 'produceLoopUs' | 'consumeLoopUs') => median(fs.map((x) => x[f]));
    // The delay's p99 over every round's ticks together: one consume window holds 50-150 ticks
    // (the loop is busy, so a 1 ms timer fires every 2-3 ms), and the p99 of one window was its
    // largest or second-largest stall, a median of maxima rather than a p99.
    const p99 = (fs: Figures[], f: 'produceDelay' | 'consumeDelay') => {
      const all = delayHistogram();
      for (const x of fs) all.add(x[f]);
      return `${(all.getValueAtPercentile(99) / 1000).toFixed(1)}`;
    };
    const ticks = (fs: Figures[], f: 'produceDelay' | 'consumeDelay') => fs.reduce((n, x) => n + x[f].totalCount, 0);
    rows.push(
      `| ${codec} | produce | ${formatRate(m(inline, 'produce'), 'records')} | ${formatRate(m(pooled, 'produce'), 'records')} | ${ratios(pooled.map((x) => x.produce), inline.map((x) => x.produce))} | ` +
        `${m(inline, 'produceLoopUs').toFixed(0)} / ${m(pooled, 'produceLoopUs').toFixed(0)} µs | ${p99(inline, 'produceDelay')} / ${p99(pooled, 'produceDelay')} ms (${ticks(inline, 'produceDelay')} / ${ticks(pooled, 'produceDelay')} ticks) |`,
      `| ${codec} | consume | ${formatRate(m(inline, 'consume'), 'records')} | ${formatRate(m(pooled, 'consume'), 'records')} | ${ratios(pooled.map((x) => x.consume), inline.map((x) => x.consume))} | ` +
        `${m(inline, 'consumeLoopUs').toFixed(0)} / ${m(pooled, 'consumeLoopUs').toFixed(0)} µs | ${p99(inline, 'consumeDelay')} / ${p99(pooled, 'consumeDelay')} ms (${ticks(inline, 'consumeDelay')} / ${ticks(pooled, 'consumeDelay')} ticks) |`,
    );
  }
  await pool.close();
  // The floor again: other processes' load changes during a run of minutes.
  const idleAfter = new DelayProbe();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const floorAfter = idleAfter.stop();
  console.log(`idle event loop (noise floor) after the run, 1 s: delay p99 ${floorAfter.p99.toFixed(1)} ms, max ${floorAfter.max.toFixed(1)} ms; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('\n## compressed traffic on 8 partitions: worker pool vs inline (medians over the rounds; ratio pool / inline per round: median (min-max))');
  console.log('(consumer decompression goes to the pool from a threshold per codec, client/pooled-decompression.ts: 2000-record snappy and zstd batches are decompressed inline in both modes, so their consume ratios show the noise of identical runs)');
  console.log('| codec | side | inline (baseline) | pool | pool / inline | event-loop busy per 1000 records, inline / pool | event-loop delay p99 over all rounds, inline / pool |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
  console.log('targets: with the pool, event-loop delay p99 < 10 ms at full load; throughput >= inline');
  rmSync(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
