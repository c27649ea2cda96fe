/**
 * src/records/batch-summary.ts (native summarizeBuffer): one walk gives, per batch, the same
 * fields the header accessors read; the scan stops at the first bad batch and summarises only
 * the valid ones; buffers of many batches grow the summary table.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BatchSummaries, S } from '../../src/records/batch-summary.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import {
  batchSize,
  readAttributes,
  readBaseSequence,
  readLastOffsetDelta,
  readMaxTimestamp,
  readProducerEpoch,
  readProducerId,
  readRecordsCount,
} from '../../src/records/batch-header.js';
import { ScanStop } from '../../src/native/binding.js';

function batches(n: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const records = Array.from({ length: 1 + (i % 3) }, (_, r) => ({ value: `v${i}.${r}`, timestamp: 1_700_000_000_000 + i * 10 + r }));
    parts.push(encodeRecordBatch(records, { producerId: 40 + i, producerEpoch: i % 5, baseSequence: i * 3, isTransactional: i % 2 === 1 }));
  }
  return Buffer.concat(parts);
}

test('each summary equals what the header accessors read', () => {
  for (const n of [1, 4, 5, 37]) {
    const buf = batches(n);
    const summaries = BatchSummaries.of(buf);
    assert.is(summaries.count, n);
    assert.ok(summaries.complete);
    assert.is(summaries.scan.validEnd, buf.length);
    let at = 0;
    let records = 0;
    for (let i = 0; i < n; i++) {
      assert.is(summaries.get(i, S.POSITION), at);
      assert.is(summaries.get(i, S.SIZE), batchSize(buf, at));
      assert.is(summaries.get(i, S.LAST_OFFSET_DELTA), readLastOffsetDelta(buf, at));
      assert.is(summaries.get(i, S.RECORD_COUNT), readRecordsCount(buf, at));
      assert.is(summaries.get(i, S.PRODUCER_ID), readProducerId(buf, at));
      assert.is(summaries.get(i, S.PRODUCER_EPOCH), readProducerEpoch(buf, at));
      assert.is(summaries.get(i, S.BASE_SEQUENCE), readBaseSequence(buf, at));
      assert.is(summaries.get(i, S.ATTRIBUTES), readAttributes(buf, at));
      assert.is(summaries.get(i, S.MAX_TIMESTAMP), readMaxTimestamp(buf, at));
      assert.is(summaries.codec(i), 0);
      records += readRecordsCount(buf, at);
      at += batchSize(buf, at);
    }
    assert.is(summaries.records, records);
    assert.ok(summaries.idempotent);
  }
});

test('a bad CRC stops the scan: only the batches before it are summarised', () => {
  const buf = batches(6);
  const third = BatchSummaries.of(buf).get(2, S.POSITION);
  buf[third + 70] ^= 0xff; // a record byte, covered by the CRC
  const summaries = BatchSummaries.of(buf);
  assert.is(summaries.count, 2);
  assert.not.ok(summaries.complete);
  assert.is(summaries.scan.stop, ScanStop.BAD_CRC);
  assert.is(summaries.scan.validEnd, third);
});

test('not idempotent, and empty input', () => {
  const plain = BatchSummaries.of(encodeRecordBatch([{ value: 'x' }]));
  assert.is(plain.get(0, S.PRODUCER_ID), -1);
  assert.not.ok(plain.idempotent);
  const empty = BatchSummaries.of(Buffer.alloc(0));
  assert.is(empty.count, 0);
  assert.is(empty.records, 0);
});

test.run();
