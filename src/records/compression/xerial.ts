/**
 * The xerial snappy framing (snappy-java's SnappyOutputStream), which Kafka's Java client and
 * kafka-python put around snappy blocks; librdkafka sends a bare raw block instead.
 *
 *   header  = 0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00   8 bytes of magic
 *             version:int32BE                      1
 *             minCompatibleVersion:int32BE         1
 *   block*  = length:int32BE raw-snappy-block      each block holds at most blockSize input
 *                                                  bytes (32 KiB in snappy-java)
 *
 * Owns: recognising, splitting and writing the framing; the blocks themselves are raw snappy
 * (snappy.ts). Pure functions over bytes; safe on any thread. Not to be confused with the
 * snappy "framing format" (stream identifier 0xff 'sNaPpY'), which Kafka never uses.
 */
import { readInt32BE, writeInt32BE } from '../batch-header.js';
import { corruptCompressed } from './errors.js';

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size: what the Java client writes. */
export const XERIAL_BLOCK_SIZE = 32 * 1024;
const XERIAL_VERSION = 1;

/** True when `data` starts with the xerial magic and holds a whole header. */
export function isXerialFramed(data: Uint8Array): boolean {
  if (data.length < XERIAL_HEADER_SIZE) return false;
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (data[i] !== XERIAL_MAGIC[i]) return false;
  return true;
}

/**
 * The raw snappy blocks of a xerial-framed buffer, as views. Throws SKEIN_CORRUPT_MESSAGE
 * when a block length is negative or runs past the end. Versions are not checked: every
 * version written so far has the same block layout, and Kafka's readers ignore them too.
 */
export function xerialBlocks(data: Uint8Array): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (data.length - pos < 4) throw corruptCompressed('snappy', `xerial framing: ${data.length - pos} stray bytes at ${pos}`);
    const length = readInt32BE(data, pos);
    pos += 4;
    if (length < 0 || length > data.length - pos) {
      throw corruptCompressed('snappy', `xerial framing: a block of ${length} bytes at ${pos - 4} runs past the ${data.length} bytes`);
    }
    blocks.push(data.subarray(pos, pos + length));
    pos += length;
  }
  return blocks;
}

/** Frames `data` as snappy-java does: header, then `compressBlock` of each blockSize slice. */
export function writeXerial(data: Uint8Array, compressBlock: (slice: Uint8Array) => Uint8Array, blockSize = XERIAL_BLOCK_SIZE): Buffer {
  const parts: Uint8Array[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(header, 0);
  writeInt32BE(header, 8, XERIAL_VERSION);
  writeInt32BE(header, 12, XERIAL_VERSION);
  parts.push(header);
  for (let pos = 0; pos < data.length; pos += blockSize) {
    const block = compressBlock(data.subarray(pos, Math.min(data.length, pos + blockSize)));
    const length = Buffer.allocUnsafe(4);
    writeInt32BE(length, 0, block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}
