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
import { join } from 'node:path';
import { PartitionLog } from '../src/storage/partition-log.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { native } from '../src/native/binding.js';
import { compare, printEnvironment, QUICK } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-append-'));
const SEGMENT_BYTES = 512 * 1024 * 1024;

function batchOf(records: number, valueBytes: number): Buffer {
  const value = Buffer.alloc(valueBytes, 0x61);
  return encodeRecordBatch(Array.from({ length: records }, () => ({ value, timestamp: Date.now() })));
}

/** A mapped, preallocated file and a cursor: the memcpy baseline. */
function mappedTarget(name: string) {
  const file = new native.MappedFile(join(root, name), { create: true, writable: true });
  file.allocate(SEGMENT_BYTES);
  file.map(SEGMENT_BYTES);
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

  const big = batchOf(160, 100); // ~16 KiB
  let log!: PartitionLog;
  const bigResult = await compare(`append of ${big.length} B batches vs memcpy of the same bytes (target: within 2x)`, {
    unit: 'bytes',
    baseline: { name: 'memcpy into mapping', unitsPerOp: big.length, fn: () => target.copy(big) },
    tasks: [
      {
        name: 'PartitionLog.appendSync',
        unitsPerOp: big.length,
        setup: async () => {
          log = await freshLog();
        },
        fn: () => {
          log.appendSync(big);
          if (log.size > SEGMENT_BYTES) log.applyRetention();
        },
      },
    ],
  });
  console.log(`append / memcpy = ${bigResult[1]!.ratio.toFixed(2)} (1.00 would be memcpy speed; >= 0.50 meets the target)`);
  await closeLogs();

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
