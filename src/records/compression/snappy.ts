/**
 * snappy (Kafka codec 2) over the npm `snappy` package (napi-rs bindings of the Rust `snap`
 * crate, prebuilt: no compiler at install).
 *
 * Reads both shapes found on the wire: one raw snappy block (librdkafka, kafkajs-snappy,
 * @platformatic/kafka) and xerial-framed blocks (Kafka's Java client, kafka-python; see
 * xerial.ts). Writes one raw block by default, which every client reads (snappy-java's
 * reader falls back to raw when the magic is absent); `compressSnappyXerial` writes the Java
 * client's framing for tests and for peers that want it.
 *
 * Zip bombs: a raw block starts with its uncompressed length (a varint), so the cap is
 * checked before anything is inflated; xerial blocks are summed the same way first.
 * Synchronous and stateless; safe on any thread.
 */
import { compressSync, uncompressSync } from 'snappy';
import { corruptCompressed, decompressedTooLarge } from './errors.js';
import { isXerialFramed, writeXerial, xerialBlocks } from './xerial.js';

/**
 * copyOutputData: the binding's default hands V8 an external buffer per call, whose
 * finalizer and GC accounting cost more than copying ~100 KiB (bench/compression.bench.ts
 * measures both).
 */
const OUTPUT = { copyOutputData: true } as const;

export function snappyCompress(data: Uint8Array): Buffer {
  return compressSync(data, OUTPUT);
}

/** The Java client's shape: xerial framing around 32 KiB raw blocks. */
export function compressSnappyXerial(data: Uint8Array, blockSize?: number): Buffer {
  return writeXerial(data, (slice) => compressSync(slice, OUTPUT), blockSize);
}

export function snappyDecompress(data: Uint8Array, maxBytes: number): Buffer {
  if (!isXerialFramed(data)) {
    const length = uncompressedLengthOf(data);
    checkCap(length, maxBytes);
    checkPlausible(length, data);
    return rawBlock(data);
  }
  const blocks = xerialBlocks(data);
  let total = 0;
  for (const block of blocks) {
    const length = uncompressedLengthOf(block);
    total = checkCap(total + length, maxBytes);
    checkPlausible(length, block);
  }
  if (blocks.length === 1) return rawBlock(blocks[0]);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const block of blocks) {
    const part = rawBlock(block);
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

function checkCap(length: number, maxBytes: number): number {
  if (length > maxBytes) throw decompressedTooLarge('snappy', maxBytes, length);
  return length;
}

/**
 * The most a raw block can expand: its densest element, a 3-byte copy, yields 64 bytes.
 * A block declaring more than that is lying, and the binding would allocate what it claims
 * before finding out (up to 4 GiB, from a 5-byte header) even with no cap given.
 */
const MAX_EXPANSION = 22;

function checkPlausible(length: number, block: Uint8Array): void {
  if (length > block.length * MAX_EXPANSION + 64) {
    throw corruptCompressed('snappy', `a ${block.length}-byte block cannot hold the ${length} bytes it declares`);
  }
}

function rawBlock(block: Uint8Array): Buffer {
  try {
    return uncompressSync(block, { asBuffer: true, copyOutputData: true }) as Buffer;
  } catch (err) {
    throw corruptCompressed('snappy', `the records do not decompress: ${(err as Error).message}`, err);
  }
}

/** The uncompressed length a raw snappy block declares: a little-endian base-128 varint of up to 32 bits. */
export function uncompressedLengthOf(block: Uint8Array): number {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) break;
    const byte = block[i];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (value > 0xffffffff) break;
      return value;
    }
  }
  throw corruptCompressed('snappy', 'a raw block does not start with a valid uncompressed length');
}
