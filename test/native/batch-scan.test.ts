/**
 * native/batch_scan.cc through scanBuffer: RecordBatch v2 framing and CRC checks, every stop
 * reason, maxBatches, subarrays, and real batches encoded by kafkajs as an independent oracle.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { native, ScanStop } from '../../src/native/binding.js';
import { HEADER_SIZE, caught, makeBatch, makeBatches, sealBatch } from './helpers.js';

const require = createRequire(import.meta.url);

test('the shared constants', () => {
  assert.equal(
    Object.fromEntries(Object.entries(native.constants).filter(([k]) => k.startsWith('BATCH_'))),
    { BATCH_LOG_OVERHEAD: 12, BATCH_MIN_LENGTH: 49, BATCH_HEADER_SIZE: 61 },
  );
  assert.ok(native.constants.PAGE_SIZE! >= 4096);
});

test('valid batches end exactly: END', () => {
  const { bytes, ends } = makeBatches(50);
  assert.equal(native.scanBuffer(bytes), { validEnd: bytes.length, batches: 50, stop: ScanStop.END });
  assert.equal(native.scanBuffer(Buffer.alloc(0)), { validEnd: 0, batches: 0, stop: ScanStop.END });
  // Every prefix that ends on a boundary is END with the right count.
  ends.forEach((end, i) => {
    assert.equal(native.scanBuffer(bytes.subarray(0, end)), { validEnd: end, batches: i + 1, stop: ScanStop.END });
  });
});

test('the smallest batch is the bare 61-byte header (batchLength 49)', () => {
  const batch = makeBatch(0, HEADER_SIZE, 0);
  assert.is(batch.readInt32BE(8), 49);
  assert.equal(native.scanBuffer(batch), { validEnd: 61, batches: 1, stop: ScanStop.END });
});

test('a zeroed tail: BAD_LENGTH at the last good batch', () => {
  const { bytes, ends } = makeBatches(7);
  const withTail = Buffer.concat([bytes, Buffer.alloc(4096)]);
  assert.equal(native.scanBuffer(withTail), { validEnd: ends[6], batches: 7, stop: ScanStop.BAD_LENGTH });
});

test('batchLength 48 and negative lengths are BAD_LENGTH', () => {
  for (const length of [48, 1, 0, -1, -2147483648]) {
    const batch = makeBatch(0, 200);
    batch.writeInt32BE(length, 8);
    assert.equal(native.scanBuffer(batch), { validEnd: 0, batches: 0, stop: ScanStop.BAD_LENGTH }, String(length));
  }
});

test('truncated tails: TRUNCATED at the last good batch', () => {
  const { bytes, ends } = makeBatches(5);
  const lastStart = ends[3]!;
  // Cut inside the 12-byte log overhead, inside the header, and inside the records.
  for (const cut of [lastStart + 1, lastStart + 11, lastStart + 12, lastStart + 40, ends[4]! - 1]) {
    assert.equal(native.scanBuffer(bytes.subarray(0, cut)), { validEnd: lastStart, batches: 4, stop: ScanStop.TRUNCATED }, `cut ${cut}`);
  }
  // A length far beyond the bytes present (garbage) also stops as TRUNCATED.
  const huge = makeBatch(0, 100);
  huge.writeInt32BE(0x7fffffff, 8);
  assert.is(native.scanBuffer(huge).stop, ScanStop.TRUNCATED);
});

test('magic other than 2: BAD_MAGIC', () => {
  const { bytes, ends } = makeBatches(3);
  for (const magic of [0, 1, 3, 0xff]) {
    const copy = Buffer.from(bytes);
    copy[ends[0]! + 16] = magic;
    assert.equal(native.scanBuffer(copy), { validEnd: ends[0], batches: 1, stop: ScanStop.BAD_MAGIC }, `magic ${magic}`);
  }
});

test('a flipped bit anywhere in CRC coverage or in the stored CRC: BAD_CRC', () => {
  const { bytes, ends } = makeBatches(3);
  const start = ends[1]!;
  const end = ends[2]!;
  for (let position = start + 17; position < end; position++) {
    const copy = Buffer.from(bytes);
    copy[position]! ^= 1 << position % 8;
    assert.equal(native.scanBuffer(copy), { validEnd: start, batches: 2, stop: ScanStop.BAD_CRC }, `position ${position}`);
  }
  // Bytes outside the CRC (baseOffset, partitionLeaderEpoch) are not covered: still valid.
  const copy = Buffer.from(bytes);
  copy.writeBigInt64BE(123456789n, start);
  copy.writeInt32BE(7, start + 12);
  assert.is(native.scanBuffer(copy).stop, ScanStop.END);
});

test('maxBatches: LIMIT when bytes remain, END when none do', () => {
  const { bytes, ends } = makeBatches(10);
  assert.equal(native.scanBuffer(bytes, 3), { validEnd: ends[2], batches: 3, stop: ScanStop.LIMIT });
  assert.equal(native.scanBuffer(bytes, 0), { validEnd: 0, batches: 0, stop: ScanStop.LIMIT });
  assert.equal(native.scanBuffer(bytes, 10), { validEnd: bytes.length, batches: 10, stop: ScanStop.END });
  assert.equal(native.scanBuffer(bytes, 11), { validEnd: bytes.length, batches: 10, stop: ScanStop.END });
  assert.equal(native.scanBuffer(bytes, undefined), { validEnd: bytes.length, batches: 10, stop: ScanStop.END });
});

test('subarrays are scanned from their own start', () => {
  const { bytes, ends } = makeBatches(6);
  const padded = Buffer.concat([Buffer.alloc(37, 0xaa), bytes, Buffer.alloc(5, 0xbb)]);
  const view = padded.subarray(37 + ends[1]!, 37 + ends[4]!);
  assert.equal(native.scanBuffer(view), { validEnd: ends[4]! - ends[1]!, batches: 3, stop: ScanStop.END });
});

test('an edited batch is valid again once its CRC is recomputed', () => {
  const batch = makeBatch(0, 300);
  batch[100] ^= 0xff;
  assert.is(native.scanBuffer(batch).stop, ScanStop.BAD_CRC);
  sealBatch(batch, 0);
  assert.is(native.scanBuffer(batch).stop, ScanStop.END);
});

test('batches encoded by kafkajs (independent encoder) scan clean', async () => {
  const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js');
  const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js');
  const parts: Buffer[] = [];
  for (let b = 0; b < 5; b++) {
    const records = Array.from({ length: 1 + b * 3 }, (_, i) =>
      Record({ offsetDelta: i, timestampDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(`value-${b}-${i}`.repeat(b + 1)) }),
    );
    const encoded = await RecordBatch({ firstOffset: b * 100, lastOffsetDelta: records.length - 1, records });
    parts.push(encoded.buffer as Buffer);
  }
  const bytes = Buffer.concat(parts);
  assert.equal(native.scanBuffer(bytes), { validEnd: bytes.length, batches: 5, stop: ScanStop.END });
});

test('bad arguments are SKEIN_INVALID_ARGUMENT', async () => {
  for (const args of [[], ['x'], [Buffer.alloc(0), -1], [Buffer.alloc(0), 1.5], [Buffer.alloc(0), 'x']]) {
    const err = await caught(() => (native.scanBuffer as (...a: unknown[]) => unknown)(...args));
    assert.is(err.code, 'SKEIN_INVALID_ARGUMENT', JSON.stringify(args));
  }
});

test.run();
