/**
 * src/records/encode-record-batch.ts against the specification and against an independent
 * client. (a) Batches written out byte by byte from the RecordBatch v2 layout (only the
 * CRC is computed) must equal what encodeRecordBatch produces, and decode back. (b) kafkajs
 * 2.2.4's own RecordBatch/Record encoders (used as an oracle only) must produce the same
 * bytes for the same inputs, and our decoder must read kafkajs's bytes (and kafkajs's
 * decoder ours).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { native } from '../../src/native/binding.js';
import { encodeRecordBatch, type RecordInput } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';

/** Joins hex fragments (spaces allowed) and fills the CRC (bytes 17..20) from bytes 21..end. */
function specBatch(...parts: string[]): Buffer {
  const buf = Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
  assert.is(buf.readUInt32BE(17), 0, 'CRC placeholder must be 00000000');
  buf.writeUInt32BE(native.crc32c(buf.subarray(21)) >>> 0, 17);
  return buf;
}

test('CRC-32C known answer (the only computed part of the hand-built batches)', () => {
  assert.is(native.crc32c(Buffer.from('123456789')) >>> 0, 0xe3069283);
});

test('hand-built batch 1: idempotent, transactional, CreateTime, headers, null key, empty value', () => {
  const expected = specBatch(
    '0000000000000064', // baseOffset 100
    '00000047', //         batchLength 71 = 83 - 12
    '00000005', //         partitionLeaderEpoch 5
    '02', //               magic
    '00000000', //         crc (filled in)
    '0010', //             attributes: transactional, CreateTime, no compression
    '00000001', //         lastOffsetDelta
    '0000018bcfe56800', // baseTimestamp 1700000000000
    '0000018bcfe56be8', // maxTimestamp 1700000001000
    '000000000000002a', // producerId 42
    '0003', //             producerEpoch 3
    '00000007', //         baseSequence 7
    '00000002', //         recordsCount
    // record 0: length 13 (zig-zag 26), attributes, timestampDelta 0, offsetDelta 0,
    //           key "k", value "v1", 1 header "h" = "x"
    '1a 00 00 00 02 6b 04 7631 02 02 68 02 78',
    // record 1: length 7 (zig-zag 14), attributes, timestampDelta 1000 (zig-zag 2000 = d0 0f),
    //           offsetDelta 1, key null (-1), value empty (0), 0 headers
    '0e 00 d00f 02 01 00 00',
  );
  const actual = encodeRecordBatch(
    [
      { key: 'k', value: 'v1', headers: [{ key: 'h', value: 'x' }], timestamp: 1_700_000_000_000 },
      { key: null, value: Buffer.alloc(0), timestamp: 1_700_000_001_000 },
    ],
    { baseOffset: 100, partitionLeaderEpoch: 5, producerId: 42, producerEpoch: 3, baseSequence: 7, isTransactional: true },
  );
  assert.is(actual.toString('hex'), expected.toString('hex'));

  const batch = decodeRecordBatch(expected);
  assert.is(batch.baseOffset, 100);
  assert.is(batch.lastOffset, 101);
  assert.is(batch.producerId, 42);
  assert.is(batch.isTransactional, true);
  assert.is(batch.records[0].key!.toString(), 'k');
  assert.equal(batch.records[0].headers.map((h) => [h.key, h.value!.toString()]), [['h', 'x']]);
  assert.is(batch.records[1].key, null);
  assert.is(batch.records[1].value!.length, 0);
  assert.is(batch.records[1].timestamp, 1_700_000_001_000);
});

