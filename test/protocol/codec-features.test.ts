/**
 * The generator's handling of spec features the served APIs use little or not at all,
 * through test/protocol/specs/CodecFeaturesMessage.json (generated into
 * test/protocol/generated/codec-features-message.ts): float64, uint16/uint32, commonStructs
 * used at two version ranges, nullable structs, version-dependent nullability, field-level
 * "flexibleVersions": "none", tagged fields of every type, non-ignorable fields a version
 * lacks, and unknown tagged fields.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SkeinError } from '../../src/errors.js';
import { Reader } from '../../src/protocol/codec/reader.js';
import { Writer } from '../../src/protocol/codec/writer.js';
import {
  decodeCodecFeaturesMessage,
  encodeCodecFeaturesMessage,
  maxVersion,
  minVersion,
  type CodecFeaturesMessage,
} from './generated/codec-features-message.js';
import { REPO, SpecModel, loadSpec } from './helpers/spec-model.js';

const spec = loadSpec(`${REPO}test/protocol/specs/CodecFeaturesMessage.json`);
const model = new SpecModel(spec, minVersion, maxVersion);

function encode(version: number, m: CodecFeaturesMessage): Buffer {
  const w = new Writer(8);
  encodeCodecFeaturesMessage(w, version, m);
  return w.toBuffer();
}

function sample(version: number): CodecFeaturesMessage {
  return {
    ratio: 0.5,
    port: 65535,
    count: version >= 1 ? 4294967295 : 0,
    level: -1,
    enabled: true,
    id: 'AAAAAAAAAAAAAAAAAAAAAQ',
    offset: 2 ** 53 - 1,
    classicName: 'héllo',
    label: 'label',
    payload: Buffer.from('p'),
    blob: Buffer.from('blob'),
    batches: [Buffer.from('ab'), Buffer.from('cd')],
    groups: [{ name: 'g', members: [{ memberId: 'm', weight: 3 }] }],
    offsets: [1, -1],
    names: ['a'],
    owner: { host: 'h', port: 1, secure: false },
    parent: null,
    ...(version >= 2 ? { window: { start: 1, end: 2 }, ids: [] } : {}),
  };
}

const decode = (version: number, bytes: Buffer) => decodeCodecFeaturesMessage(new Reader(bytes), version);

function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `expected a SkeinError, got ${String(err)}`);
    assert.is((err as SkeinError).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('random messages of every version round-trip byte for byte', () => {
  for (let version = minVersion; version <= maxVersion; version++) {
    fc.assert(
      fc.property(model.arbitrary(version), (message) => {
        const first = encode(version, message as unknown as CodecFeaturesMessage);
        const r = new Reader(first);
        const decoded = decodeCodecFeaturesMessage(r, version);
        assert.is(r.remaining, 0);
        assert.equal(decoded, model.expectedDecode(message, version));
        assert.ok(encode(version, decoded).equals(first));
      }),
      { numRuns: 200 },
    );
  }
});

test('a field with "flexibleVersions": "none" keeps its int16 length in flexible versions', () => {
  const bytes = encode(3, sample(3));
  // ratio 8 + port 2 + count 4 + level 1 + enabled 1 + id 16 + offset 8 = 40; then classicName.
  assert.is(bytes.readInt16BE(40), Buffer.byteLength('héllo'));
  assert.is(bytes.toString('utf8', 42, 42 + 6), 'héllo');
  // The next string is compact: uvarint(len + 1).
  assert.is(bytes[48], 'label'.length + 1);
});

test('tagged fields at their default are not written; others are, in tag order', () => {
  const plain = encode(4, sample(4));
  assert.is(plain[plain.length - 1], 0, 'the top-level tagged section is the single byte 0');
  const tagged = encode(4, { ...sample(4), throttleMs: 5, zone: 'z', strict: false, extra: [], trace: null });
  // Only throttleMs (tag 0), zone (tag 2) and strict (tag 9) differ from their defaults.
  const tail = tagged.subarray(plain.length - 1);
  assert.equal([...tail], [3, 0, 4, 0, 0, 0, 5, 2, 2, 2, 0x7a, 9, 1, 0]);
  const decoded = decode(4, tagged);
  assert.is(decoded.throttleMs, 5);
  assert.is(decoded.zone, 'z');
  assert.is(decoded.strict, false);
  assert.is(decode(4, plain).throttleMs, -1);
  assert.is(decode(4, plain).strict, true);
});

test('unknown tagged fields are skipped by their size, known ones must fill theirs exactly', () => {
  const plain = encode(3, sample(3));
  const body = plain.subarray(0, plain.length - 1);
  // tags 3 (unknown, 2 bytes) and 0 (throttleMs, int32 4 bytes)
  const withUnknown = Buffer.concat([body, Buffer.from([2, 0, 4, 0, 0, 0, 9, 3, 2, 0xff, 0xff])]);
  assert.is(decode(3, withUnknown).throttleMs, 9);
  const tooLong = Buffer.concat([body, Buffer.from([1, 0, 5, 0, 0, 0, 9, 0])]);
  throwsCode(() => decode(3, tooLong), 'SKEIN_INVALID_REQUEST');
  const tooShort = Buffer.concat([body, Buffer.from([1, 0, 3, 0, 0, 9])]);
  throwsCode(() => decode(3, tooShort), 'SKEIN_INVALID_REQUEST');
  const pastEnd = Buffer.concat([body, Buffer.from([1, 3, 9, 1])]);
  throwsCode(() => decode(3, pastEnd), 'SKEIN_INVALID_REQUEST');
});

test('a non-ignorable field the version lacks must hold its default; an ignorable one is dropped', () => {
  throwsCode(() => encode(2, { ...sample(2), retired: 8 }), 'SKEIN_UNSUPPORTED_VERSION');
  assert.ok(encode(2, { ...sample(2), retired: 7 }).equals(encode(2, sample(2))));
  assert.ok(encode(3, { ...sample(3), hint: 99 }).equals(encode(3, sample(3))));
  throwsCode(() => encode(0, { ...sample(0), count: 1 }), 'SKEIN_UNSUPPORTED_VERSION');
  throwsCode(() => encode(3, { ...sample(3), strict: false }), 'SKEIN_UNSUPPORTED_VERSION');
  throwsCode(() => encode(1, { ...sample(1), window: { start: 0, end: 0 } }), 'SKEIN_UNSUPPORTED_VERSION');
  assert.is(decode(2, encode(2, sample(2))).retired, 7, 'absent fields decode to their default');
});

test('null only where the version allows it', () => {
  throwsCode(() => encode(1, { ...sample(1), label: null }), 'SKEIN_INVALID_ARGUMENT');
  assert.is(decode(2, encode(2, { ...sample(2), label: null })).label, null);
  throwsCode(() => encode(0, { ...sample(0), payload: null }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(1, { ...sample(1), names: null }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(2, { ...sample(2), window: undefined }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(2, { ...sample(2), owner: null as never }), 'SKEIN_INVALID_ARGUMENT');
  // Decoding null where the version has none is malformed input.
  const v1 = encode(1, sample(1));
  const labelAt = 8 + 2 + 4 + 1 + 1 + 16 + 8 + 2 + Buffer.byteLength('héllo');
  const nulled = Buffer.from(v1);
  nulled.writeInt16BE(-1, labelAt);
  throwsCode(() => decode(1, nulled), 'SKEIN_INVALID_REQUEST');
});

test('a nullable struct is an int8 marker then the struct; a common struct follows each use\'s versions', () => {
  const withParent = encode(2, { ...sample(2), parent: { depth: 3, note: null } });
  const withoutParent = encode(2, sample(2));
  assert.is(withParent.length - withoutParent.length, 1 + 4 + 2 - 1);
  assert.equal(decode(2, withParent).parent, { depth: 3, note: null });
  // Endpoint.secure exists from v2 only; at v1 it is not written and decodes to false.
  const v1 = decode(1, encode(1, { ...sample(1), backups: [{ host: 'b', port: 2, secure: false }] }));
  assert.equal(v1.backups, [{ host: 'b', port: 2, secure: false }]);
  throwsCode(() => encode(1, { ...sample(1), owner: { host: 'h', port: 1, secure: true } }), 'SKEIN_UNSUPPORTED_VERSION');
});

test('values out of their wire type are refused, not wrapped', () => {
  throwsCode(() => encode(0, { ...sample(0), port: 65536 }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(0, { ...sample(0), level: 128 }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(1, { ...sample(1), count: -1 }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(0, { ...sample(0), offset: 2 ** 53 }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(0, { ...sample(0), id: 'not-a-uuid' }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(0, { ...sample(0), classicName: 'x'.repeat(0x8000) }), 'SKEIN_INVALID_ARGUMENT');
  throwsCode(() => encode(0, { ...sample(0), offsets: [1.5] }), 'SKEIN_INVALID_ARGUMENT');
});

test.run();
