/**
 * lz4 (Kafka codec 3): the LZ4 frame format, as Kafka's Java client, librdkafka, kafkajs-lz4
 * and @platformatic/kafka write it for RecordBatch v2. Compression and the common
 * decompression go through npm `lz4-napi` (napi-rs bindings of the Rust `lz4_flex`,
 * prebuilt); lz4-frame.ts walks the frame first.
 *
 * Zip bombs: the walk gives an upper bound of the output (each block decodes to at most the
 * frame's block maximum). Under the cap, the native decoder runs; above it (big block sizes,
 * or a real bomb), our own block decoder runs and stops at the cap, since lz4_flex has no
 * output limit. Synchronous and stateless; safe on any thread.
 */
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { corruptCompressed, decompressedTooLarge } from './errors.js';
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
  if (frames.bound > maxBytes) return decodeLz4Blocks(data, frames, maxBytes);
  try {
    return decompressFrameSync(asBuffer(data));
  } catch (err) {
    throw corruptCompressed('lz4', `the records do not decompress: ${(err as Error).message}`, err);
  }
}
