/**
 * Append path of the partition log: 100-byte records in batches of 1, 10, 100 and 1000, with
 * the flush policy "never" (acknowledged in the page cache) and "every batch" (msync per
 * batch, group commit), and 16 KiB batches against a plain memcpy into a mapping.
 *
 * Baselines in the same run: `Buffer.set` of the same bytes into an external buffer over a
 * mapped, preallocated file (what an append must at least do), and fs.writeSync + fdatasync
 * for the durable case.
 */
import { mkdtempSync, rmSync, openSync, writeSync, fdatasyncSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PartitionLog } from '../src/storage/partition-log.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { native } from '../src/native/binding.js';
import { compare, printEnvironment, printTable, QUICK } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-append-'));
const SEGMENT_BYTES = 512 * 1024 * 1024;

function batchOf(records: number, valueBytes: number): Buffer {
  const value = Buffer.alloc(valueBytes, 0x61);
  return encodeRecordBatch(Array.from({ length: records }, () => ({ value, timestamp: Date.now() })));
}

/** A mapped, preallocated, faulted-in file and a cursor: the memcpy baseline. */
function mappedTarget(name: string) {
  const file = new native.MappedFile(join(root, name), { create: true, writable: true });
  file.allocate(SEGMENT_BYTES);
  file.map(SEGMENT_BYTES);
  // Resident pages: the baseline is the copy itself, not the page faults of first touches.
  file.populate(0, SEGMENT_BYTES);
  const mapping = file.buffer();
  let position = 0;
  return {
    copy(src: Buffer) {
      if (position + src.length > SEGMENT_BYTES) position = 0;
      if (mapping) mapping.set(src, position);
      else file.write(src, position);
      position += src.length;
    },
    close: () => file.close(),
  };
}

let logs: PartitionLog[] = [];
let counter = 0;
async function freshLog(config: Record<string, number> = {}): Promise<PartitionLog> {
  const log = await PartitionLog.open(join(root, `log-${counter++}`), {
    config: { segmentBytes: SEGMENT_BYTES, retentionBytes: 2 * SEGMENT_BYTES, ...config },
  });
  logs.push(log);
  return log;
}

async function closeLogs(): Promise<void> {
  await Promise.all(logs.map((l) => l.close()));
  logs = [];
}

/**
 * Append of 16 KiB batches against memcpy of the same bytes, each writing the same number of
 * bytes into fresh pages: a new preallocated, mapped file for memcpy, a new log for append.
 * First writes to a page of a shared mapping take a page fault, so this is the honest
 * baseline for an append path; memcpy into already resident pages is printed too. Three
 * alternating rounds, medians reported.
 */
