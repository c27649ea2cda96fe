/**
 * src/records/batch-header.ts: the field positions match the v2 layout, the accessors read
 * what the encoder wrote (including negative and > 2^32 int64 values), and the in-place
 * patches of fields outside the CRC leave a valid batch.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as header from '../../src/records/batch-header.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';

test('field positions follow the RecordBatch v2 layout', () => {
  const layout: Array<[number, number]> = [
    // [position, size] in header order; each field starts where the previous ends.
    [header.BASE_OFFSET, 8],
    [header.BATCH_LENGTH, 4],
    [header.PARTITION_LEADER_EPOCH, 4],
    [header.MAGIC, 1],
    [header.CRC, 4],
    [header.ATTRIBUTES, 2],
    [header.LAST_OFFSET_DELTA, 4],
    [header.BASE_TIMESTAMP, 8],
    [header.MAX_TIMESTAMP, 8],
    [header.PRODUCER_ID, 8],
    [header.PRODUCER_EPOCH, 2],
    [header.BASE_SEQUENCE, 4],
    [header.RECORDS_COUNT, 4],
  ];
  let expected = 0;
  for (const [pos, size] of layout) {
    assert.is(pos, expected);
    expected += size;
  }
  assert.is(expected, 61);
  assert.is(header.RECORDS, 61);
  assert.is(header.HEADER_SIZE, 61);
  assert.is(header.LOG_OVERHEAD, 12);
  assert.is(header.MIN_BATCH_LENGTH, 49);
  assert.is(header.CRC_START, 21);
  assert.equal([...header.COMPRESSION_NAMES], ['none', 'gzip', 'snappy', 'lz4', 'zstd']);
});

test('accessors read every field the encoder wrote, at any position in a larger buffer', () => {
  fc.assert(
    fc.property(
      fc.record({
        baseOffset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 10 }),
        partitionLeaderEpoch: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        producerId: fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
        producerEpoch: fc.integer({ min: -0x8000, max: 0x7fff }),
        baseSequence: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
        isTransactional: fc.boolean(),
        timestampType: fc.constantFrom('create' as const, 'log-append' as const),
      }),
      fc.array(fc.integer({ min: -(2 ** 50), max: 2 ** 50 }), { minLength: 1, maxLength: 5 }),
      fc.nat(9),
      (options, timestamps, at) => {
        const batch = encodeRecordBatch(timestamps.map((timestamp) => ({ value: 'v', timestamp })), options);
        const buf = Buffer.alloc(at + batch.length + 3);
        batch.copy(buf, at);
        assert.is(header.readBaseOffset(buf, at), options.baseOffset);
        assert.is(header.readBatchLength(buf, at), batch.length - 12);
        assert.is(header.batchSize(buf, at), batch.length);
        assert.is(header.readPartitionLeaderEpoch(buf, at), options.partitionLeaderEpoch);
        assert.is(header.readMagic(buf, at), 2);
        assert.is(header.readCrc(buf, at), batch.readUInt32BE(17));
        const attributes = header.readAttributes(buf, at);
        assert.is(header.compressionCodecOf(attributes), header.CompressionCodec.NONE);
        assert.is(header.timestampTypeOf(attributes), options.timestampType);
        assert.is(header.isTransactionalBatch(attributes), options.isTransactional);
        assert.is(header.isControlBatch(attributes), false);
        assert.is(header.readLastOffsetDelta(buf, at), timestamps.length - 1);
        assert.is(header.readLastOffset(buf, at), options.baseOffset + timestamps.length - 1);
        assert.is(header.readBaseTimestamp(buf, at), timestamps[0]);
        assert.is(header.readMaxTimestamp(buf, at), Math.max(...timestamps));
        assert.is(header.readProducerId(buf, at), options.producerId);
        assert.is(header.readProducerEpoch(buf, at), options.producerEpoch);
        assert.is(header.readBaseSequence(buf, at), options.baseSequence);
        assert.is(header.readRecordsCount(buf, at), timestamps.length);
      },
    ),
    { numRuns: 500 },
  );
});

test('int64 helpers agree with Buffer.readBigInt64BE over the safe range', () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (value) => {
      const buf = Buffer.alloc(8);
      header.writeInt64BE(buf, 0, value);
      assert.is(buf.readBigInt64BE(0), BigInt(value));
      assert.is(header.readInt64BE(buf, 0), value);
    }),
    { numRuns: 2000 },
  );
  const buf = Buffer.alloc(8);
  header.writeInt16BE(buf, 0, -2);
  assert.is(buf.readInt16BE(0), -2);
  assert.is(header.readInt16BE(buf, 0), -2);
  header.writeInt32BE(buf, 0, -0x80000000);
  assert.is(header.readInt32BE(buf, 0), -0x80000000);
  assert.is(header.readUInt32BE(buf, 0), 0x80000000);
});

test('writeBaseOffset and writePartitionLeaderEpoch patch in place; the CRC still holds', () => {
  const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }]);
  header.writeBaseOffset(batch, 0, 2 ** 40 + 5);
  header.writePartitionLeaderEpoch(batch, 0, 17);
  const decoded = decodeRecordBatch(batch);
  assert.is(decoded.baseOffset, 2 ** 40 + 5);
  assert.is(decoded.partitionLeaderEpoch, 17);
  assert.equal(decoded.records.map((r) => r.offset), [2 ** 40 + 5, 2 ** 40 + 6]);
});

test.run();
