/**
 * The legacy message-set codec (src/records/message-set.ts): CRC-32 against known check
 * values, whole messages against bytes written out by hand and against kafkajs 2.2.4's own
 * MessageSet encoder and decoder (an independent implementation, used as an oracle), random
 * round trips (decode → re-encode gives the same bytes), compressed wrappers' inner offsets,
 * and every malformed form refused with its code.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SkeinError } from '../../src/errors.js';
import {
  crc32,
  crc32Js,
  decodeMessageSet,
  encodeMessageSet,
  innerMessages,
  isLegacyEntry,
  sizeOfMessage,
  type LegacyMagic,
  type LegacyMessageInput,
} from '../../src/records/message-set.js';

const require = createRequire(import.meta.url);
const KafkajsMessageSet = require('kafkajs/src/protocol/messageSet') as (args: { messageVersion: number; compression?: number; entries: unknown[] }) => { buffer: Buffer };
const kafkajsMessageSetDecoder = require('kafkajs/src/protocol/messageSet/decoder') as (decoder: unknown, size: number) => Promise<Array<Record<string, unknown>>>;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SkeinError, `a SkeinError, got ${String(error)}`);
    return (error as SkeinError).code;
  }
  return 'no error';
}

test('CRC-32 check values (IEEE 802.3: the CRC of "123456789" is 0xCBF43926)', () => {
  for (const impl of [crc32, crc32Js]) {
    assert.is(impl(Buffer.from('123456789')), 0xcbf43926);
    assert.is(impl(Buffer.alloc(0)), 0);
    assert.is(impl(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x414fa339);
    assert.is(impl(Buffer.alloc(32, 0xff)), 0xff6cab0b);
  }
});

test('the JavaScript CRC-32 equals zlib on random bytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => crc32Js(bytes) === crc32(bytes)), { numRuns: 300 });
});

test('a magic 0 and a magic 1 message byte for byte', () => {
  // offset 7, value "hello", null key: CRC-32 of magic..end is 0x87a77ab2 (computed apart, by Python's zlib).
  const v0 = Buffer.from('0000000000000007' + '00000013' + '87a77ab2' + '00' + '00' + 'ffffffff' + '00000005' + Buffer.from('hello').toString('hex'), 'hex');
  assert.ok(encodeMessageSet([{ offset: 7, key: null, value: Buffer.from('hello') }], 0).equals(v0));
  const [m0] = decodeMessageSet(v0);
  assert.equal(
    { offset: m0!.offset, magic: m0!.magic, key: m0!.key, value: m0!.value?.toString(), timestamp: m0!.timestamp, crc: m0!.crc, size: m0!.size },
    { offset: 7, magic: 0, key: null, value: 'hello', timestamp: -1, crc: 0x87a77ab2, size: 31 },
  );
  // offset 0, timestamp 1700000000000, key "k", value "v": CRC 0x39268c33.
  const v1 = Buffer.from('0000000000000000' + '00000018' + '39268c33' + '01' + '00' + '0000018bcfe56800' + '00000001' + '6b' + '00000001' + '76', 'hex');
  assert.ok(encodeMessageSet([{ offset: 0, key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1700000000000 }], 1).equals(v1));
  const [m1] = decodeMessageSet(v1);
  assert.equal([m1!.magic, m1!.timestamp, m1!.timestampType, m1!.key?.toString(), m1!.value?.toString()], [1, 1700000000000, 'create', 'k', 'v']);
  assert.ok(isLegacyEntry(v0) && isLegacyEntry(v1));
});

const bytesArb = fc.oneof(fc.constant(null), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)));
const messageArb: fc.Arbitrary<LegacyMessageInput> = fc.record({
  offset: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
  timestamp: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 4102444800000 })),
  timestampType: fc.constantFrom('create' as const, 'log-append' as const),
  key: bytesArb,
  value: bytesArb,
});

test('random message sets: encode → decode → re-encode gives the same bytes, every field kept', () => {
  fc.assert(
    fc.property(fc.constantFrom(0 as LegacyMagic, 1 as LegacyMagic), fc.array(messageArb, { maxLength: 20 }), (magic, messages) => {
      const bytes = encodeMessageSet(messages, magic);
      assert.is(bytes.length, messages.reduce((n, m) => n + sizeOfMessage(magic, m.key, m.value), 0));
      const decoded = decodeMessageSet(bytes);
      assert.is(decoded.length, messages.length);
      decoded.forEach((d, i) => {
        const m = messages[i]!;
        assert.is(d.offset, m.offset);
        assert.is(d.magic, magic);
        assert.is(d.timestamp, magic === 1 ? m.timestamp : -1);
        assert.is(d.timestampType, magic === 1 ? m.timestampType : 'create');
        assert.equal(d.key === null ? null : [...d.key], m.key === null ? null : [...m.key]);
        assert.equal(d.value === null ? null : [...d.value], m.value === null ? null : [...m.value]);
      });
      const again = encodeMessageSet(decoded, magic);
      assert.ok(again.equals(bytes));
    }),
    { numRuns: 300 },
  );
});

test('kafkajs encodes, we decode; we encode, kafkajs decodes (both magics)', async () => {
  for (const magic of [0, 1] as const) {
    const entries = [
      { key: 'a', value: 'first', timestamp: 1700000000000 },
      { key: null, value: 'second', timestamp: 1700000000123 },
      { key: 'c', value: Buffer.alloc(3000, 7), timestamp: 1700000000456 },
    ];
    const theirs = KafkajsMessageSet({ messageVersion: magic, entries }).buffer;
    const ours = decodeMessageSet(theirs);
    assert.equal(
      ours.map((m) => [m.offset, m.magic, m.key?.toString() ?? null, m.value?.length, m.timestamp]),
      [
        [0, magic, 'a', 5, magic === 1 ? 1700000000000 : -1],
        [1, magic, null, 6, magic === 1 ? 1700000000123 : -1],
        [2, magic, 'c', 3000, magic === 1 ? 1700000000456 : -1],
      ],
    );
    // Re-encoding kafkajs's set gives its bytes back, CRCs included.
    assert.ok(encodeMessageSet(ours, magic).equals(theirs));

    const mine = encodeMessageSet(
      entries.map((e, i) => ({ offset: 100 + i, key: e.key === null ? null : Buffer.from(e.key), value: Buffer.from(e.value), timestamp: e.timestamp })),
      magic,
    );
    const decoded = await kafkajsMessageSetDecoder(new KafkajsDecoder(mine), mine.length);
    assert.equal(
      decoded.map((m) => [m.offset, m.magicByte, (m.key as Buffer | null)?.toString() ?? null, (m.value as Buffer).length, m.timestamp]),
      entries.map((e, i) => [String(100 + i), magic, e.key, Buffer.from(e.value).length, magic === 1 ? String(e.timestamp) : undefined]),
    );
  }
});

test('compressed wrappers: kafkajs gzip sets, and magic 1 relative inner offsets made absolute', () => {
  for (const magic of [0, 1] as const) {
    const inner = KafkajsMessageSet({ messageVersion: magic, compression: 1, entries: [{ value: 'x1' }, { value: 'x2' }, { value: 'x3' }] }).buffer;
    const set = encodeMessageSet([{ offset: magic === 1 ? 2 : 0, compression: 'gzip', key: null, value: gzipSync(inner), timestamp: 5 }], magic);
    const [wrapper] = decodeMessageSet(set);
    assert.is(wrapper!.compression, 'gzip');
    const messages = innerMessages(wrapper!, gunzipSync(wrapper!.value!));
    assert.equal(
      messages.map((m) => [m.offset, m.value?.toString()]),
      [
        [0, 'x1'],
        [1, 'x2'],
        [2, 'x3'],
      ],
    );
  }
  // Magic 1: the wrapper holds the last inner offset; 0..2 inside a wrapper at 10 are 8, 9, 10.
  const relative = encodeMessageSet([0, 1, 2].map((i) => ({ offset: i, key: null, value: Buffer.from(`r${i}`), timestamp: 1 })), 1);
  const [w] = decodeMessageSet(encodeMessageSet([{ offset: 10, compression: 'gzip', timestampType: 'log-append', timestamp: 99, key: null, value: gzipSync(relative) }], 1));
  const absolute = innerMessages(w!, gunzipSync(w!.value!));
  assert.equal(
    absolute.map((m) => [m.offset, m.timestamp, m.timestampType]),
    [
      [8, 99, 'log-append'],
      [9, 99, 'log-append'],
      [10, 99, 'log-append'],
    ],
  );
  // Nested compression and mixed magics are refused.
  const nested = encodeMessageSet([{ offset: 0, compression: 'gzip', key: null, value: Buffer.from('zz') }], 1);
  assert.is(codeOf(() => innerMessages(w!, nested)), 'SKEIN_CORRUPT_MESSAGE');
  assert.is(codeOf(() => innerMessages(w!, encodeMessageSet([{ offset: 0, key: null, value: null }], 0))), 'SKEIN_CORRUPT_MESSAGE');
  assert.is(codeOf(() => innerMessages(w!, Buffer.alloc(0))), 'SKEIN_CORRUPT_MESSAGE');
});

/** A message whose CRC is right for whatever its bytes say, so a check after the CRC is what fails. */
function withCrc(entry: Buffer): Buffer {
  entry.writeUInt32BE(crc32(entry.subarray(16)), 12);
  return entry;
}