test('hand-built batch 2: LogAppendTime, defaults, varlong beyond int32, negative deltas, null header value', () => {
  const expected = specBatch(
    '0000000000000000', // baseOffset 0 (default)
    '0000004a', //         batchLength 74 = 86 - 12
    'ffffffff', //         partitionLeaderEpoch -1 (default)
    '02',
    '00000000',
    '0008', //             attributes: LogAppendTime
    '00000001',
    '000000012a05f200', // baseTimestamp 5000000000 (given explicitly)
    '000000012a05f1ff', // maxTimestamp 4999999999 (largest record timestamp)
    'ffffffffffffffff', // producerId -1
    'ffff', //             producerEpoch -1
    'ffffffff', //         baseSequence -1
    '00000002',
    // record 0: length 13, attributes, timestampDelta -2^32 (zig-zag 2^33 - 1 = ff ff ff ff 1f),
    //           offsetDelta 0, key null, value null, 1 header "a" = null
    '1a 00 ffffffff1f 00 01 01 02 02 61 01',
    // record 1: length 10 (zig-zag 20), attributes, timestampDelta -1, offsetDelta 1,
    //           key ff 00, value "é" (c3 a9), 0 headers
    '14 00 01 02 04 ff00 04 c3a9 00',
  );
  const actual = encodeRecordBatch(
    [
      { value: null, headers: { a: null }, timestamp: 5_000_000_000 - 2 ** 32 },
      { key: new Uint8Array([0xff, 0x00]), value: 'é', timestamp: 4_999_999_999 },
    ],
    { timestampType: 'log-append', baseTimestamp: 5_000_000_000 },
  );
  assert.is(actual.toString('hex'), expected.toString('hex'));

  const batch = decodeRecordBatch(expected);
  assert.is(batch.timestampType, 'log-append');
  assert.is(batch.records[0].timestampDelta, -(2 ** 32));
  // LogAppendTime: the record timestamp is the batch's maxTimestamp.
  assert.is(batch.records[0].timestamp, 4_999_999_999);
  assert.equal(batch.records[0].headers, [{ key: 'a', value: null }]);
  assert.is(batch.records[1].key!.toString('hex'), 'ff00');
});

// ---------------------------------------------------------------------------------------
// kafkajs as an independent implementation.

const require = createRequire(import.meta.url);
type KafkajsEncoder = { buffer: Buffer };
const { RecordBatch: KafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: Record<string, unknown>) => Promise<KafkajsEncoder>;
};
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (args: Record<string, unknown>) => KafkajsEncoder;
const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<KafkajsDecodedBatch>;
const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => unknown;

interface KafkajsDecodedBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  lastOffsetDelta: number;
  records: Array<{ offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> }>;
}

/**
 * A record as kafkajs takes it: headers are an object whose values may be arrays (one header
 * per element). kafkajs cannot encode null header values (its size computation calls
 * Buffer.byteLength(null) and throws), so none are generated here; ours are tested elsewhere.
 */
interface KafkajsInput {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, Buffer | string | Array<Buffer | string>>;
  timestamp: number;
}

interface SharedOptions {
  baseOffset: number;
  partitionLeaderEpoch: number;
  baseTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  isTransactional: boolean;
}

/**
 * kafkajs's batch encoder, fed what its producer would compute, except: firstTimestamp is
 * ours (its producer takes the smallest timestamp after a string sort; Kafka's Java client
 * and we take the first record's), and partitionLeaderEpoch/producerEpoch/firstSequence are
 * passed explicitly (its defaults are 0 where the protocol's "unset" and ours are -1).
 */
async function encodeWithKafkajs(records: KafkajsInput[], options: SharedOptions): Promise<Buffer> {
  const encoded = records.map((r, i) =>
    KafkajsRecord({
      offsetDelta: i,
      timestampDelta: r.timestamp - options.baseTimestamp,
      key: r.key,
      value: r.value,
      headers: r.headers,
    }),
  );
  const batch = await KafkajsRecordBatch({
    firstOffset: options.baseOffset,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    firstTimestamp: options.baseTimestamp,
    maxTimestamp: Math.max(...records.map((r) => r.timestamp)),
    lastOffsetDelta: records.length - 1,
    transactional: options.isTransactional,
    producerId: options.producerId,
    producerEpoch: options.producerEpoch,
    firstSequence: options.baseSequence,
    records: encoded,
  });
  return batch.buffer;
}

/** kafkajs headers as an ordered list: a multi-valued key becomes repeated entries. */
function headerList(r: KafkajsInput): Array<{ key: string; value: Buffer | string }> {
  const headers: Array<{ key: string; value: Buffer | string }> = [];
  for (const [key, value] of Object.entries(r.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) headers.push({ key, value: v });
  }
  return headers;
}

/** The same record for our encoder. */
function toOurs(r: KafkajsInput): RecordInput {
  return { key: r.key, value: r.value, headers: headerList(r), timestamp: r.timestamp };
}

function bytesOf(v: Buffer | string | null): Buffer | null {
  return v === null ? null : typeof v === 'string' ? Buffer.from(v) : v;
}

