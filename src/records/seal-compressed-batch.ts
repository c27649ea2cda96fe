/**
 * Finishes a compressed RecordBatch v2 from the 61-byte header of the same batch built
 * uncompressed and its records section compressed elsewhere (on a worker): codec in the
 * attributes, batchLength for the new size, the base sequence the producer assigns at append
 * time, and the CRC-32C over the finished bytes. Pure; any thread.
 */
import { SkeinError } from '../errors.js';
import { native } from '../native/binding.js';
import { ATTRIBUTES, BASE_SEQUENCE, BATCH_LENGTH, COMPRESSION_CODEC_MASK, CRC, CRC_START, HEADER_SIZE, LOG_OVERHEAD } from './batch-header.js';

const MAX_BATCH_LENGTH = 0x7fffffff;

export function sealCompressedBatch(header: Uint8Array, codec: number, compressedRecords: Uint8Array, baseSequence: number): Buffer {
  if (header.length < HEADER_SIZE) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a batch header has ${HEADER_SIZE} bytes, got ${header.length}`);
  const total = HEADER_SIZE + compressedRecords.length;
  if (total - LOG_OVERHEAD > MAX_BATCH_LENGTH) {
    throw new SkeinError('SKEIN_MESSAGE_TOO_LARGE', `the compressed batch would exceed ${MAX_BATCH_LENGTH} bytes`);
  }
  const out = Buffer.allocUnsafe(total);
  out.set(header.subarray(0, HEADER_SIZE), 0);
  out.set(compressedRecords, HEADER_SIZE);
  out.writeInt32BE(total - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt16BE((out.readInt16BE(ATTRIBUTES) & ~COMPRESSION_CODEC_MASK) | codec, ATTRIBUTES);
  out.writeInt32BE(baseSequence, BASE_SEQUENCE);
  out.writeUInt32BE(native.crc32c(out.subarray(CRC_START)) >>> 0, CRC);
  return out;
}
