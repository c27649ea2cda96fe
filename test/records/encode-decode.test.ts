/**
 * Round trips through src/records/encode-record-batch.ts and decode-record-batch.ts:
 * arbitrary records and options in, every header and record field checked out, and
 * decode → re-encode reproducing the exact bytes. Also the zero-copy promise of decode
 * and the encoder's defences (re-entrant calls, scratch growth).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { native } from '../../src/native/binding.js';
import {
  encodeRecordBatch,
  type BatchOptions,
  type RecordBytes,
  type RecordInput,
} from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch, type DecodedBatch } from '../../src/records/decode-record-batch.js';
import { iterateRecords } from '../../src/records/record-iterator.js';

const bytesArb: fc.Arbitrary<RecordBytes> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u)) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }) }, // plain Uint8Array, not a Buffer
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  // Values long enough that length varints take 2-3 bytes.
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 20000 }).map((n) => Buffer.alloc(n, n & 0xff)) },
);

const headerKeyArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('', 'trace-id', 'ключ', '键', '🔑'));

const headersArb: fc.Arbitrary<RecordInput['headers']> = fc.oneof(
  fc.constant(undefined),
  fc.array(fc.record({ key: headerKeyArb, value: bytesArb }), { maxLength: 40 }),
  fc.dictionary(headerKeyArb, bytesArb, { maxKeys: 10 }),
);

/** Timestamps around 2023 plus far-away ones, so deltas cover negative values and the > int32 varlong path. */
const timestampArb = fc.oneof(
  fc.integer({ min: 1_690_000_000_000, max: 1_700_000_000_000 }),
  fc.integer({ min: -(2 ** 45), max: 2 ** 45 }),
  fc.constant(0),
);

const recordArb: fc.Arbitrary<RecordInput> = fc.record(
  {
    key: fc.oneof(bytesArb, fc.constant(undefined)),
    value: bytesArb,
    headers: headersArb,
    timestamp: timestampArb,
  },
  { requiredKeys: ['value'] },
);

const optionsArb: fc.Arbitrary<BatchOptions> = fc.record(
  {
    baseOffset: fc.oneof(fc.nat(1000), fc.integer({ min: 0, max: 2 ** 52 })),
    partitionLeaderEpoch: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    baseTimestamp: timestampArb,
    producerId: fc.oneof(fc.constant(-1), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })),
    producerEpoch: fc.integer({ min: -0x8000, max: 0x7fff }),
    baseSequence: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    isTransactional: fc.boolean(),
    timestampType: fc.constantFrom('create' as const, 'log-append' as const),
    compression: fc.constant('none' as const),
  },
  { requiredKeys: [] },
);

function expectedBytes(value: RecordBytes | undefined): Buffer | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
}

function expectedHeaders(headers: RecordInput['headers']): Array<{ key: string; value: Buffer | null }> {
  if (headers === undefined) return [];
  const list = Array.isArray(headers) ? headers : Object.entries(headers).map(([key, value]) => ({ key, value }));
  return list.map((h) => ({ key: h.key, value: expectedBytes(h.value) }));
}

function sameBytes(actual: Buffer | null, expected: Buffer | null, what: string): void {
  if (expected === null) {
    assert.is(actual, null, what);
    return;
  }
  assert.ok(actual !== null, `${what} is null`);
  assert.ok(Buffer.isBuffer(actual), `${what} is a Buffer`);
  assert.ok(actual!.equals(expected), `${what} bytes`);
}

