/**
 * Read path of the partition log: a pass over a log of 100-byte records, reading 1 MiB at a
 * time as zero-copy views, then also iterating every record (key and value as views).
 *
 * Baselines in the same run: Buffer.copy of the same bytes (what a copying read would cost)
 * and a JS loop over an array of 100-byte Buffers (the fastest an in-memory queue could hand
 * records to a consumer).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../src/storage/partition-log.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../src/records/record-iterator.js';
import { formatRate, printEnvironment, printTable, QUICK, timeLoop } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-read-'));

async function main(): Promise<void> {
  printEnvironment();
  const total = QUICK ? 200_000 : 1_000_000;
  const perBatch = 1000;
  const value = Buffer.alloc(100, 0x62);
  const log = await PartitionLog.open(join(root, 'log'), { config: { segmentBytes: 64 * 1024 * 1024 } });
  const batch = encodeRecordBatch(Array.from({ length: perBatch }, (_, i) => ({ key: `k${i}`, value, timestamp: Date.now() })));
  for (let i = 0; i < total / perBatch; i++) log.appendSync(batch);
  const logBytes = log.size;
  console.log(`log: ${total.toLocaleString('en-US')} records, ${(logBytes / 2 ** 20).toFixed(1)} MiB in ${log.segmentCount} segments`);

  const readPass = () => {
    let offset = 0;
    let records = 0;
    while (offset < total) {
      const r = log.read(offset, { maxBytes: 1024 * 1024 });
      records += r.nextOffset - offset;
      offset = r.nextOffset;
    }
    return records;
  };
  const scratch = Buffer.allocUnsafe(2 * 1024 * 1024);
  const copyPass = () => {
    let offset = 0;
    let records = 0;
    while (offset < total) {
      const r = log.read(offset, { maxBytes: 1024 * 1024 });
      for (const view of r.views) view.copy(scratch, 0);
      records += r.nextOffset - offset;
      offset = r.nextOffset;
    }
    return records;
  };
  let sink = 0;
  const iteratePass = () => {
    let offset = 0;
    let records = 0;
    while (offset < total) {
      const r = log.read(offset, { maxBytes: 1024 * 1024 });
      for (const view of r.views) {
        for (const b of iterateBatches(view)) {
          for (const record of iterateRecords(b)) {
            sink += record.value!.length;
            records += 1;
          }
        }
      }
      offset = r.nextOffset;
    }
    return records;
  };
  const array = Array.from({ length: total }, () => Buffer.from(value));
  const arrayPass = () => {
    for (const item of array) sink += item.length;
    return array.length;
  };

  const rows = [
    { name: 'JS array of Buffers (baseline)', unitsPerSec: await timeLoop(arrayPass) },
    { name: 'read (zero-copy views)', unitsPerSec: await timeLoop(readPass) },
    { name: 'read + Buffer.copy of the views', unitsPerSec: await timeLoop(copyPass) },
    { name: 'read + iterate every record', unitsPerSec: await timeLoop(iteratePass) },
  ];
  const base = rows[0]!.unitsPerSec;
  printTable(
    'consume a log of 100 B records, 1 MiB per read',
    rows.map((r) => ({ ...r, opsPerSec: NaN, ratio: r.unitsPerSec / base })),
    'records',
    'JS array',
  );
  const bytesPerRecord = logBytes / total;
  console.log(`read as bytes: ${formatRate(rows[1]!.unitsPerSec * bytesPerRecord, 'bytes')}; iterate: ${formatRate(rows[3]!.unitsPerSec, 'records')}`);
  if (sink < 0) console.log(sink);
  await log.close();
  rmSync(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