async function compareWithMemcpy(batch: Buffer): Promise<void> {
  const totalBytes = QUICK ? 256 * 1024 * 1024 : 1024 * 1024 * 1024;
  const count = Math.floor(totalBytes / batch.length);
  const rate = (bytes: number, started: bigint) => bytes / (Number(process.hrtime.bigint() - started) / 1e9);
  const fresh: number[] = [];
  const appended: number[] = [];
  const resident: number[] = [];
  const residentTarget = mappedTarget(`resident-${counter++}`);
  for (let i = 0; i < count; i++) residentTarget.copy(batch); // fault everything in first
  // Each pass starts with no dirty pages: past the kernel's dirty limits a writer is throttled to
  // the disk's speed (balance_dirty_pages), which would measure the disk and whichever pass
  // came second, not the write path.
  const settle = () => execFileSync('sync');
  for (let round = 0; round < 3; round++) {
    settle();
    const path = join(root, `fresh-${counter++}`);
    const file = new native.MappedFile(path, { create: true, writable: true });
    file.allocate(count * batch.length);
    file.map(count * batch.length);
    const mapping = file.buffer()!;
    let started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) mapping.set(batch, i * batch.length);
    fresh.push(rate(count * batch.length, started));
    file.close();
    rmSync(path);

    const log = await PartitionLog.open(join(root, `log-${counter++}`), { config: { segmentBytes: SEGMENT_BYTES } });
    settle();
    started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) log.appendSync(batch);
    appended.push(rate(count * batch.length, started));
    await log.close();
    rmSync(log.dir, { recursive: true, force: true });

    settle();
    started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) residentTarget.copy(batch);
    resident.push(rate(count * batch.length, started));
  }
  residentTarget.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
  const rows = [
    { name: 'memcpy into fresh pages of a mapped file (baseline)', unitsPerSec: median(fresh) },
    { name: 'PartitionLog.appendSync into a fresh log', unitsPerSec: median(appended) },
    { name: 'memcpy into resident pages', unitsPerSec: median(resident) },
  ];
  printTable(
    `append of ${batch.length} B batches, ${(count * batch.length / 2 ** 20).toFixed(0)} MiB per round, median of 3 (target: append within 2x of memcpy)`,
    rows.map((r) => ({ ...r, opsPerSec: r.unitsPerSec / batch.length, ratio: r.unitsPerSec / rows[0]!.unitsPerSec })),
    'bytes',
    'memcpy into fresh pages',
  );
  console.log(`append / memcpy into fresh pages = ${(rows[1]!.unitsPerSec / rows[0]!.unitsPerSec).toFixed(2)}; append / memcpy into resident pages = ${(rows[1]!.unitsPerSec / rows[2]!.unitsPerSec).toFixed(2)}`);
}

async function main(): Promise<void> {
  printEnvironment();
  const target = mappedTarget('memcpy-baseline');

  for (const records of [1, 10, 100, 1000]) {
    const batch = batchOf(records, 100);
    let log!: PartitionLog;
    let appended = 0;
    await compare(`append, ${records} x 100 B records per batch (${batch.length} B), flush never`, {
      unit: 'records',
      baseline: { name: 'memcpy into mapping', unitsPerOp: records, fn: () => target.copy(batch) },
      tasks: [
        {
          name: 'PartitionLog.appendSync',
          unitsPerOp: records,
          setup: async () => {
            log = await freshLog();
          },
          fn: () => {
            log.appendSync(batch);
            if (++appended % 4096 === 0) log.applyRetention();
          },
        },
        {
          name: 'PartitionLog.append (await)',
          unitsPerOp: records,
          setup: async () => {
            log = await freshLog();
          },
          fn: () => log.append(batch),
        },
      ],
    });
    await closeLogs();
  }

  await compareWithMemcpy(batchOf(160, 100)); // ~16 KiB batches

  // Durable appends: every batch is msync'd before it is acknowledged.
  const fd = openSync(join(root, 'fsync-baseline'), 'w');
  for (const records of [1, 100]) {
    const batch = batchOf(records, 100);
    const inFlight = 64;
    let durable!: PartitionLog;
    await compare(`append with flush.messages=1, ${records} x 100 B per batch`, {
      unit: 'records',
      timeMs: QUICK ? 300 : 2000,
      baseline: {
        name: 'fs.writeSync + fdatasync',
        unitsPerOp: records,
        fn: () => {
          writeSync(fd, batch);
          fdatasyncSync(fd);
        },
      },
      tasks: [
        {
          name: 'append, one at a time',
          unitsPerOp: records,
          setup: async () => {
            durable = await freshLog({ flushMessages: 1 });
          },
          fn: () => durable.append(batch),
        },
        {
          name: `append, ${inFlight} in flight (group commit)`,
          unitsPerOp: records * inFlight,
          setup: async () => {
            durable = await freshLog({ flushMessages: 1 });
          },
          fn: () => Promise.all(Array.from({ length: inFlight }, () => durable.append(batch))),
        },
      ],
    });
    await closeLogs();
  }
  closeSync(fd);
  target.close();
  rmSync(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
