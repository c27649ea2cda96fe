/**
 * Compressed record batches built by hand, for the Bad input tests: a header from the
 * project's encoder, any records section (compressed with any codec, or garbage), any
 * recordsCount, and a correct CRC so only the inside is wrong.
 */
import { gzipSync } from 'node:zlib';
import { crc32c } from '../../src/native/crc32c.js';
import { encodeRecordBatch, type RecordInput } from '../../src/records/encode-record-batch.js';
import { compress } from '../../src/records/compression/index.js';

/** The uncompressed records section (bytes 61..end) of a batch of `records`. */
export function recordsSection(records: RecordInput[]): Buffer {
  return encodeRecordBatch(records).subarray(61);
}

/** A v2 batch with `payload` as its records section, `codec` in attributes, `count` records declared, CRC correct. */
export function batchWithPayload(payload: Uint8Array, codec: number, count: number): Buffer {
  const header = Buffer.from(encodeRecordBatch([{ value: 'x', timestamp: 1_700_000_000_000 }]).subarray(0, 61));
  const batch = Buffer.concat([header, payload]);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt16BE((batch.readInt16BE(21) & ~7) | codec, 21);
  batch.writeInt32BE(count - 1, 23);
  batch.writeInt32BE(count, 57);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/** `records` compressed with `codec`, declaring `count` records (default: the true count). */
export function compressedBatch(records: RecordInput[], codec: 1 | 2 | 3 | 4, count = records.length): Buffer {
  return batchWithPayload(compress(codec, recordsSection(records)), codec, count);
}

/** A gzip batch declaring one record whose records section inflates to `bytes` zeros (~1/1000 of that on the wire). */
export function gzipBombBatch(bytes: number): Buffer {
  return batchWithPayload(gzipSync(Buffer.alloc(bytes)), 1, 1);
}
