/**
 * src/protocol/codec/reader.ts and writer.ts: every primitive round-trips (fast-check), the
 * bytes agree with kafkajs's Encoder (an independent implementation) and with known
 * vectors, and the Writer keeps its zero-copy promise: appended record sets are the very
 * Buffers in the chunk list, nothing written is moved, reserved slots can be filled late.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { Reader } from '../../src/protocol/codec/reader.js';
import { Writer } from '../../src/protocol/codec/writer.js';
import { ZERO_UUID, uuidFromBytes, uuidToBytes } from '../../src/protocol/codec/uuid.js';

const require = createRequire(import.meta.url);
interface KafkajsEncoder {
  buffer: Buffer;
  [method: string]: unknown;
}
const KafkajsEncoder = require('kafkajs/src/protocol/encoder') as new () => KafkajsEncoder;

/** kafkajs's bytes for a sequence of `method(value)` calls. */
function kafkajs(calls: Array<[string, unknown]>): Buffer {
  const e = new KafkajsEncoder();
  for (const [method, value] of calls) (e[method] as (v: unknown) => unknown).call(e, value);
  return e.buffer;
}

const int = (min: number, max: number) => fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max, 0, -1 < min ? 1 : -1));
const safe = fc.oneof(fc.maxSafeInteger(), fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 32, -(2 ** 32), 2 ** 31, -(2 ** 31) - 1));
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }));
const bytes = fc.uint8Array({ maxLength: 1200 }).map((u) => Buffer.from(u));

/** Primitives as [our writer method, our reader method, kafkajs encoder method or null, arbitrary]. */
const PRIMITIVES: Array<[string, string, string | null, fc.Arbitrary<unknown>]> = [
  ['writeInt8', 'readInt8', 'writeInt8', int(-128, 127)],
  ['writeInt16', 'readInt16', 'writeInt16', int(-32768, 32767)],
  ['writeUint16', 'readUint16', null, int(0, 65535)],
  ['writeInt32', 'readInt32', 'writeInt32', int(-(2 ** 31), 2 ** 31 - 1)],
  ['writeUint32', 'readUint32', 'writeUInt32', int(0, 2 ** 32 - 1)],
  ['writeInt64', 'readInt64', 'writeInt64', safe],
  ['writeFloat64', 'readFloat64', 'writeDouble', fc.double({ noNaN: true })],
  ['writeBool', 'readBool', 'writeBoolean', fc.boolean()],
  ['writeUnsignedVarint', 'readUnsignedVarint', 'writeUVarInt', int(0, 2 ** 32 - 1)],
  ['writeVarint', 'readVarint', 'writeVarInt', int(-(2 ** 31), 2 ** 31 - 1)],
  ['writeVarlong', 'readVarlong', 'writeVarLong', safe],
  ['writeString', 'readString', 'writeString', text],
  ['writeNullableString', 'readNullableString', 'writeString', fc.option(text, { nil: null })],
  ['writeCompactString', 'readCompactString', 'writeUVarIntString', text],
  ['writeCompactNullableString', 'readCompactNullableString', 'writeUVarIntString', fc.option(text, { nil: null })],
  ['writeBytes', 'readBytes', 'writeBytes', bytes],
  ['writeNullableBytes', 'readNullableBytes', 'writeBytes', fc.option(bytes, { nil: null })],
  ['writeCompactBytes', 'readCompactBytes', 'writeUVarIntBytes', bytes],
  ['writeCompactNullableBytes', 'readCompactNullableBytes', 'writeUVarIntBytes', fc.option(bytes, { nil: null })],
  ['writeRecords', 'readRecords', 'writeBytes', fc.option(bytes, { nil: null })],
  ['writeCompactRecords', 'readCompactRecords', 'writeUVarIntBytes', fc.option(bytes, { nil: null })],
  ['writeUuid', 'readUuid', null, fc.uint8Array({ minLength: 16, maxLength: 16 }).map((u) => Buffer.from(u).toString('base64url'))],
];

test('sequences of primitives round-trip, and match kafkajs byte for byte', () => {
  const step = fc.constantFrom(...PRIMITIVES.keys()).chain((i) => PRIMITIVES[i]![3].map((value) => [i, value] as const));
  fc.assert(
    fc.property(fc.array(step, { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), (steps, initial) => {
      const w = new Writer(initial);
      for (const [i, value] of steps) (w as unknown as Record<string, (v: unknown) => void>)[PRIMITIVES[i]![0]]!(value);
      const ours = w.toBuffer();
      assert.is(ours.length, w.length);
      const r = new Reader(ours);
      for (const [i, value] of steps) {
        const got = (r as unknown as Record<string, () => unknown>)[PRIMITIVES[i]![1]]!();
        assert.equal(got, value, PRIMITIVES[i]![1]);
      }
      assert.is(r.remaining, 0);
      if (steps.every(([i]) => PRIMITIVES[i]![2] !== null)) {
        assert.ok(ours.equals(kafkajs(steps.map(([i, v]) => [PRIMITIVES[i]![2]!, v]))), 'same bytes as kafkajs');
      }
    }),
    { numRuns: 1000 },
  );
});

test('unsigned varints: known encodings, non-minimal forms accepted, fifth byte taken modulo 2^32', () => {
  const vectors: Array<[number, number[]]> = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [300, [0xac, 0x02]],
    [16383, [0xff, 0x7f]],
    [16384, [0x80, 0x80, 0x01]],
    [2 ** 31, [0x80, 0x80, 0x80, 0x80, 0x08]],
    [2 ** 32 - 1, [0xff, 0xff, 0xff, 0xff, 0x0f]],
  ];
  for (const [value, encoding] of vectors) {
    const w = new Writer();
    w.writeUnsignedVarint(value);
    assert.equal([...w.toBuffer()], encoding, `${value}`);
    assert.is(new Reader(Buffer.from(encoding)).readUnsignedVarint(), value);
  }
  assert.is(new Reader(Buffer.from([0x80, 0x00])).readUnsignedVarint(), 0);
  assert.is(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f])).readUnsignedVarint(), 2 ** 32 - 1);
});

