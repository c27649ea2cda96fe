/**
 * The log cleaner: MB/s of log cleaned (bytes of the segments rewritten per second of a pass),
 * on the worker thread and inline, next to a plain copy of the same files (read + write +
 * fsync: what a pass must at least do); and produce throughput on another log while a pass
 * runs on the worker thread, next to the same produce loop with no pass running.
 *
 * The log: 100-byte values over 20,000 keys, 8 MiB segments, 5 updates per key (80% of the
 * records are superseded). Each pass cleans a fresh copy of it (made outside the timing).
 */
import { closeSync, copyFileSync, cpSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../src/storage/partition-log.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { printEnvironment, printTable, QUICK, type Measured } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-compaction-'));
const CONFIG = { segmentBytes: 8 * 1024 * 1024, segmentMs: Infinity, minCleanableDirtyRatio: 0 };
const KEYS = 20_000;
const UPDATES = QUICK ? 2 : 5;
const RECORDS_PER_BATCH = 100;

async function buildTemplate(): Promise<{ dir: string; bytes: number }> {
  const dir = join(root, 'template');
  const log = await PartitionLog.open(dir, { config: CONFIG });
  const value = Buffer.alloc(100, 0x61);
  for (let round = 0; round < UPDATES; round++) {
    for (let k = 0; k < KEYS; k += RECORDS_PER_BATCH) {
      log.appendSync(encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, j) => ({ key: `key-${k + j}`, value, timestamp: 1 }))));
    }
  }
  log.roll();
  const bytes = log.size;
  await log.close();
  return { dir, bytes };
}

let copies = 0;
function copyOf(template: string): string {
  const dir = join(root, `copy-${copies++}`);
  cpSync(template, dir, { recursive: true });
  return dir;
}

/** Seconds for one compaction pass over a fresh copy. */
async function timePass(template: string, inline: boolean): Promise<{ seconds: number; bytes: number; after: number }> {
  const log = await PartitionLog.open(copyOf(template), { config: CONFIG });
  const start = process.hrtime.bigint();
  const result = await log.compact({ force: true, inline });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await log.close();
  return { seconds, bytes: result.bytesBefore, after: result.bytesAfter };
}

/** Seconds to copy the segment files of a fresh copy (read, write, fsync each). */
function timeCopy(template: string): { seconds: number; bytes: number } {
  const from = copyOf(template);
  const to = join(root, `plain-${copies++}`);
  cpSync(from, to, { recursive: true, filter: () => true });
  rmSync(to, { recursive: true });
  cpSync(from, to, { recursive: true, filter: (src) => statSync(src).isDirectory() });
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (const name of readdirSync(from).filter((n) => n.endsWith('.log'))) {
    copyFileSync(join(from, name), join(to, name));
    const fd = openSync(join(to, name), 'r+');
    fsyncSync(fd);
    closeSync(fd);
    bytes += statSync(join(from, name)).size;
  }
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, bytes };
}

function best<T extends { seconds: number; bytes: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.bytes / b.seconds > a.bytes / a.seconds ? b : a));
}

/** Records/s appended to a fresh log for `ms`, in batches of 100 records of 100 bytes, yielding to the event loop between batches. */
async function produceFor(ms: number): Promise<number> {
  const log = await PartitionLog.open(join(root, `produce-${copies++}`), { config: { segmentBytes: 256 * 1024 * 1024, segmentMs: Infinity } });
  const batch = encodeRecordBatch(Array.from({ length: 100 }, () => ({ value: Buffer.alloc(100, 0x62), timestamp: 1 })));
  let records = 0;
  const start = Date.now();
  while (Date.now() - start < ms) {
    for (let i = 0; i < 20; i++) {
      log.appendSync(batch);
      records += 100;
    }
    await new Promise((r) => setImmediate(r));
  }
  await log.close();
  return (records * 1000) / ms;
}

printEnvironment();
const template = await buildTemplate();
console.log(`log: ${(template.bytes / 1e6).toFixed(1)} MB, ${KEYS} keys x ${UPDATES} updates, 8 MiB segments`);
const reps = QUICK ? 1 : 3;
const copyRuns = Array.from({ length: reps }, () => timeCopy(template.dir));
const workerRuns: Array<{ seconds: number; bytes: number; after: number }> = [];
const inlineRuns: Array<{ seconds: number; bytes: number; after: number }> = [];
for (let i = 0; i < reps; i++) {
  workerRuns.push(await timePass(template.dir, false));
  inlineRuns.push(await timePass(template.dir, true));
}
const row = (name: string, run: { seconds: number; bytes: number }): Measured => ({ name, opsPerSec: 1 / run.seconds, unitsPerSec: run.bytes / run.seconds, ratio: NaN });
const rows = [row('copy + fsync of the segment files (baseline)', best(copyRuns)), row('compact, worker thread', best(workerRuns)), row('compact, inline (event loop)', best(inlineRuns))];
for (const r of rows) r.ratio = r.unitsPerSec / rows[0]!.unitsPerSec;
printTable('log cleaner throughput (MB of log cleaned per second; ops/s = passes/s)', rows, 'bytes', 'copy');
console.log(`kept ${(best(workerRuns).after / 1e6).toFixed(1)} MB of ${(best(workerRuns).bytes / 1e6).toFixed(1)} MB`);

// Produce with and without a pass running on the worker thread.
const window = QUICK ? 500 : 2000;
const idle = await produceFor(window);
const big = await PartitionLog.open(copyOf(template.dir), { config: CONFIG });
const passes: Promise<unknown>[] = [];
let running = true;
const loop = (async () => {
  while (running) {
    const fresh = await PartitionLog.open(copyOf(template.dir), { config: CONFIG });
    await fresh.compact({ force: true });
    await fresh.close();
  }
})();
passes.push(loop);
const busy = await produceFor(window);
running = false;
await Promise.all(passes);
await big.close();
const inlineBusy = await (async () => {
  let stop = false;
  const cleaner = (async () => {
    while (!stop) {
      const fresh = await PartitionLog.open(copyOf(template.dir), { config: CONFIG });
      await fresh.compact({ force: true, inline: true });
      await fresh.close();
      await new Promise((r) => setImmediate(r));
    }
  })();
  const rate = await produceFor(window);
  stop = true;
  await cleaner;
  return rate;
})();
const produceRows: Measured[] = [
  { name: 'produce, no cleaning (baseline)', opsPerSec: idle / 100, unitsPerSec: idle, ratio: 1 },
  { name: 'produce while the worker thread cleans', opsPerSec: busy / 100, unitsPerSec: busy, ratio: busy / idle },
  { name: 'produce while cleaning inline (event loop)', opsPerSec: inlineBusy / 100, unitsPerSec: inlineBusy, ratio: inlineBusy / idle },
];
printTable('produce throughput on another log while the cleaner runs (100 x 100 B per batch)', produceRows, 'records', 'no cleaning');
rmSync(root, { recursive: true, force: true });
