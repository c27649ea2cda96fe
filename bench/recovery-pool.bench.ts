/**
 * A broker opening many partitions after an unclean stop, with the partitions' worker pool
 * and without it, in the same run: how long the open takes and the event-loop delay p99 / max
 * meanwhile (bench/event-loop-probe.ts). Without the pool the CRC scan is addon async work
 * but the index walk (a copy and a header read per batch) and the producer-state rebuild run
 * on the event loop; with it both run on each partition's lane and only their small results
 * come back (partition/pooled-recovery.ts). Each partition holds one segment of small batches
 * (1-2 records of 100 B: the worst case for the walk, a header per ~170 bytes), left without
 * its clean-shutdown marker so the whole segment is recovered. Modes alternate, twice each,
 * on the same files (warm page cache). Target (issue 10): the event loop stays responsive
 * (delay p99 under 10 ms) while partitions recover on the pool.
 */
import { mkdtempSync, readdirSync, rmSync, unlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Skein } from '../src/client/skein.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { WorkerPool, defaultPoolSize } from '../src/workers/pool.js';
import { printEnvironment, QUICK } from './harness.js';
import { DelayProbe } from './event-loop-probe.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-recovery-'));
const PARTITIONS = 8;
const BYTES_PER_PARTITION = (QUICK ? 8 : 32) * 1024 * 1024;
const ROUNDS = 2;

/** Many small batches in one buffer (the log gives them their offsets). */
function smallBatches(bytes: number): Buffer {
  const parts: Buffer[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const records = Array.from({ length: 1 + (i % 2) }, (_, r) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(100, 97 + ((i + r) % 26)) }));
    const batch = encodeRecordBatch(records);
    parts.push(batch);
    size += batch.length;
  }
  return Buffer.concat(parts);
}

function markUnclean(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const marker = join(dir, name, '.clean-shutdown');
    if (name.startsWith('t-') && existsSync(marker)) {
      unlinkSync(marker);
      n += 1;
    }
  }
  return n;
}

async function build(dir: string): Promise<number> {
  const skein = await Skein.open({ dir, workerPool: false });
  await skein.admin.createTopics({ topics: [{ topic: 't', numPartitions: PARTITIONS }] });
  const chunk = smallBatches(1024 * 1024);
  let batches = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    for (let written = 0; written < BYTES_PER_PARTITION; written += chunk.length) {
      await skein.broker.produce('t', p, chunk, 1);
    }
  }
  batches = skein.broker.partitionFor('t', 0).logEndOffset;
  await skein.close();
  return batches;
}

interface Recovered {
  ms: number;
  /** Event-loop busy time during the open (performance.eventLoopUtilization: this thread only). */
  busyMs: number;
  p99: number;
  max: number;
}

async function recover(dir: string, pool: WorkerPool | false): Promise<Recovered> {
  const unclean = markUnclean(dir);
  if (unclean !== PARTITIONS) throw new Error(`expected ${PARTITIONS} partitions to recover, found ${unclean}`);
  const warnings: string[] = [];
  (globalThis as { gc?: () => void }).gc?.();
  const probe = new DelayProbe();
  const elu = performance.eventLoopUtilization();
  const started = process.hrtime.bigint();
  const skein = await Skein.open({ dir, workerPool: pool, onWarning: (m: string) => warnings.push(m) });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const busyMs = performance.eventLoopUtilization(elu).active;
  const { p99, max } = probe.stop();
  const recovered = warnings.filter((m) => m.includes('not closed cleanly') && m.includes('/t-')).length;
  if (recovered !== PARTITIONS) throw new Error(`recovered ${recovered} partitions, expected ${PARTITIONS}`);
  await skein.close();
  return { ms, busyMs, p99, max };
}

async function main(): Promise<void> {
  printEnvironment();
  const dir = join(root, 'data');
  const records = await build(dir);
  console.log(
    `pool size ${defaultPoolSize()} (cores less one); ${PARTITIONS} partitions, each one segment of ${BYTES_PER_PARTITION / 1024 / 1024} MiB ` +
      `(${records} records of 100 B in batches of 1-2), recovered whole after an unclean stop`,
  );
  const pool = new WorkerPool();
  await pool.warmUp();
  console.log('\n## broker open after an unclean stop: recovery on the pool vs on the event loop');
  console.log('| round | mode | open time | event loop busy during the open | event-loop delay p99 / max |');
  console.log('| --- | --- | ---: | ---: | ---: |');
  for (let round = 1; round <= ROUNDS; round++) {
    const inline = await recover(dir, false);
    const pooled = await recover(dir, pool);
    console.log(`| ${round} | inline (baseline) | ${inline.ms.toFixed(0)} ms | ${inline.busyMs.toFixed(0)} ms | ${inline.p99.toFixed(1)} / ${inline.max.toFixed(1)} ms |`);
    console.log(
      `| ${round} | pool | ${pooled.ms.toFixed(0)} ms (${(pooled.ms / inline.ms).toFixed(2)}x) | ${pooled.busyMs.toFixed(0)} ms (${(pooled.busyMs / inline.busyMs).toFixed(2)}x) | ` +
        `${pooled.p99.toFixed(1)} / ${pooled.max.toFixed(1)} ms (p99 ${(pooled.p99 / inline.p99).toFixed(2)}x) |`,
    );
  }
  console.log('target: with the pool, event-loop delay p99 < 10 ms while partitions recover');
  await pool.close();
  rmSync(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
