/**
 * lz4 (Kafka codec 3): the LZ4 frame format, as Kafka's Java client, librdkafka, kafkajs-lz4
 * and @platformatic/kafka write it for RecordBatch v2.
 *
 * Compression: npm `lz4-napi` (napi-rs bindings of the Rust `lz4_flex`, prebuilt), frames of
 * independent blocks without checksums (the batch CRC-32C covers the bytes).
 * Decompression: our own block decoder (lz4-frame.ts), always. It never writes past the cap,
 * which lz4_flex cannot promise (it has no output limit), and it measured faster than
 * lz4-napi's decompressFrameSync on batch-sized inputs (bench/compression.bench.ts): the
 * binding's per-call external buffer costs more than the decoding.
 *
 * Synchronous and stateless; safe on any thread.
 */
import { compressFrameSync } from 'lz4-napi';
import { decompressedTooLarge } from './errors.js';
import { decodeLz4Blocks, readLz4Frames } from './lz4-frame.js';

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function lz4Compress(data: Uint8Array): Buffer {
  return compressFrameSync(asBuffer(data));
}

export function lz4Decompress(data: Uint8Array, maxBytes: number): Buffer {
  const frames = readLz4Frames(data);
  if (frames.declaredSize > maxBytes) throw decompressedTooLarge('lz4', maxBytes, frames.declaredSize);
  return decodeLz4Blocks(data, frames, maxBytes);
}
