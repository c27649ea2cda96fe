/**
 * The embedded consumer's lazily built messages (client/consumer/consumed-message.ts) and
 * eachBatch's batch (delivered-batch.ts) against decodeRecordBatch, over random batches: every
 * field a kafkajs handler reads (key, value, offset, timestamp, attributes, headers, size,
 * JSON) is what the batch holds, for plain and gzip batches, create and log-append time, keys,
 * values and header lengths from none to past the two-byte varint range, several batches per
 * eachBatch call, and a delivery that starts mid-batch. records() reads the same records, and
 * lastOffset/offsetLag agree with them without the messages being built.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch, type DecodedRecord } from '../../src/records/decode-record-batch.js';
import { BatchMessages, type ConsumedMessage } from '../../src/client/consumer/consumed-message.js';
import { batchEntry, DeliveredBatch, deliverableRecords } from '../../src/client/consumer/delivered-batch.js';

// Mostly short, sometimes past 8191 bytes (a three-byte length varint: the cursor's slow path).
const bytes = fc.option(
  fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.integer({ min: 8192, max: 20_000 }).map((n) => Buffer.alloc(n, n & 0xff)) },
  ),
  { nil: null },
);
const record = fc.record({
  key: bytes,
  value: bytes,
  // Deltas from one byte to several (a varlong past 2^28 ms apart).
  timestamp: fc.oneof(fc.integer({ min: 1_700_000_000_000, max: 1_700_000_000_100 }), fc.integer({ min: 0, max: 2 ** 42 })),
  headers: fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'trace-id', 'ü'), value: bytes }), { maxLength: 4 }),
});
const batchSpec = fc.record({
  records: fc.array(record, { minLength: 1, maxLength: 20 }),
  compression: fc.constantFrom(undefined, 'gzip' as const),
  timestampType: fc.constantFrom('create' as const, 'log-append' as const),
});

/** kafkajs's headers object: one value per key, an array for a repeated key. */
function kafkajsHeaders(list: DecodedRecord['headers']): Record<string, Buffer | Buffer[] | undefined> {
  const out: Record<string, Buffer | Buffer[] | undefined> = {};
  for (const h of list) {
    const value = h.value ?? undefined;
    const existing = out[h.key];
    if (existing === undefined) out[h.key] = value;
    else if (Array.isArray(existing)) existing.push(value as Buffer);
    else out[h.key] = [existing, value as Buffer];
  }
  return out;
}

function assertMessage(m: ConsumedMessage, want: DecodedRecord): void {
  assert.is(m.offset, String(want.offset));
  assert.is(m.offsetNumber, want.offset);
  assert.is(m.timestamp, String(want.timestamp));
  assert.is(m.attributes, want.attributes);
  assert.equal(m.key, want.key);
  assert.equal(m.value, want.value);
  assert.ok(m.value === null || Buffer.isBuffer(m.value), 'the value is a Buffer');
  assert.equal(m.headers, kafkajsHeaders(want.headers));
  assert.is(m.headers, m.headers, 'headers are made once');
  assert.is(m.size, (want.key?.length ?? 0) + (want.value?.length ?? 0));
  const json = JSON.parse(JSON.stringify(m)) as Record<string, unknown>;
  assert.is(json.offset, String(want.offset));
  assert.is(json.timestamp, String(want.timestamp));
}

test('messages carry what decodeRecordBatch decodes, batch by batch and from an offset inside the batch', () => {
  fc.assert(
    fc.property(batchSpec, fc.integer({ min: 0, max: 2 ** 40 }), fc.nat(), ({ records, compression, timestampType }, baseOffset, skip) => {
      const batch = encodeRecordBatch(records, { baseOffset, compression, timestampType });
      const decoded = decodeRecordBatch(batch).records;
      const from = baseOffset + (skip % records.length);
      const messages = new BatchMessages(batch, from);
      const want = decoded.filter((r) => r.offset >= from);
      for (const w of want) {
        const m = messages.next();
        if (m === undefined) assert.unreachable(`the message at offset ${w.offset} is missing`);
        else assertMessage(m, w);
      }
      assert.is(messages.next(), undefined);
    }),
    { numRuns: 150 },
  );
});

test("eachBatch's messages and records() over several batches agree with the decoded records", () => {
  fc.assert(
    fc.property(fc.array(batchSpec, { minLength: 1, maxLength: 4 }), fc.nat(), (specs, skip) => {
      let next = 0;
      const batches = specs.map(({ records, compression, timestampType }) => {
        const b = encodeRecordBatch(records, { baseOffset: next, compression, timestampType });
        next += records.length;
        return b;
      });
      const decoded = batches.flatMap((b) => decodeRecordBatch(b).records);
      // Delivery starts mid-way through the first batch, as after a seek.
      const from = skip % specs[0]!.records.length;
      const entries = batches.map((b) => batchEntry(b, from));
      const count = entries.reduce((n, e) => n + deliverableRecords(e), 0);
      const want = decoded.filter((r) => r.offset >= from);
      assert.is(count, want.length);
      const delivered = new DeliveredBatch('t', 0, next, entries, count);
      // The kafkajs helpers before the messages are built (they read the batch headers).
      assert.is(delivered.lastOffset(), String(want[want.length - 1]!.offset));
      assert.is(delivered.offsetLag(), String(next - 1 - want[want.length - 1]!.offset));
      assert.is(delivered.offsetLagLow(), String(next - 1 - want[0]!.offset));
      const r = delivered.records();
      for (const w of want) {
        assert.ok(r.next(), 'records() ended early');
        assert.is(r.offset, w.offset);
        assert.is(r.timestamp, w.timestamp);
        assert.equal(r.valueLength < 0 ? null : r.bytes.subarray(r.valueStart, r.valueStart + r.valueLength), w.value);
        assert.equal(r.keyLength < 0 ? null : r.bytes.subarray(r.keyStart, r.keyStart + r.keyLength), w.key);
        assert.is(r.headerCount, w.headers.length);
      }
      assert.is(r.next(), false);
      assert.is(r.next(), false, 'stays at the end');
      const messages = delivered.messages;
      assert.is(messages.length, want.length);
      assert.is(delivered.messages, messages, 'built once');
      want.forEach((w, i) => assertMessage(messages[i]!, w));
      assert.is(delivered.firstOffset(), String(want[0]!.offset));
      assert.is(delivered.lastOffset(), String(want[want.length - 1]!.offset));
    }),
    { numRuns: 100 },
  );
});

test('an empty run of batches: no records, no messages', () => {
  const delivered = new DeliveredBatch('t', 0, 0, [], 0);
  assert.is(delivered.records().next(), false);
  assert.equal(delivered.messages, []);
  assert.is(delivered.isEmpty(), true);
  assert.is(delivered.firstOffset(), null);
});

test.run();
