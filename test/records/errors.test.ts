/**
 * Every way src/records/ rejects input, with its stable code: corruption (CRC, lengths),
 * unsupported formats and codecs, structurally invalid batches with a correct CRC, bad
 * arguments to the encoder, and fuzzing (random bytes, random record sections) that must
 * only ever raise SkeinErrors.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SkeinError, type ErrorCode } from '../../src/errors.js';
import { native } from '../../src/native/binding.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';

function codeOf(fn: () => unknown): ErrorCode | 'no error' {
  try {
    fn();
  } catch (err) {
    if (err instanceof SkeinError) return err.code;
    throw new Error(`expected a SkeinError, got ${String(err)}`, { cause: err });
  }
  return 'no error';
}

function throwsCode(fn: () => unknown, code: ErrorCode, messageIncludes?: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `expected a SkeinError, got ${String(err)}`);
    assert.is((err as SkeinError).code, code, (err as Error).message);
    if (messageIncludes !== undefined) {
      assert.ok((err as Error).message.includes(messageIncludes), `"${(err as Error).message}" should mention ${messageIncludes}`);
    }
    return;
  }
  assert.unreachable(`expected ${code}`);
}

/** Recomputes the CRC after a deliberate edit, so only the edit itself is under test. */
function withCrc(buf: Buffer): Buffer {
  buf.writeUInt32BE(native.crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}

/** Decodes fully both ways (array and stream) so lazy and eager paths are both exercised. */
function decodeBoth(buf: Uint8Array, verifyCrc = true): void {
  decodeRecordBatch(buf, { verifyCrc });
  for (const _ of iterateRecords(buf, { verifyCrc })) {
    // consume
  }
}

const SAMPLE = encodeRecordBatch(
  [
    { key: 'key-0', value: 'value-0', headers: { h1: 'a', h2: null }, timestamp: 1_700_000_000_000 },
    { key: null, value: Buffer.alloc(130, 7), timestamp: 1_700_000_000_100 },
    { key: Buffer.from([1, 2, 3]), value: null, headers: [{ key: 'x', value: Buffer.from('y') }], timestamp: 1_699_999_999_000 },
  ],
  { baseOffset: 10, producerId: 7, producerEpoch: 1, baseSequence: 0 },
);

function sample(): Buffer {
  return Buffer.from(SAMPLE);
}

test('the sample batch is valid', () => {
  assert.is(decodeRecordBatch(SAMPLE).records.length, 3);
});

test('a flipped byte anywhere in 21..end → SKEIN_CORRUPT_MESSAGE', () => {
  for (let pos = 21; pos < SAMPLE.length; pos++) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const buf = sample();
      buf[pos] ^= mask;
      throwsCode(() => decodeRecordBatch(buf), 'SKEIN_CORRUPT_MESSAGE');
      throwsCode(() => iterateRecords(buf), 'SKEIN_CORRUPT_MESSAGE');
    }
  }
});

