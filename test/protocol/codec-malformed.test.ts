/**
 * Malformed input gives SKEIN_INVALID_REQUEST, never another exception, a wrong value or a
 * hang: specific cases for each primitive, then every generated decoder (every API,
 * version and direction) fed random bytes, truncated valid messages and valid messages
 * with flipped bytes.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SkeinError } from '../../src/errors.js';
import { APIS } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/codec/reader.js';
import { Writer } from '../../src/protocol/codec/writer.js';
import { SCHEMATA, SpecModel, kebab, loadSpec, type Codec } from './helpers/spec-model.js';

const RUNS = Number(process.env.SKEIN_PROTOCOL_RUNS ?? 30);

function invalid(fn: () => unknown, what: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `${what}: expected a SkeinError, got ${String(err)}`);
    assert.is((err as SkeinError).code, 'SKEIN_INVALID_REQUEST', what);
    assert.type((err as SkeinError).position, 'number', `${what}: the error says where`);
    return;
  }
  assert.unreachable(`${what}: accepted`);
}

const reader = (...bytes: number[]) => new Reader(Buffer.from(bytes));

test('reads past the end', () => {
  invalid(() => reader().readInt8(), 'int8 of nothing');
  invalid(() => reader(0).readInt16(), 'int16 of 1 byte');
  invalid(() => reader(0, 0, 0).readInt32(), 'int32 of 3 bytes');
  invalid(() => reader(0, 0, 0, 0, 0, 0, 0).readInt64(), 'int64 of 7 bytes');
  invalid(() => reader(0, 0, 0).readFloat64(), 'float64 of 3 bytes');
  invalid(() => reader(...new Array(15).fill(0)).readUuid(), 'uuid of 15 bytes');
  invalid(() => reader(0, 5, 0x61).readString(), 'string longer than the rest');
  invalid(() => reader(6, 0x61).readCompactString(), 'compact string longer than the rest');
  invalid(() => reader(0, 0, 0, 9, 1).readBytes(), 'bytes longer than the rest');
  invalid(() => reader(0, 0, 0, 9, 1).readRecords(), 'records longer than the rest');
  invalid(() => reader(3, 1).readCompactRecords(), 'compact records longer than the rest');
  invalid(() => reader(0x80).readUnsignedVarint(), 'unterminated uvarint');
  invalid(() => reader(0x80, 0x80).readVarint(), 'unterminated varint');
  invalid(() => reader(0xff).readVarlong(), 'unterminated varlong');
  const windowed = new Reader(Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), 0, 4);
  assert.is(windowed.readInt32(), 1);
  invalid(() => windowed.readInt32(), 'a read across the reader\'s end');
});

test('negative lengths other than -1, and null where none is allowed', () => {
  invalid(() => reader(0xff, 0xfe).readNullableString(), 'string length -2');
  invalid(() => reader(0xff, 0xff).readString(), 'null string');
  invalid(() => reader(0).readCompactString(), 'null compact string');
  invalid(() => reader(0xff, 0xff, 0xff, 0xfe).readNullableBytes(), 'bytes length -2');
  invalid(() => reader(0xff, 0xff, 0xff, 0xff).readBytes(), 'null bytes');
  invalid(() => reader(0x80, 0, 0, 0).readRecords(), 'records length -2^31');
  invalid(() => reader(0xff, 0xff, 0xff, 0xfe).readArrayLength(), 'array length -2');
  assert.is(reader(0xff, 0xff, 0xff, 0xff).readArrayLength(), -1);
  assert.is(reader(0).readCompactArrayLength(), -1);
  assert.is(reader(0xff, 0xff).readNullableString(), null);
});

test('impossible sizes: counts beyond the bytes left, over-long varints, int64 beyond ±2^53', () => {
  invalid(() => reader(0x7f, 0xff, 0xff, 0xff, 1, 2, 3).readArrayLength(), 'array of 2^31-1 elements in 3 bytes');
  invalid(() => reader(0xff, 0xff, 0xff, 0xff, 0x0f).readCompactArrayLength(), 'compact array of 2^32-2 elements');
  invalid(() => reader(0xff, 0xff, 0xff, 0xff, 0x0f).readCompactBytes(), 'compact bytes of 2^32-2');
  invalid(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x01).readUnsignedVarint(), '6-byte uvarint');
  invalid(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x01).readVarint(), '6-byte varint');
  invalid(() => reader(...new Array(10).fill(0x80), 0x01).readVarlong(), '11-byte varlong');
  invalid(() => reader(0x00, 0x20, 0, 0, 0, 0, 0, 0).readInt64(), 'int64 = 2^53');
  invalid(() => reader(0xff, 0xe0, 0, 0, 0, 0, 0, 0).readInt64(), 'int64 = -2^53');
  invalid(() => reader(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff).readInt64(), 'int64 = 2^63-1');
  assert.is(reader(0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff).readInt64(), 2 ** 53 - 1);
});

test('tagged-field sections: sizes past the end, known fields that overrun their size', () => {
  invalid(() => reader(1, 0, 5, 1, 2).readTaggedFields(), 'a field of 5 bytes with 2 left');
  invalid(() => reader(2, 0, 0).readTaggedFields(), 'two fields announced, one present');
  const r = reader(1, 4, 2, 0, 0, 0, 0, 0);
  invalid(() => r.readTaggedFields(() => (r.readInt32(), true)), 'an int32 in a 2-byte field');
  const skipped = reader(2, 9, 1, 0xaa, 3, 0, 7);
  skipped.readTaggedFields();
  assert.is(skipped.readInt8(), 7);
});

type Decode = (r: Reader, version: number) => unknown;
type Encode = (w: Writer, version: number, m: unknown) => void;

/** Decoding either succeeds or throws SKEIN_INVALID_REQUEST; never anything else. */
function decodesOrRefuses(decode: Decode, bytes: Buffer, version: number, what: string): void {
  try {
    decode(new Reader(bytes), version);
  } catch (err) {
    if (!(err instanceof SkeinError) || err.code !== 'SKEIN_INVALID_REQUEST') {
      assert.unreachable(`${what}: ${bytes.toString('hex')} threw ${err instanceof Error ? err.stack : String(err)}`);
    }
  }
}