/** Checks `batch` against the input it was encoded from; `now` brackets the clock for records without timestamps. */
function checkDecoded(
  bytes: Buffer,
  batch: DecodedBatch,
  records: RecordInput[],
  options: BatchOptions,
  now: { before: number; after: number },
): void {
  const count = records.length;
  const baseOffset = options.baseOffset ?? 0;
  assert.is(batch.baseOffset, baseOffset);
  assert.is(batch.batchLength, bytes.length - 12);
  assert.is(batch.partitionLeaderEpoch, options.partitionLeaderEpoch ?? -1);
  assert.is(batch.magic, 2);
  assert.is(batch.crc, native.crc32c(bytes.subarray(21)) >>> 0);
  assert.is(batch.compression, 'none');
  assert.is(batch.timestampType, options.timestampType ?? 'create');
  assert.is(batch.isTransactional, options.isTransactional ?? false);
  assert.is(batch.isControl, false);
  assert.is(batch.attributes, (options.timestampType === 'log-append' ? 8 : 0) | (options.isTransactional ? 16 : 0));
  assert.is(batch.lastOffsetDelta, count - 1);
  assert.is(batch.recordCount, count);
  assert.is(batch.lastOffset, baseOffset + count - 1);
  assert.is(batch.producerId, options.producerId ?? -1);
  assert.is(batch.producerEpoch, options.producerEpoch ?? -1);
  assert.is(batch.baseSequence, options.baseSequence ?? -1);
  assert.is(batch.records.length, count);

  // Records without a timestamp share one clock reading taken during the call.
  const clocked = new Set<number>();
  let maxTimestamp = -Infinity;
  records.forEach((input, i) => {
    const record = batch.records[i];
    // The timestamp the producer gave (or the clock's), as stored in the delta.
    const createTime = batch.baseTimestamp + record.timestampDelta;
    if (input.timestamp === undefined) {
      clocked.add(createTime);
      assert.ok(createTime >= now.before && createTime <= now.after, 'clock timestamp within the call');
    } else {
      assert.is(createTime, input.timestamp, `records[${i}].timestamp`);
    }
    maxTimestamp = Math.max(maxTimestamp, createTime);
    assert.is(record.offset, baseOffset + i);
    assert.is(record.offsetDelta, i);
    assert.is(record.attributes, 0);
    sameBytes(record.key, expectedBytes(input.key), `records[${i}].key`);
    sameBytes(record.value, expectedBytes(input.value), `records[${i}].value`);
    const headers = expectedHeaders(input.headers);
    assert.is(record.headers.length, headers.length, `records[${i}] header count`);
    headers.forEach((h, j) => {
      assert.is(record.headers[j].key, h.key);
      sameBytes(record.headers[j].value, h.value, `records[${i}].headers[${j}].value`);
    });
  });
  assert.ok(clocked.size <= 1, 'one clock reading per batch');
  if (options.baseTimestamp !== undefined) assert.is(batch.baseTimestamp, options.baseTimestamp);
  else if (records[0].timestamp !== undefined) assert.is(batch.baseTimestamp, records[0].timestamp);
  else assert.is(batch.records[0].timestampDelta, 0);
  assert.is(batch.maxTimestamp, maxTimestamp);
  // LogAppendTime: every record reports the batch's maxTimestamp, as Kafka's DefaultRecord does.
  for (const record of batch.records) {
    const expected = batch.timestampType === 'log-append' ? batch.maxTimestamp : batch.baseTimestamp + record.timestampDelta;
    assert.is(record.timestamp, expected);
  }
}

/** The inputs that reproduce a decoded batch. */
function reencode(batch: DecodedBatch): Buffer {
  return encodeRecordBatch(
    batch.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: batch.baseTimestamp + r.timestampDelta })),
    {
      baseOffset: batch.baseOffset,
      partitionLeaderEpoch: batch.partitionLeaderEpoch,
      baseTimestamp: batch.baseTimestamp,
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      isTransactional: batch.isTransactional,
      timestampType: batch.timestampType,
      compression: batch.compression,
    },
  );
}

test('property: encode → decode returns every field; decode → encode returns the same bytes', () => {
  fc.assert(
    // size 'max': lengths spread over the whole 1..200 range, not fast-check's small default.
    fc.property(fc.array(recordArb, { minLength: 1, maxLength: 200, size: 'max' }), optionsArb, (records, options) => {
      const before = Date.now();
      const bytes = encodeRecordBatch(records, options);
      const after = Date.now();
      const batch = decodeRecordBatch(bytes);
      checkDecoded(bytes, batch, records, options, { before, after });
      assert.ok(reencode(batch).equals(bytes), 're-encoded bytes differ');
      // The streaming path sees the same records.
      assert.equal([...iterateRecords(bytes)], batch.records);
    }),
    { numRuns: 300 },
  );
});

test('property: records without timestamps and without options', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ key: bytesArb, value: bytesArb, timestamp: fc.option(timestampArb, { nil: undefined }) }), {
        minLength: 1,
        maxLength: 20,
      }),
      (records) => {
        const before = Date.now();
        const bytes = encodeRecordBatch(records);
        const after = Date.now();
        const batch = decodeRecordBatch(bytes);
        checkDecoded(bytes, batch, records, {}, { before, after });
        assert.ok(reencode(batch).equals(bytes));
      },
    ),
    { numRuns: 200 },
  );
});

