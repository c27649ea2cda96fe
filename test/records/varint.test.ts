/**
 * Checks src/records/varint.ts: known zig-zag LEB128 encodings, round trips against a
 * BigInt reference encoder written here from the definition (not from the code under
 * test), size helpers, and the reader's limits (truncation, overlong, unsafe values).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SkeinError } from '../../src/errors.js';
import {
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  writeVarint,
  writeVarlong,
} from '../../src/records/varint.js';

/** Reference: zig-zag over 64 bits, then unsigned LEB128, in BigInt. */
function referenceVarlong(n: number): string {
  let z = BigInt.asUintN(64, (BigInt(n) << 1n) ^ (BigInt(n) >> 63n));
  const bytes: number[] = [];
  while (z >= 0x80n) {
    bytes.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  bytes.push(Number(z));
  return Buffer.from(bytes).toString('hex');
}

function encodeVarint(n: number): string {
  const buf = Buffer.alloc(10, 0xee);
  const end = writeVarint(buf, 0, n);
  return buf.subarray(0, end).toString('hex');
}

function encodeVarlong(n: number): string {
  const buf = Buffer.alloc(12, 0xee);
  const end = writeVarlong(buf, 0, n);
  return buf.subarray(0, end).toString('hex');
}

function decodeVarint(hex: string): { value: number; pos: number } {
  const buf = Buffer.from(hex, 'hex');
  const cursor = { pos: 0 };
  const value = readVarint(buf, cursor, buf.length);
  return { value, pos: cursor.pos };
}

function decodeVarlong(hex: string): { value: number; pos: number } {
  const buf = Buffer.from(hex, 'hex');
  const cursor = { pos: 0 };
  const value = readVarlong(buf, cursor, buf.length);
  return { value, pos: cursor.pos };
}

function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `expected a SkeinError, got ${String(err)}`);
    assert.is((err as SkeinError).code, code);
    return;
  }
  assert.unreachable('expected a throw');
}

const VARINT_KNOWN: Array<[number, string]> = [
  [0, '00'],
  [-1, '01'],
  [1, '02'],
  [-2, '03'],
  [63, '7e'],
  [-64, '7f'],
  [64, '8001'],
  [-65, '8101'],
  [8191, 'fe7f'],
  [-8192, 'ff7f'],
  [8192, '808001'],
  [2147483647, 'feffffff0f'],
  [-2147483648, 'ffffffff0f'],
];

test('varint: known encodings, sizes and decodes', () => {
  for (const [n, hex] of VARINT_KNOWN) {
    assert.is(encodeVarint(n), hex, `encode ${n}`);
    assert.is(sizeOfVarint(n), hex.length / 2, `size ${n}`);
    assert.equal(decodeVarint(hex), { value: n, pos: hex.length / 2 }, `decode ${hex}`);
    // In int32 range a varlong is byte-identical to a varint.
    assert.is(encodeVarlong(n), hex, `varlong ${n}`);
    assert.equal(decodeVarlong(hex), { value: n, pos: hex.length / 2 });
  }
});

const VARLONG_KNOWN: Array<[number, string]> = [
  [2147483648, '8080808010'], // 2^31: zig-zag 2^32
  [-2147483649, '8180808010'], // -2^31 - 1: zig-zag 2^32 + 1
  [4294967296, '8080808020'], // 2^32: zig-zag 2^33
  [-4294967296, 'ffffffff1f'], // zig-zag 2^33 - 1
  [1700000000000, '80a0abfef962'], // a millisecond timestamp
  [Number.MAX_SAFE_INTEGER, 'feffffffffffff1f'], // zig-zag 2^54 - 2
  [Number.MIN_SAFE_INTEGER, 'fdffffffffffff1f'], // zig-zag 2^54 - 3
];

test('varlong: known encodings beyond int32 agree with the BigInt reference', () => {
  for (const [n, hex] of VARLONG_KNOWN) {
    assert.is(referenceVarlong(n), hex, `reference ${n}`);
    assert.is(encodeVarlong(n), hex, `encode ${n}`);
    assert.is(sizeOfVarlong(n), hex.length / 2, `size ${n}`);
    assert.equal(decodeVarlong(hex), { value: n, pos: hex.length / 2 }, `decode ${hex}`);
  }
});