test('a flipped byte in 0..20 (outside the CRC) → a decode or the code of the field hit', () => {
  for (let pos = 0; pos < 21; pos++) {
    const buf = sample();
    buf[pos] ^= 0x01;
    const code = codeOf(() => decodeBoth(buf));
    // baseOffset's top byte moves it past 2^53, which this codec refuses rather than round.
    if (pos === 0) assert.is(code, 'SKEIN_INVALID_RECORD');
    else if (pos < 8 || (pos >= 12 && pos < 16)) assert.is(code, 'no error', `baseOffset/partitionLeaderEpoch byte ${pos}`);
    else if (pos < 12) assert.ok(code === 'SKEIN_CORRUPT_MESSAGE' || code === 'SKEIN_INVALID_ARGUMENT', `batchLength byte ${pos}: ${code}`);
    else if (pos === 16) assert.is(code, 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT');
    else assert.is(code, 'SKEIN_CORRUPT_MESSAGE', `crc byte ${pos}`);
  }
});

test('verifyCrc: false skips the CRC check only', () => {
  const buf = sample();
  buf[buf.length - 1] ^= 0x01; // a byte of the last record's header value... or its count
  const code = codeOf(() => decodeBoth(buf, false));
  assert.ok(code === 'no error' || code === 'SKEIN_INVALID_RECORD', code);
  // A changed value byte with the CRC unchecked decodes, with the changed byte visible.
  const value = decodeRecordBatch(SAMPLE).records[0].value!;
  const valuePos = value.byteOffset - SAMPLE.byteOffset;
  const edited = sample();
  edited[valuePos] = 'V'.charCodeAt(0);
  assert.is(decodeRecordBatch(edited, { verifyCrc: false }).records[0].value!.toString(), 'Value-0');
  throwsCode(() => decodeRecordBatch(edited), 'SKEIN_CORRUPT_MESSAGE');
});

test('magic other than 2 → SKEIN_UNSUPPORTED_MESSAGE_FORMAT (magic lies outside the CRC)', () => {
  for (const magic of [0, 1, 3, 0xff]) {
    const buf = sample();
    buf[16] = magic;
    throwsCode(() => decodeRecordBatch(buf), 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT', String((magic << 24) >> 24));
    throwsCode(() => iterateRecords(buf), 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT');
  }
  // A real magic-1 message (legacy MessageSet entry, 34 bytes) is recognised as such, not as garbage.
  const legacy = Buffer.from('0000000000000000' + '00000016' + '00000000' + '01' + '00' + '0000018bcfe56800' + 'ffffffff' + '00000000', 'hex');
  throwsCode(() => decodeRecordBatch(legacy), 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT');
});

test('truncated at every length → SKEIN_CORRUPT_MESSAGE, never a decode', () => {
  for (let length = 0; length < SAMPLE.length; length++) {
    const cut = SAMPLE.subarray(0, length);
    throwsCode(() => decodeRecordBatch(cut), 'SKEIN_CORRUPT_MESSAGE');
    throwsCode(() => decodeRecordBatch(cut, { verifyCrc: false }), 'SKEIN_CORRUPT_MESSAGE');
    throwsCode(() => iterateRecords(cut), 'SKEIN_CORRUPT_MESSAGE');
    // Cut from a plain Uint8Array too.
    throwsCode(() => decodeRecordBatch(new Uint8Array(cut)), 'SKEIN_CORRUPT_MESSAGE');
  }
});

test('truncated records with batchLength and CRC made consistent → SKEIN_INVALID_RECORD at every cut', () => {
  for (let length = 61; length < SAMPLE.length; length++) {
    const buf = Buffer.from(SAMPLE.subarray(0, length));
    buf.writeInt32BE(length - 12, 8);
    withCrc(buf);
    const code = codeOf(() => decodeRecordBatch(buf));
    assert.is(code, 'SKEIN_INVALID_RECORD', `cut at ${length}`);
    assert.is(codeOf(() => decodeBoth(buf)), 'SKEIN_INVALID_RECORD');
  }
});

test('batchLength below a header → SKEIN_CORRUPT_MESSAGE; trailing bytes → SKEIN_INVALID_ARGUMENT', () => {
  for (const batchLength of [-1, 0, 48, -0x80000000]) {
    const buf = sample();
    buf.writeInt32BE(batchLength, 8);
    throwsCode(() => decodeRecordBatch(buf), 'SKEIN_CORRUPT_MESSAGE');
  }
  throwsCode(() => decodeRecordBatch(Buffer.concat([SAMPLE, Buffer.alloc(1)])), 'SKEIN_INVALID_ARGUMENT', 'iterateBatches');
  throwsCode(() => decodeRecordBatch(Buffer.concat([SAMPLE, SAMPLE])), 'SKEIN_INVALID_ARGUMENT');
});

test('codec ids Kafka does not define (5-7, CRC correct) → SKEIN_UNSUPPORTED_COMPRESSION', () => {
  for (let codec = 5; codec <= 7; codec++) {
    const buf = sample();
    buf.writeInt16BE(codec, 21);
    withCrc(buf);
    throwsCode(() => decodeRecordBatch(buf), 'SKEIN_UNSUPPORTED_COMPRESSION');
    throwsCode(() => iterateRecords(buf), 'SKEIN_UNSUPPORTED_COMPRESSION');
  }
});

test('codec bits 1-4 over records that are not compressed (CRC correct) → SKEIN_CORRUPT_MESSAGE', () => {
  for (let codec = 1; codec <= 4; codec++) {
    const buf = sample();
    buf.writeInt16BE(codec, 21);
    withCrc(buf);
    throwsCode(() => decodeRecordBatch(buf), 'SKEIN_CORRUPT_MESSAGE');
    throwsCode(() => iterateRecords(buf), 'SKEIN_CORRUPT_MESSAGE');
  }
});

test('structurally invalid batches with a correct CRC → SKEIN_INVALID_RECORD', () => {
  const one = encodeRecordBatch([{ key: 'a', value: 'b', timestamp: 0 }, { key: 'c', value: 'd', timestamp: 0 }]);
  // Record 0 (at 61): length 8 (zig-zag 0x10), attributes, tsDelta, offsetDelta, keyLength 1
  // (at 65), "a", valueLength 1, "b", headerCount 0 (at 69). Record 1 starts at 70.
  assert.is(one.subarray(61, 70).toString('hex'), '100000000261026200');
  const record1 = 61 + 9;
  assert.is(one[record1 + 3], 0x02, 'offsetDelta of record 1 is 1 (zig-zag 2)');

  const cases: Array<[string, (b: Buffer) => void]> = [
    ['lastOffsetDelta below count - 1', (b) => b.writeInt32BE(0, 23)],
    ['lastOffsetDelta negative', (b) => b.writeInt32BE(-1, 23)],
    ['recordsCount 0 (and lastOffsetDelta -1)', (b) => { b.writeInt32BE(0, 57); b.writeInt32BE(-1, 23); }],
    ['recordsCount 0 with 2 records (trailing bytes)', (b) => { b.writeInt32BE(0, 57); }],
    ['recordsCount 3 with 2 records', (b) => { b.writeInt32BE(3, 57); b.writeInt32BE(2, 23); }],
    ['recordsCount 1 with 2 records (trailing bytes)', (b) => { b.writeInt32BE(1, 57); b.writeInt32BE(0, 23); }],
    ['recordsCount huge', (b) => { b.writeInt32BE(0x7fffffff, 57); b.writeInt32BE(0x7ffffffe, 23); }],
    ['non-contiguous offsetDelta (1 → 2)', (b) => { b[record1 + 3] = 0x04; }],
    ['offsetDelta repeated (1 → 0)', (b) => { b[record1 + 3] = 0x00; }],
    ['record length too long', (b) => { b[61] = 0x12; }],
    ['record length too short', (b) => { b[61] = 0x0e; }],
    ['record length negative', (b) => { b[61] = 0x01; }],
    ['key length -2', (b) => { b[61 + 4] = 0x03; }],
    ['key length past the record', (b) => { b[61 + 4] = 0x0e; }],
    ['header count negative', (b) => { b[69] = 0x01; }],
    ['header count 1 with no header bytes', (b) => { b[69] = 0x02; }],
    ['baseTimestamp beyond 2^53', (b) => b.writeInt32BE(0x00400000, 27)],
    ['maxTimestamp beyond 2^53', (b) => b.writeInt32BE(-0x00400000, 35)],
    ['producerId beyond 2^53', (b) => b.writeInt32BE(0x7fffffff, 43)],
  ];
  for (const [name, edit] of cases) {
    const buf = Buffer.from(one);
    edit(buf);
    withCrc(buf);
    assert.is(codeOf(() => decodeRecordBatch(buf)), 'SKEIN_INVALID_RECORD', name);
    assert.is(codeOf(() => decodeBoth(buf)), 'SKEIN_INVALID_RECORD', `${name} (iterator)`);
  }
  // baseOffset lies outside the CRC: beyond 2^53 it is rejected too.
  const far = Buffer.from(one);
  far.writeInt32BE(0x00200000, 0);
  throwsCode(() => decodeRecordBatch(far), 'SKEIN_INVALID_RECORD', 'baseOffset');
});

test('encode: bad arguments → SKEIN_INVALID_ARGUMENT naming the field', () => {
  const bad = (records: unknown, options?: unknown) => () => encodeRecordBatch(records as never, options as never);
  throwsCode(bad([]), 'SKEIN_INVALID_ARGUMENT', 'at least one record');
  throwsCode(bad(undefined), 'SKEIN_INVALID_ARGUMENT', 'records must be an array');
  throwsCode(bad({ length: 1, 0: { value: 'x' } }), 'SKEIN_INVALID_ARGUMENT', 'records must be an array');
  throwsCode(bad([{ value: 'a' }, null]), 'SKEIN_INVALID_ARGUMENT', 'records[1]');
  throwsCode(bad([{ value: 'a' }, 'b']), 'SKEIN_INVALID_ARGUMENT', 'records[1]');
  throwsCode(bad([{ value: 'a' }, { value: 'b' }, { key: 'c' }]), 'SKEIN_INVALID_ARGUMENT', 'records[2].value');
  throwsCode(bad([{ value: 42 }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].value');
  throwsCode(bad([{ value: { a: 1 } }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].value');
  throwsCode(bad([{ value: [1, 2] }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].value');
  throwsCode(bad([{ value: new Uint16Array(2) }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].value');
  throwsCode(bad([{ value: new ArrayBuffer(2) }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].value');
  throwsCode(bad([{ key: 1, value: 'x' }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].key');
  throwsCode(bad([{ value: 'x', headers: 'h' }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].headers');
  throwsCode(bad([{ value: 'x', headers: { a: 1 } }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].headers["a"]');
  throwsCode(bad([{ value: 'x', headers: { a: ['1', '2'] } }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].headers["a"]');
  throwsCode(bad([{ value: 'x', headers: { a: undefined } }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].headers["a"]');
  throwsCode(bad([{ value: 'x', headers: [{ key: null, value: 'v' }] }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].headers[0].key');
  throwsCode(bad([{ value: 'x', headers: [{ key: 'k', value: 5 }] }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].headers[0].value');
  throwsCode(bad([{ value: 'x', headers: ['k'] }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].headers[0]');
  for (const timestamp of [1.5, NaN, Infinity, '1', 2 ** 53]) {
    throwsCode(bad([{ value: 'x', timestamp }]), 'SKEIN_INVALID_ARGUMENT', 'records[0].timestamp');
  }
  throwsCode(bad([{ value: 'x', timestamp: 0 }, { value: 'x', timestamp: '5' }]), 'SKEIN_INVALID_ARGUMENT', 'records[1].timestamp');
  // Each timestamp is safe, but the delta is not.
  throwsCode(bad([{ value: 'x', timestamp: -(2 ** 52) }, { value: 'y', timestamp: 2 ** 53 - 1 }]), 'SKEIN_INVALID_ARGUMENT', 'records[1].timestamp');

  const optionCases: Array<[string, unknown]> = [
    ['baseOffset', -1],
    ['baseOffset', 1.5],
    ['baseOffset', '0'],
    ['baseOffset', 2 ** 53],
    ['partitionLeaderEpoch', 2 ** 31],
    ['producerId', 2 ** 53],
    ['producerEpoch', 0x8000],
    ['producerEpoch', -0x8001],
    ['baseSequence', 2 ** 31],
    ['baseTimestamp', 1.5],
    ['isTransactional', 'yes'],
    ['timestampType', 'LogAppendTime'],
    ['compression', 'brotli'],
    ['compression', 1],
  ];
  for (const [name, value] of optionCases) {
    throwsCode(bad([{ value: 'x' }], { [name]: value }), 'SKEIN_INVALID_ARGUMENT', `options.${name}`);
  }
  throwsCode(bad([{ value: 'x' }], null), 'SKEIN_INVALID_ARGUMENT', 'options');
  throwsCode(bad([{ value: 'x' }, { value: 'y' }], { baseOffset: Number.MAX_SAFE_INTEGER }), 'SKEIN_INVALID_ARGUMENT', 'baseOffset');
});

test('encode: every codec writes its id in attributes bits 0-2 and decodes back', () => {
  const records = [{ key: 'k', value: 'x'.repeat(500), timestamp: 5 }, { value: 'y', timestamp: 6 }];
  const plain = encodeRecordBatch(records, { compression: 'none' });
  for (const [id, compression] of (['gzip', 'snappy', 'lz4', 'zstd'] as const).entries()) {
    const bytes = encodeRecordBatch(records, { compression });
    assert.is(bytes.readInt16BE(21) & 7, id + 1, compression);
    assert.ok(bytes.length < plain.length, `${compression} shrinks 500 repeated bytes`);
    const decoded = decodeRecordBatch(bytes);
    assert.is(decoded.compression, compression);
    assert.equal(decoded.records.map((r) => [r.key && r.key.toString(), r.value!.toString(), r.timestamp]), [['k', 'x'.repeat(500), 5], [null, 'y', 6]]);
  }
});

test('encode: a buffer resized by a later getter is refused, not written with stale bytes', () => {
  // Resizable ArrayBuffers (ES2024) are not in this project's ES2022 lib typings.
  const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
  const resizable = new Resizable(8, { maxByteLength: 16 });
  if (typeof resizable.resize !== 'function') return; // runtime without resizable ArrayBuffers
  const view = new Uint8Array(resizable); // length-tracking
  const second = {
    get value(): string {
      resizable.resize(4);
      return 'x';
    },
  };
  throwsCode(() => encodeRecordBatch([{ value: view }, second]), 'SKEIN_INVALID_ARGUMENT', 'changed length');
});

test('decode and iterators: arguments that are not bytes → SKEIN_INVALID_ARGUMENT', () => {
  for (const value of [null, undefined, 'abc', 42, [1, 2, 3], new ArrayBuffer(70)]) {
    throwsCode(() => decodeRecordBatch(value as never), 'SKEIN_INVALID_ARGUMENT');
    throwsCode(() => iterateRecords(value as never), 'SKEIN_INVALID_ARGUMENT');
    throwsCode(() => iterateBatches(value as never), 'SKEIN_INVALID_ARGUMENT');
  }
});

test('fuzz: random bytes never raise anything but a SkeinError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, verifyCrc) => {
      codeOf(() => decodeBoth(bytes, verifyCrc));
      codeOf(() => {
        for (const batch of iterateBatches(bytes)) decodeBoth(batch, verifyCrc);
      });
    }),
    { numRuns: 3000 },
  );
});

test('fuzz: a valid header over random record bytes (CRC fixed) decodes consistently or raises a SkeinError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.integer({ min: 1, max: 12 }), (records, count) => {
      const buf = Buffer.concat([SAMPLE.subarray(0, 61), records]);
      buf.writeInt32BE(buf.length - 12, 8);
      buf.writeInt32BE(count, 57);
      buf.writeInt32BE(count - 1, 23);
      withCrc(buf);
      let decoded: ReturnType<typeof decodeRecordBatch> | null = null;
      const code = codeOf(() => {
        decoded = decodeRecordBatch(buf);
      });
      if (code === 'no error') {
        const batch = decoded! as ReturnType<typeof decodeRecordBatch>;
        assert.is(batch.records.length, count);
        batch.records.forEach((r, i) => assert.is(r.offset, batch.baseOffset + i));
        assert.equal([...iterateRecords(buf)], batch.records);
      } else {
        assert.is(code, 'SKEIN_INVALID_RECORD');
        assert.is(codeOf(() => decodeBoth(buf)), 'SKEIN_INVALID_RECORD');
      }
    }),
    { numRuns: 3000 },
  );
});

test('fuzz: single-byte edits of a valid batch, CRC recomputed, give a decode or SKEIN_INVALID_RECORD', () => {
  fc.assert(
    fc.property(fc.integer({ min: 61, max: SAMPLE.length - 1 }), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
      const buf = sample();
      buf[pos] = byte;
      withCrc(buf);
      const code = codeOf(() => decodeBoth(buf));
      assert.ok(code === 'no error' || code === 'SKEIN_INVALID_RECORD', code);
    }),
    { numRuns: 3000 },
  );
});

test.run();