test('decode is zero-copy: keys, values and header values are views of the input', () => {
  const bytes = encodeRecordBatch([
    { key: 'k', value: Buffer.from('value-0'), headers: [{ key: 'h', value: 'hv' }] },
    { key: null, value: 'value-1' },
  ]);
  for (const input of [bytes, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)]) {
    const batch = decodeRecordBatch(input);
    const views = [batch.records[0].key!, batch.records[0].value!, batch.records[0].headers[0].value!, batch.records[1].value!];
    for (const view of views) {
      assert.ok(Buffer.isBuffer(view));
      assert.ok(view.buffer === input.buffer, 'shares the input memory');
      assert.ok(view.byteOffset >= input.byteOffset && view.byteOffset + view.length <= input.byteOffset + input.length);
    }
  }
  // Writing into the input shows through the views (that is what zero-copy means).
  const batch = decodeRecordBatch(bytes);
  const value = batch.records[0].value!;
  bytes[value.byteOffset - bytes.byteOffset] = 'V'.charCodeAt(0);
  assert.is(value.toString(), 'Value-0');
});

test('a batch inside a larger buffer at an odd byte offset decodes the same', () => {
  const bytes = encodeRecordBatch([{ key: 'a', value: 'b', timestamp: 5 }, { value: 'c', timestamp: 7 }], { baseOffset: 9 });
  const big = Buffer.alloc(bytes.length + 13, 0xaa);
  bytes.copy(big, 7);
  const inner = big.subarray(7, 7 + bytes.length);
  assert.equal(decodeRecordBatch(inner), decodeRecordBatch(bytes));
});

test('scratch growth: many records with many headers', () => {
  const headers = Array.from({ length: 300 }, (_, i) => ({ key: `h${i}`, value: i % 3 === 0 ? null : `v${i}` }));
  const records = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: `value-${i}`, headers, timestamp: 1000 + i }));
  const bytes = encodeRecordBatch(records);
  const batch = decodeRecordBatch(bytes);
  assert.is(batch.records.length, 1000);
  assert.is(batch.records[999].headers.length, 300);
  assert.is(batch.records[999].headers[299].value!.toString(), 'v299');
  assert.is(batch.records[999].headers[297].value, null);
  assert.ok(reencode(batch).equals(bytes));
  // A small batch afterwards is unaffected by what the scratch area held.
  const small = encodeRecordBatch([{ value: 'x', timestamp: 1 }]);
  assert.is(decodeRecordBatch(small).records[0].value!.toString(), 'x');
});

test('a re-entrant call from a getter gets its own scratch area and both batches are right', () => {
  const inner: Buffer[] = [];
  const record = {
    key: 'outer-key',
    get value(): string {
      inner[0] = encodeRecordBatch([{ key: 'inner-key', value: 'inner-value', timestamp: 2 }]);
      return 'outer-value';
    },
    timestamp: 1,
  };
  const outer = encodeRecordBatch([{ key: 'first', value: 'first-value', timestamp: 1 }, record]);
  const expectedOuter = encodeRecordBatch([
    { key: 'first', value: 'first-value', timestamp: 1 },
    { key: 'outer-key', value: 'outer-value', timestamp: 1 },
  ]);
  assert.ok(outer.equals(expectedOuter));
  assert.is(inner.length, 1);
  assert.ok(inner[0].equals(encodeRecordBatch([{ key: 'inner-key', value: 'inner-value', timestamp: 2 }])));
});

test('getters run once: fields returning something new on each read are read once', () => {
  const reads = { key: 0, value: 0, headers: 0, timestamp: 0 };
  const record = {
    get key(): string {
      reads.key += 1;
      return 'k'.repeat(reads.key * 3);
    },
    get value(): string {
      reads.value += 1;
      return 'x'.repeat(reads.value * 10);
    },
    get headers(): Record<string, string> {
      reads.headers += 1;
      return { [`h${reads.headers}`]: 'v' };
    },
    get timestamp(): number {
      reads.timestamp += 1;
      return 1000 * reads.timestamp;
    },
  };
  const batch = decodeRecordBatch(encodeRecordBatch([record]));
  assert.equal(reads, { key: 1, value: 1, headers: 1, timestamp: 1 });
  const decoded = batch.records[0];
  assert.is(decoded.key!.toString(), 'kkk');
  assert.is(decoded.value!.toString(), 'x'.repeat(10));
  assert.is(decoded.headers[0].key, 'h1');
  assert.is(batch.baseTimestamp, 1000);
  assert.is(decoded.timestamp, 1000);
});

test('strings are UTF-8; lone surrogates become U+FFFD as Buffer.from does', () => {
  const value = 'a\ud800b';
  const batch = decodeRecordBatch(encodeRecordBatch([{ key: '€', value, headers: { 'κλειδί': '値' }, timestamp: 0 }]));
  assert.is(batch.records[0].key!.toString('hex'), 'e282ac');
  assert.ok(batch.records[0].value!.equals(Buffer.from(value, 'utf8')));
  assert.is(batch.records[0].headers[0].key, 'κλειδί');
  assert.is(batch.records[0].headers[0].value!.toString(), '値');
});

test.run();
