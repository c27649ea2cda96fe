/**
 * Broker.produce with compressed batches (the embedded path, no sockets): batches are
 * stored byte for byte as sent, their contents are checked against the topic's
 * max.message.bytes (which also caps the decompressed size), and a refused batch leaves the
 * log, the log end offset and the idempotent producer's sequence as they were.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { compressedBatch, gzipBombBatch } from '../helpers/compressed-batches.js';

test.after(cleanupTempDirs);

async function code(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, String(err));
    return err.code;
  }
  return undefined;
}

async function stored(broker: Broker, topic: string): Promise<Buffer> {
  const result = await broker.fetch({ partitions: [{ topic, partition: 0, fetchOffset: 0, maxBytes: 64 << 20 }], maxWaitMs: 0 });
  return Buffer.concat(result.partitions[0]!.records.map((v) => Buffer.from(v)));
}

const records = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `compressible value ${i} `.repeat(10), timestamp: 1_700_000_000_000 + i }));

test('compressed batches are stored as sent (bytes after the baseOffset equal) and read back decompressed', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'd') });
  await broker.createTopic({ topic: 't', numPartitions: 1 });
  const sent = (['gzip', 'snappy', 'lz4', 'zstd'] as const).map((compression) => encodeRecordBatch(records, { compression }));
  for (const batch of sent) await broker.produce('t', 0, batch);
  const batches = [...iterateBatches(await stored(broker, 't'))];
  assert.is(batches.length, 4);
  for (const [i, batch] of batches.entries()) {
    // The broker assigns baseOffset (bytes 0-7) and partitionLeaderEpoch (bytes 12-15), both
    // outside the CRC, and leaves the rest alone.
    assert.is(batch.readBigInt64BE(0), BigInt(i * 50));
    assert.is(batch.readInt32BE(12), 0);
    assert.equal(batch.subarray(8, 12), sent[i]!.subarray(8, 12), `batch ${i} length as sent`);
    assert.equal(batch.subarray(16), sent[i]!.subarray(16), `batch ${i} stored byte for byte`);
    assert.equal([...iterateRecords(batch)].map((r) => r.value!.toString()), records.map((r) => r.value));
  }
  await broker.close();
});

test('bad compressed batches are refused with their codes; log and producer sequence unchanged', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'd') });
  await broker.createTopic({ topic: 'small', numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '20000' }] });
  const { producerId, producerEpoch } = await broker.initProducerId();
  const idem = (seq: number, compression: 'gzip' | 'zstd') => encodeRecordBatch(records, { compression, producerId, producerEpoch, baseSequence: seq });
  await broker.produce('small', 0, idem(0, 'gzip'));
  const before = await stored(broker, 'small');

  // ~11 KiB of records per batch fits 20000; 64 KiB of zeros does not, though it compresses to ~100 bytes.
  assert.is(await code(() => broker.produce('small', 0, gzipBombBatch(64 * 1024))), 'SKEIN_MESSAGE_TOO_LARGE');
  assert.is(await code(() => broker.produce('small', 0, compressedBatch(records, 2, 49))), 'SKEIN_INVALID_RECORD');
  const corrupt = compressedBatch(records, 4);
  corrupt[corrupt.length - 10] ^= 0xff; // inside the zstd frame, CRC now wrong
  assert.is(await code(() => broker.produce('small', 0, corrupt)), 'SKEIN_CORRUPT_MESSAGE');
  const codec6 = Buffer.from(corrupt);
  codec6.writeInt16BE(6, 21);
  assert.is(await code(() => broker.produce('small', 0, codec6)), 'SKEIN_CORRUPT_MESSAGE', 'wrong CRC is found before the codec id');

  assert.equal(await stored(broker, 'small'), before, 'the log is unchanged');
  // The producer's next sequence is still 50: a refused batch consumed nothing.
  const next = await broker.produce('small', 0, idem(50, 'zstd'));
  assert.is(next.baseOffset, 50);

  // Raising max.message.bytes raises the decompressed cap too.
  await broker.alterConfigs('small', [{ name: 'max.message.bytes', value: String(128 * 1024) }], { incremental: true });
  assert.is(await code(() => broker.produce('small', 0, gzipBombBatch(64 * 1024))), 'SKEIN_INVALID_RECORD', 'now under the cap: the zeros are checked as records');
  await broker.close();
});

test.run();