const kBytes = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
);
const kHeaderValue = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.uint8Array({ maxLength: 20 }).map((u) => Buffer.from(u)));
const kRecord: fc.Arbitrary<KafkajsInput> = fc.record({
  key: kBytes,
  value: kBytes,
  headers: fc.dictionary(
    fc.string({ unit: 'binary', maxLength: 12 }).filter((k) => k !== '__proto__'),
    fc.oneof(kHeaderValue, fc.array(kHeaderValue, { minLength: 1, maxLength: 3 })),
    { maxKeys: 6, noNullPrototype: true },
  ),
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
});
const kOptions: fc.Arbitrary<Omit<SharedOptions, 'baseTimestamp'>> = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
  producerId: fc.integer({ min: -1, max: 2 ** 40 }),
  producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
  baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
  isTransactional: fc.boolean(),
});

test('kafkajs: a fixed producer batch is byte-identical and decodes both ways', async () => {
  const records: KafkajsInput[] = [
    { key: 'user-1', value: '{"n":1}', headers: { 'content-type': 'application/json' }, timestamp: 1_700_000_000_000 },
    { key: null, value: Buffer.from([0, 1, 2, 3]), headers: {}, timestamp: 1_699_999_999_000 },
    { key: 'user-3', value: null, headers: { tag: ['a', 'b'], 'ключ': 'значение' }, timestamp: 1_700_000_000_500 },
  ];
  const options: SharedOptions = {
    baseOffset: 0,
    partitionLeaderEpoch: -1,
    baseTimestamp: 1_700_000_000_000,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    isTransactional: false,
  };
  const theirs = await encodeWithKafkajs(records, options);
  const ours = encodeRecordBatch(records.map(toOurs));
  assert.is(ours.toString('hex'), theirs.toString('hex'));

  const batch = decodeRecordBatch(theirs);
  assert.is(batch.recordCount, 3);
  assert.is(batch.maxTimestamp, 1_700_000_000_500);
  assert.equal(
    batch.records[2].headers.map((h) => [h.key, h.value!.toString()]),
    [['tag', 'a'], ['tag', 'b'], ['ключ', 'значение']],
  );
  assert.is(batch.records[1].timestampDelta, -1000);

  const decodedByKafkajs = await kafkajsDecodeBatch(new KafkajsDecoder(ours));
  assert.is(decodedByKafkajs.records.length, 3);
  assert.is(decodedByKafkajs.records[1].timestamp, '1699999999000');
  assert.is(decodedByKafkajs.records[0].key!.toString(), 'user-1');
  assert.equal(decodedByKafkajs.records[2].headers.tag, [Buffer.from('a'), Buffer.from('b')]);
});

test('kafkajs: property — same records and header fields give the same bytes; each decodes the other', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(kRecord, { minLength: 1, maxLength: 50 }), kOptions, async (records, partial) => {
      const options: SharedOptions = { ...partial, baseTimestamp: records[0].timestamp };
      const theirs = await encodeWithKafkajs(records, options);
      const ours = encodeRecordBatch(records.map(toOurs), {
        baseOffset: options.baseOffset,
        partitionLeaderEpoch: options.partitionLeaderEpoch,
        producerId: options.producerId,
        producerEpoch: options.producerEpoch,
        baseSequence: options.baseSequence,
        isTransactional: options.isTransactional,
      });
      assert.ok(ours.equals(theirs), `bytes differ:\n ours   ${ours.toString('hex')}\n theirs ${theirs.toString('hex')}`);

      // Our decoder on kafkajs's bytes.
      const batch = decodeRecordBatch(theirs);
      assert.is(batch.baseOffset, options.baseOffset);
      assert.is(batch.producerId, options.producerId);
      assert.is(batch.isTransactional, options.isTransactional);
      records.forEach((r, i) => {
        const got = batch.records[i];
        assert.is(got.offset, options.baseOffset + i);
        assert.is(got.timestamp, r.timestamp);
        assert.equal(got.key, bytesOf(r.key));
        assert.equal(got.value, bytesOf(r.value));
        assert.equal(
          got.headers,
          headerList(r).map((h) => ({ key: h.key, value: bytesOf(h.value) })),
        );
      });

      // kafkajs's decoder on our bytes.
      const theirView = await kafkajsDecodeBatch(new KafkajsDecoder(ours));
      assert.is(theirView.firstOffset, String(options.baseOffset));
      assert.is(theirView.producerId, String(options.producerId));
      assert.is(theirView.lastOffsetDelta, records.length - 1);
      records.forEach((r, i) => {
        assert.is(theirView.records[i].offset, String(options.baseOffset + i));
        assert.is(theirView.records[i].timestamp, String(r.timestamp));
        assert.equal(theirView.records[i].value, bytesOf(r.value));
      });
    }),
    { numRuns: 200 },
  );
});

test.run();
