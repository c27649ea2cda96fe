/**
 * The embedded consumer's per-record path on its own (no group, no fetch loop), over 1 M
 * records of 100 B read from a real log: how fast batches become kafkajs-shaped messages with
 * every value touched. Same run, ratios to the old path:
 *  - old: iterateRecords with its default CRC check of every batch (a second pass: the broker
 *    checked it at append) and a DecodedRecord per record, wrapped in a message object;
 *  - new: BatchMessages (src/client/consumer/consumed-message.ts): no second CRC pass, a RecordCursor
 *    that allocates nothing per record, messages whose value view is made when read;
 *  - records(): eachBatch's cursor over the records in place (consumer/delivered-batch.ts),
 *    nothing allocated per record, the first byte of every value read.
 * Baseline: reading 100-byte Buffers out of a JS array (an in-memory queue).
 * Target (issue 10): 10 M records/s embedded.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PartitionLog } from '../src/storage/partition-log.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../src/records/record-iterator.js';
import { BatchMessages } from '../src/client/consumer/consumed-message.js';
import { batchEntry, DeliveredBatch } from '../src/client/consumer/delivered-batch.js';
import { printEnvironment, printTable, timeLoop, QUICK, formatRate, type Measured } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-consume-'));

async function main(): Promise<void> {
  printEnvironment();
  const total = QUICK ? 200_000 : 1_000_000;
  const perBatch = 1000;
  const value = Buffer.alloc(100, 0x61);
  const log = await PartitionLog.open(join(root, 'p-0'), { config: { segmentBytes: 512 * 1024 * 1024 } });
  const batch = encodeRecordBatch(Array.from({ length: perBatch }, () => ({ value })));
  for (let i = 0; i < total; i += perBatch) log.appendSync(batch);
  const views = log.read(0, { maxBytes: 1 << 30 }).views;

  const array = Array.from({ length: total }, () => Buffer.from(value));
  const baseline = await timeLoop(() => {
    let bytes = 0;
    for (let i = 0; i < array.length; i++) bytes += array[i]!.length;
    if (bytes !== total * 100) throw new Error('baseline miscounted');
    return total;
  });
  const old = await timeLoop(() => {
    let bytes = 0;
    const out: unknown[] = [];
    for (const view of views) {
      for (const b of iterateBatches(view)) {
        for (const record of iterateRecords(b)) {
          const message = { key: record.key, value: record.value, offset: record.offset, record };
          out.push(message);
          bytes += message.value!.length;
          if (out.length >= 10_000) out.length = 0;
        }
      }
    }
    if (bytes !== total * 100) throw new Error('old path miscounted');
    return total;
  });
  const lazy = await timeLoop(() => {
    let bytes = 0;
    const out: unknown[] = [];
    for (const view of views) {
      for (const b of iterateBatches(view)) {
        const messages = new BatchMessages(b, 0);
        for (let m = messages.next(); m !== undefined; m = messages.next()) {
          out.push(m);
          bytes += m.value!.length;
          if (out.length >= 10_000) out.length = 0;
        }
      }
    }
    if (bytes !== total * 100) throw new Error('lazy path miscounted');
    return total;
  });
  const inPlace = await timeLoop(() => {
    let bytes = 0;
    let sink = 0;
    for (const view of views) {
      const entries = [];
      for (const b of iterateBatches(view)) entries.push(batchEntry(b, 0));
      const r = new DeliveredBatch('t', 0, total, entries, total).records();
      while (r.next()) {
        bytes += r.valueLength;
        sink ^= r.bytes[r.valueStart]!;
      }
    }
    if (bytes !== total * 100 || sink < 0) throw new Error('records() path miscounted');
    return total;
  });
  const rows: Measured[] = [
    { name: 'JS array read (baseline)', unitsPerSec: baseline, opsPerSec: NaN, ratio: 1 },
    { name: 'old: iterateRecords (CRC again) + message', unitsPerSec: old, opsPerSec: NaN, ratio: old / baseline },
    { name: 'new: BatchMessages (lazy, no 2nd CRC)', unitsPerSec: lazy, opsPerSec: NaN, ratio: lazy / baseline },
    { name: 'records(): in place, nothing per record', unitsPerSec: inPlace, opsPerSec: NaN, ratio: inPlace / baseline },
  ];
  printTable(`consume path, ${total.toLocaleString('en-US')} x 100 B, batches of ${perBatch}, every value touched`, rows, 'records', 'JS array');
  console.log(`new / old: ${(lazy / old).toFixed(2)}x, records() / old: ${(inPlace / old).toFixed(2)}x; target 10 M records/s (messages ${formatRate(lazy, 'records')}, records() ${formatRate(inPlace, 'records')})`);
  await log.close();
  rmSync(root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(root, { recursive: true, force: true });
  process.exit(1);
});