test('zig-zag varints and int64 at their edges', () => {
  const w = new Writer();
  w.writeVarint(-1);
  w.writeVarint(-(2 ** 31));
  w.writeVarlong(-(2 ** 40));
  w.writeInt64(-1);
  w.writeInt64(Number.MIN_SAFE_INTEGER);
  const buf = w.toBuffer();
  assert.equal([...buf.subarray(0, 1)], [0x01]);
  assert.equal([...buf.subarray(1, 6)], [0xff, 0xff, 0xff, 0xff, 0x0f]);
  const r = new Reader(buf);
  assert.is(r.readVarint(), -1);
  assert.is(r.readVarint(), -(2 ** 31));
  assert.is(r.readVarlong(), -(2 ** 40));
  assert.is(r.readInt64(), -1);
  assert.is(r.readInt64(), Number.MIN_SAFE_INTEGER);
  assert.equal([...buf.subarray(buf.length - 16, buf.length - 8)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
});

test('uuids are Kafka\'s base64url strings of 16 bytes', () => {
  assert.equal([...uuidToBytes(ZERO_UUID)], new Array(16).fill(0));
  const bytes = Buffer.from('0123456789abcdef0123456789abcdef', 'hex');
  const text = uuidFromBytes(bytes, 0);
  assert.is(text.length, 22);
  assert.ok(uuidToBytes(text).equals(bytes));
  for (const bad of ['', 'AAAAAAAAAAAAAAAAAAAAAB', 'AAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAA+A', 'AAAAAAAAAAAAAAAAAAAAAAA']) {
    assert.throws(() => uuidToBytes(bad), (e: Error & { code?: string }) => e.code === 'SKEIN_INVALID_ARGUMENT', bad);
  }
});

test('records are appended without copying: the chunk list holds the very Buffers given', () => {
  const a = Buffer.from('first segment view');
  const b = Buffer.from('second');
  const w = new Writer(8);
  w.writeInt32(7);
  w.writeRecords([a, b]);
  w.writeInt16(1);
  w.writeCompactRecords(a);
  const chunks = w.finish();
  assert.ok(chunks.includes(a) && chunks.includes(b), 'same objects, not copies');
  assert.is(chunks.filter((c) => c === a).length, 2);
  assert.is(chunks.reduce((n, c) => n + c.length, 0), w.length);
  const joined = Buffer.concat(chunks);
  const r = new Reader(joined);
  assert.is(r.readInt32(), 7);
  const records = r.readRecords()!;
  assert.is(records.toString(), 'first segment viewsecond');
  assert.is(records.buffer, joined.buffer, 'decoded records are a view of the frame');
  assert.is(r.readInt16(), 1);
  assert.is(r.readCompactRecords()!.toString(), a.toString());
});

test('bytes fields: large values appended, small ones copied; decoded bytes are copies', () => {
  const big = Buffer.alloc(600, 1);
  const small = Buffer.alloc(10, 2);
  const w = new Writer();
  w.writeBytes(big);
  w.writeBytes(small);
  const chunks = w.finish();
  assert.ok(chunks.includes(big));
  assert.not.ok(chunks.includes(small));
  const joined = Buffer.concat(chunks);
  const decoded = new Reader(joined).readBytes();
  assert.ok(decoded.equals(big));
  joined.fill(9);
  assert.ok(decoded.equals(big), 'a copy: group state must not pin (or see changes to) socket chunks');
});

test('a reserved int32 is filled after the scratch buffer it lies in was left behind', () => {
  const w = new Writer(6);
  w.writeInt8(1);
  const slot = w.reserveInt32();
  for (let i = 0; i < 100; i++) w.writeInt32(i);
  w.appendBuffer(Buffer.from('tail'));
  w.fillInt32(slot, w.length);
  const buf = w.toBuffer();
  assert.is(buf.readInt32BE(1), buf.length);
  assert.is(buf.readInt32BE(5 + 99 * 4), 99);
  assert.throws(() => w.writeInt8(0), (e: Error & { code?: string }) => e.code === 'SKEIN_INVALID_ARGUMENT', 'finished writers refuse writes');
});

test('strings over 32767 UTF-8 bytes are refused both ways', () => {
  const w = new Writer();
  assert.throws(() => w.writeString('é'.repeat(16384)), (e: Error & { code?: string }) => e.code === 'SKEIN_INVALID_ARGUMENT');
  w.writeString('é'.repeat(16383)); // 32766 bytes
  assert.is(w.length, 2 + 32766);
  const long = Buffer.alloc(40000);
  long.writeUInt8(0x81, 0); // compact length 0x8001 + ... : uvarint 0x81 0x80 0x02 = 32769 → 32768 bytes
  long.writeUInt8(0x80, 1);
  long.writeUInt8(0x02, 2);
  assert.throws(() => new Reader(long).readCompactString(), (e: Error & { code?: string }) => e.code === 'SKEIN_INVALID_REQUEST');
});

test.run();
