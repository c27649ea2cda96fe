/**
 * src/records/record-iterator.ts: iterateBatches over concatenated batches cut at every
 * possible length (the partial tail is dropped, never yielded), framing errors, and
 * iterateRecords (eager header checks, lazy record errors, same records as decode).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { SkeinError } from '../../src/errors.js';
import { native } from '../../src/native/binding.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';

const BATCHES = [
  encodeRecordBatch([{ key: 'a', value: 'first', timestamp: 1 }], { baseOffset: 0 }),
  encodeRecordBatch(
    Array.from({ length: 5 }, (_, i) => ({ value: `second-${i}`, headers: { i: String(i) }, timestamp: 10 + i })),
    { baseOffset: 1 },
  ),
  encodeRecordBatch([{ key: null, value: Buffer.alloc(300, 1), timestamp: 20 }], { baseOffset: 6 }),
];
const ALL = Buffer.concat(BATCHES);

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, String(err));
    return (err as SkeinError).code;
  }
  return 'no error';
}

test('iterateBatches: every prefix yields exactly the complete batches within it', () => {
  const ends: number[] = [];
  let end = 0;
  for (const b of BATCHES) ends.push((end += b.length));
  for (let length = 0; length <= ALL.length; length++) {
    const prefix = ALL.subarray(0, length);
    const iterator = iterateBatches(prefix);
    const yielded = [...iterator];
    const complete = ends.filter((e) => e <= length).length;
    assert.is(yielded.length, complete, `prefix of ${length} bytes`);
    yielded.forEach((batch, i) => {
      assert.ok(batch.equals(BATCHES[i]), `batch ${i} bytes`);
      assert.ok(Buffer.isBuffer(batch));
      assert.ok(batch.buffer === ALL.buffer, 'a view, not a copy');
    });
    assert.is(iterator.position, complete === 0 ? 0 : ends[complete - 1]);
  }
});

test('iterateBatches: a plain Uint8Array yields Uint8Array views', () => {
  const plain = new Uint8Array(ALL.buffer, ALL.byteOffset, ALL.length);
  const yielded = [...iterateBatches(plain)];
  assert.is(yielded.length, 3);
  assert.not.ok(Buffer.isBuffer(yielded[0]));
  assert.is(decodeRecordBatch(yielded[1]).records[4].value!.toString(), 'second-4');
});

test('iterateBatches → iterateRecords streams every record of a fetch-like buffer', () => {
  const cut = ALL.subarray(0, ALL.length - 100); // the third batch is cut, as a Fetch at maxBytes
  const offsets: number[] = [];
  for (const batch of iterateBatches(cut)) {
    for (const record of iterateRecords(batch)) offsets.push(record.offset);
  }
  assert.equal(offsets, [0, 1, 2, 3, 4, 5]);
});

test('iterateBatches: impossible framing → SKEIN_CORRUPT_MESSAGE at the position reached', () => {
  for (const batchLength of [-1, 0, 13]) {
    const buf = Buffer.concat([BATCHES[0], Buffer.alloc(20)]);
    buf.writeInt32BE(batchLength, BATCHES[0].length + 8);
    const iterator = iterateBatches(buf);
    assert.ok(iterator.next().value!.equals(BATCHES[0]));
    try {
      iterator.next();
      assert.unreachable('expected a throw');
    } catch (err) {
      assert.ok(err instanceof SkeinError);
      assert.is((err as SkeinError).code, 'SKEIN_CORRUPT_MESSAGE');
      assert.is((err as SkeinError).position, BATCHES[0].length);
    }
  }
  // A v2 header claiming fewer bytes than a v2 header has.
  const short = Buffer.from(BATCHES[0]);
  short.writeInt32BE(40, 8);
  assert.is(errorCode(() => [...iterateBatches(short)]), 'SKEIN_CORRUPT_MESSAGE');
  // A legacy (magic 0/1) entry of 20 bytes frames fine; decode then says what it is.
  const legacy = Buffer.alloc(32);
  legacy.writeInt32BE(20, 8);
  legacy[16] = 1;
  const [entry] = [...iterateBatches(legacy)];
  assert.is(entry.length, 32);
  assert.is(errorCode(() => decodeRecordBatch(entry)), 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT');
});

test('iterateBatches: empty and sub-framing buffers yield nothing', () => {
  assert.equal([...iterateBatches(Buffer.alloc(0))], []);
  assert.equal([...iterateBatches(Buffer.alloc(11))], []);
});

test('iterateRecords yields what decodeRecordBatch returns, and is its own iterable', () => {
  const iterator = iterateRecords(BATCHES[1]);
  assert.ok(iterator[Symbol.iterator]() === iterator);
  assert.equal([...iterator], decodeRecordBatch(BATCHES[1]).records);
  assert.equal(iterator.next(), { done: true, value: undefined });
});

test('iterateRecords: header problems throw at the call, record problems when reached', () => {
  const corrupt = Buffer.from(BATCHES[1]);
  corrupt[corrupt.length - 1] ^= 1;
  assert.is(errorCode(() => iterateRecords(corrupt)), 'SKEIN_CORRUPT_MESSAGE');

  // Make record 3's offsetDelta repeat record 2's (CRC fixed): records 0-2 stream out, then the error.
  const bad = Buffer.from(BATCHES[1]);
  const record3 = decodeRecordBatch(bad).records[3];
  const valuePos = record3.value!.byteOffset - bad.byteOffset;
  // Layout before the value: length, attributes, tsDelta, offsetDelta, keyLength (-1), valueLength.
  const offsetDeltaPos = valuePos - 3;
  assert.is(bad[offsetDeltaPos], 3 * 2);
  bad[offsetDeltaPos] = 2 * 2;
  bad.writeUInt32BE(native.crc32c(bad.subarray(21)) >>> 0, 17);
  const iterator = iterateRecords(bad);
  const seen: number[] = [];
  const code = errorCode(() => {
    for (const record of iterator) seen.push(record.offset);
  });
  assert.is(code, 'SKEIN_INVALID_RECORD');
  assert.equal(seen, [1, 2, 3]);

  // Bytes after the last record are reported by the next() that would finish.
  const trailing = Buffer.from(BATCHES[1]);
  trailing.writeInt32BE(4, 57);
  trailing.writeInt32BE(3, 23);
  trailing.writeUInt32BE(native.crc32c(trailing.subarray(21)) >>> 0, 17);
  const partial = iterateRecords(trailing);
  for (let i = 0; i < 4; i++) assert.is(partial.next().done, false);
  assert.is(errorCode(() => partial.next()), 'SKEIN_INVALID_RECORD');
});

test('iterateRecords: verifyCrc false skips only the CRC', () => {
  const edited = Buffer.from(BATCHES[0]);
  const value = decodeRecordBatch(edited).records[0].value!;
  edited[value.byteOffset - edited.byteOffset] = 'F'.charCodeAt(0);
  assert.is(errorCode(() => iterateRecords(edited)), 'SKEIN_CORRUPT_MESSAGE');
  assert.is([...iterateRecords(edited, { verifyCrc: false })][0].value!.toString(), 'First');
});

test.run();