test('malformed sets are refused with their codes; a cut tail is dropped only on request', () => {
  const good = encodeMessageSet(
    [
      { offset: 0, key: Buffer.from('k'), value: Buffer.from('value-0'), timestamp: 1 },
      { offset: 1, key: null, value: Buffer.from('value-1'), timestamp: 2 },
    ],
    1,
  );
  // Every single flipped bit the CRC covers is caught.
  for (let at = 16; at < good.length; at++) {
    if (at >= 12 + good.readInt32BE(8) && at < 12 + good.readInt32BE(8) + 16) continue; // the second entry's offset, size and CRC
    const bad = Buffer.from(good);
    bad[at]! ^= 0x10;
    const code = codeOf(() => decodeMessageSet(bad));
    assert.ok(code === 'SKEIN_CORRUPT_MESSAGE' || code === 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT', `byte ${at}: ${code}`);
  }
  // A stored CRC that does not match.
  const badCrc = Buffer.from(good);
  badCrc.writeUInt32BE((badCrc.readUInt32BE(12) + 1) >>> 0, 12);
  assert.is(codeOf(() => decodeMessageSet(badCrc)), 'SKEIN_CORRUPT_MESSAGE');
  // Truncations: refused, or the whole messages before the cut when allowed.
  const firstEnd = 12 + good.readInt32BE(8);
  for (let cut = 1; cut < good.length; cut++) {
    const part = good.subarray(0, cut);
    const kept = decodeMessageSet(part, { allowPartialTail: true });
    assert.is(kept.length, cut >= firstEnd ? 1 : 0, `cut at ${cut}`);
    if (cut === firstEnd) continue; // a whole first message: a valid set
    assert.is(codeOf(() => decodeMessageSet(part)), 'SKEIN_CORRUPT_MESSAGE', `cut at ${cut}`);
  }
  // Sizes: negative, below the smallest message, below a magic 1 message.
  const negative = Buffer.from(good);
  negative.writeInt32BE(-5, 8);
  assert.is(codeOf(() => decodeMessageSet(negative)), 'SKEIN_CORRUPT_MESSAGE');
  assert.is(codeOf(() => decodeMessageSet(negative, { allowPartialTail: true })), 'SKEIN_CORRUPT_MESSAGE');
  const tiny = Buffer.alloc(12 + 10);
  tiny.writeInt32BE(10, 8);
  assert.is(codeOf(() => decodeMessageSet(tiny)), 'SKEIN_CORRUPT_MESSAGE');
  const shortV1 = withCrc(Buffer.from(encodeMessageSet([{ offset: 0, key: null, value: Buffer.from('12345678') }], 0)));
  shortV1[16] = 1; // magic 1 needs 8 more bytes than this message's lengths leave
  assert.is(codeOf(() => decodeMessageSet(withCrc(shortV1))), 'SKEIN_CORRUPT_MESSAGE');
  // Magic 2 inside a legacy set, and unknown magics.
  const magic2 = withCrc(Buffer.from(good.subarray(0, 12 + good.readInt32BE(8))));
  magic2[16] = 2;
  assert.is(codeOf(() => decodeMessageSet(magic2)), 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT');
  magic2[16] = 7;
  assert.is(codeOf(() => decodeMessageSet(withCrc(magic2))), 'SKEIN_CORRUPT_MESSAGE');
  // Codecs: zstd cannot be in magic 0/1; 5-7 do not exist.
  const one = Buffer.from(good.subarray(0, 12 + good.readInt32BE(8)));
  one[17] = 4;
  assert.is(codeOf(() => decodeMessageSet(withCrc(one))), 'SKEIN_UNSUPPORTED_COMPRESSION');
  one[17] = 6;
  assert.is(codeOf(() => decodeMessageSet(withCrc(one))), 'SKEIN_CORRUPT_MESSAGE');
  // Key and value lengths that run out of the message, or leave bytes behind.
  const lengths = encodeMessageSet([{ offset: 0, key: Buffer.from('kk'), value: Buffer.from('vv') }], 0);
  for (const [at, value] of [
    [18, 1000],
    [18, -2],
    [24, 1000],
    [24, 1],
  ] as const) {
    const bad = Buffer.from(lengths);
    bad.writeInt32BE(value, at);
    assert.is(codeOf(() => decodeMessageSet(withCrc(bad))), 'SKEIN_CORRUPT_MESSAGE', `length ${value} at ${at}`);
  }
  // Offsets and timestamps beyond ±(2^53 - 1).
  const bigOffset = Buffer.from(good.subarray(0, 12 + good.readInt32BE(8)));
  bigOffset.writeBigInt64BE(2n ** 60n, 0);
  assert.is(codeOf(() => decodeMessageSet(bigOffset)), 'SKEIN_CORRUPT_MESSAGE');
  const bigTime = Buffer.from(good.subarray(0, 12 + good.readInt32BE(8)));
  bigTime.writeBigInt64BE(-(2n ** 60n), 18);
  assert.is(codeOf(() => decodeMessageSet(withCrc(bigTime))), 'SKEIN_CORRUPT_MESSAGE');
});

test('random bytes never throw anything but a SkeinError', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, partial) => {
      try {
        decodeMessageSet(bytes, { allowPartialTail: partial });
      } catch (error) {
        return error instanceof SkeinError;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
});

test('the encoder refuses what magic 0/1 cannot hold', () => {
  assert.is(codeOf(() => encodeMessageSet([{ offset: 0, key: null, value: null, compression: 'zstd' }], 1)), 'SKEIN_INVALID_ARGUMENT');
  assert.is(codeOf(() => encodeMessageSet([{ offset: 2 ** 60, key: null, value: null }], 1)), 'SKEIN_INVALID_ARGUMENT');
  assert.is(codeOf(() => encodeMessageSet([], 2 as LegacyMagic)), 'SKEIN_INVALID_ARGUMENT');
  assert.is(encodeMessageSet([], 0).length, 0);
});

test.run();
