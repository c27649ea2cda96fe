/**
 * src/records/record-cursor.ts and buffer-view.ts: the cursor yields the same offsets,
 * timestamps, keys, values and headers as decodeRecordBatch (random batches), refuses the
 * same malformed records with SKEIN_INVALID_RECORD, and bufferView makes real Buffers.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { RecordCursor, readHeadersAt } from '../../src/records/record-cursor.js';
import { bufferView } from '../../src/records/buffer-view.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { SkeinError } from '../../src/errors.js';

const bytes = fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { nil: null });
const record = fc.record({
  key: bytes,
  value: bytes,
  timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: bytes }), { maxLength: 3 }),
});

test('the cursor reads what decodeRecordBatch decodes', () => {
  fc.assert(
    fc.property(fc.array(record, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 2 ** 40 }), (records, baseOffset) => {
      const batch = encodeRecordBatch(records, { baseOffset });
      const decoded = decodeRecordBatch(batch).records;
      const cursor = new RecordCursor(batch);
      let i = 0;
      while (cursor.next()) {
        const want = decoded[i++]!;
        assert.is(cursor.offset, want.offset);
        assert.is(cursor.timestamp, want.timestamp);
        assert.is(cursor.attributes, want.attributes);
        assert.equal(cursor.keyLength < 0 ? null : bufferView(cursor.bytes, cursor.keyStart, cursor.keyLength), want.key);
        assert.equal(cursor.valueLength < 0 ? null : bufferView(cursor.bytes, cursor.valueStart, cursor.valueLength), want.value);
        assert.equal(readHeadersAt(cursor.bytes, cursor.headersStart, cursor.headerCount), want.headers.map((h) => ({ key: h.key, value: h.value })));
      }
      assert.is(i, decoded.length);
      assert.is(cursor.next(), false);
    }),
    { numRuns: 200 },
  );
});

test('a malformed record is refused with SKEIN_INVALID_RECORD at that record', () => {
  const batch = encodeRecordBatch([{ value: 'aaaa' }, { value: 'bbbb' }]);
  // The second record's value length varint: find 'bbbb' and corrupt the byte before it.
  const at = batch.indexOf('bbbb');
  batch[at - 1] = 0x7e; // zigzag 63: longer than the record
  const cursor = new RecordCursor(batch);
  assert.ok(cursor.next(), 'the first record is fine');
  try {
    cursor.next();
    assert.unreachable('the second record was accepted');
  } catch (err) {
    assert.ok(err instanceof SkeinError && err.code === 'SKEIN_INVALID_RECORD', String(err));
  }
});

test('bufferView is a Buffer over the same memory', () => {
  const base = Buffer.from('hello, world');
  const view = bufferView(base, 7, 5);
  assert.ok(Buffer.isBuffer(view));
  assert.ok(view instanceof Buffer);
  assert.is(view.toString(), 'world');
  assert.ok(view.equals(Buffer.from('world')));
  base[7] = 0x57;
  assert.is(view.toString('utf8'), 'World', 'shares memory');
  assert.is(view.subarray(1, 3).toString(), 'or');
  assert.is(JSON.stringify(view), JSON.stringify(Buffer.from('World')));
});

test.run();