for (const api of APIS) {
  test(`${api.name}: random, truncated and damaged bytes are refused with a code at every version`, async () => {
    const codec = (await import(`../../src/protocol/messages/${kebab(api.name)}.js`)) as Codec;
    for (const kind of ['Request', 'Response'] as const) {
      const model = new SpecModel(loadSpec(`${SCHEMATA}${api.name}${kind}.json`), api.minVersion, api.maxVersion);
      const decode = codec[`decode${api.name}${kind}`] as Decode;
      const encode = codec[`encode${api.name}${kind}`] as Encode;
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        const what = `${api.name}${kind} v${version}`;
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 64 }), (noise) => decodesOrRefuses(decode, Buffer.from(noise), version, what)),
          { numRuns: RUNS },
        );
        fc.assert(
          fc.property(model.arbitrary(version), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 3 }), (message, cut, flips) => {
            const w = new Writer();
            encode(w, version, message);
            const valid = w.toBuffer();
            if (valid.length === 0) return;
            // Every proper prefix of a message whose last field is not empty-able must be refused;
            // at least it must never throw anything else.
            decodesOrRefuses(decode, valid.subarray(0, cut % valid.length), version, `${what} truncated`);
            const damaged = Buffer.from(valid);
            for (const [at, xor] of flips) damaged[at % damaged.length]! ^= xor;
            decodesOrRefuses(decode, damaged, version, `${what} damaged`);
          }),
          { numRuns: RUNS },
        );
      }
    }
  });
}

test('a truncated message is never decoded as complete: the shortest valid body still needs all its bytes', async () => {
  const heartbeat = await import('../../src/protocol/messages/heartbeat.js');
  const w = new Writer();
  heartbeat.encodeHeartbeatRequest(w, 4, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
  const bytes = w.toBuffer();
  for (let cut = 0; cut < bytes.length; cut++) {
    invalid(() => heartbeat.decodeHeartbeatRequest(new Reader(bytes.subarray(0, cut)), 4), `heartbeat v4 cut at ${cut}`);
  }
});

test.run();