test('varint: round trip of every int32 class, agreeing with the reference', () => {
  fc.assert(
    fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.nat(7), (n, offset) => {
      const buf = Buffer.alloc(16);
      const end = writeVarint(buf, offset, n);
      assert.is(end - offset, sizeOfVarint(n));
      assert.is(buf.subarray(offset, end).toString('hex'), referenceVarlong(n));
      const cursor = { pos: offset };
      assert.is(readVarint(buf, cursor, end), n);
      assert.is(cursor.pos, end);
    }),
    { numRuns: 5000 },
  );
});

test('varlong: round trip of safe integers, agreeing with the reference', () => {
  const safe = fc.oneof(
    fc.maxSafeInteger(),
    fc.integer({ min: -0x80000000, max: 0x7fffffff }),
    // Values near each 7-bit group boundary, where size changes.
    fc.tuple(fc.integer({ min: 1, max: 52 }), fc.integer({ min: -2, max: 1 }), fc.boolean()).map(([bits, d, neg]) => {
      const v = 2 ** bits + d;
      return neg ? -v : v;
    }),
  );
  fc.assert(
    fc.property(safe, (n) => {
      const buf = Buffer.alloc(16);
      const end = writeVarlong(buf, 0, n);
      assert.is(end, sizeOfVarlong(n));
      assert.is(buf.subarray(0, end).toString('hex'), referenceVarlong(n));
      const cursor = { pos: 0 };
      assert.is(readVarlong(buf, cursor, end), n);
      assert.is(cursor.pos, end);
    }),
    { numRuns: 5000 },
  );
});

test('readers never cross `end`: truncated encodings throw SKEIN_INVALID_RECORD', () => {
  for (const [n] of VARLONG_KNOWN.concat(VARINT_KNOWN)) {
    const hex = encodeVarlong(n);
    const bytes = Buffer.from(hex, 'hex');
    for (let cut = 0; cut < bytes.length; cut++) {
      // Bytes after `end` exist and would complete the value: the reader must not use them.
      throwsCode(() => readVarlong(bytes, { pos: 0 }, cut), 'SKEIN_INVALID_RECORD');
      if (bytes.length <= 5) throwsCode(() => readVarint(bytes, { pos: 0 }, cut), 'SKEIN_INVALID_RECORD');
    }
  }
});

test('readers: overlong encodings and values outside the safe range', () => {
  throwsCode(() => decodeVarint('ffffffff8f01'), 'SKEIN_INVALID_RECORD'); // 6 bytes
  throwsCode(() => decodeVarlong('ffffffffffffffffff8f01'), 'SKEIN_INVALID_RECORD'); // 11 bytes
  throwsCode(() => decodeVarlong('808080808080808010'), 'SKEIN_INVALID_RECORD'); // zig-zag 2^60
  throwsCode(() => decodeVarlong('80808080808080807f'), 'SKEIN_INVALID_RECORD');
  throwsCode(() => decodeVarlong('ffffffffffffff1f'), 'SKEIN_INVALID_RECORD'); // zig-zag 2^54 - 1 = -2^53
  // zig-zag 2^54: +2^53, one past MAX_SAFE_INTEGER
  throwsCode(() => decodeVarlong('8080808080808020'), 'SKEIN_INVALID_RECORD');
  // Largest 10-byte varlong (Long.MIN_VALUE in Java) is far outside.
  throwsCode(() => decodeVarlong('ffffffffffffffffff01'), 'SKEIN_INVALID_RECORD');
});

test('readers accept what Kafka accepts: non-minimal encodings, 5th varint byte modulo 2^32', () => {
  assert.equal(decodeVarint('8000'), { value: 0, pos: 2 });
  assert.equal(decodeVarint('8180808000'), { value: -1, pos: 5 });
  assert.equal(decodeVarlong('808080808000'), { value: 0, pos: 6 });
  // Java: value |= b << 28 keeps only the low 4 bits of the 5th byte.
  assert.equal(decodeVarint('feffffff7f'), decodeVarint('feffffff0f'));
  // A 10-byte varlong of a small value (non-minimal) is accepted too.
  assert.equal(decodeVarlong('82808080808080808000'), { value: 1, pos: 10 });
});

test.run();
