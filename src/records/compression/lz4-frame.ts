/**
 * The LZ4 frame format (lz4_Frame_format.md), which Kafka uses for codec 3 in RecordBatch v2:
 * reading the frame structure, and a block decoder that never writes past a cap.
 *
 *   frame   = magic 0x184D2204 (LE) · FLG · BD · [contentSize u64 LE] · [dictId u32 LE] · HC
 *             block* · endMark (u32 0) · [contentChecksum u32]
 *   FLG     = version (bits 7-6, must be 01) · blockIndependence (5) · blockChecksum (4) ·
 *             contentSize (3) · contentChecksum (2) · reserved (1) · dictId (0)
 *   BD      = blockMaxSize id in bits 6-4: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB
 *   block   = size u32 LE (high bit set: stored uncompressed) · data · [checksum u32]
 *
 * Kafka's magic 0/1 messages used a broken header checksum (KAFKA-3160); RecordBatch v2 and
 * every client writing it (Java, librdkafka, kafkajs-lz4) use the correct one, and this
 * module only serves v2, so the old variant is not read. Checksums (header, block, content)
 * are not verified by the capped decoder: the batch's CRC-32C already covers every byte.
 *
 * Owns: structure walking and capped block decoding, pure functions over bytes; safe on any
 * thread. Knows nothing of the npm binding (lz4.ts compresses with it).
 */
import { corruptCompressed, decompressedTooLarge } from './errors.js';

const FRAME_MAGIC = 0x184d2204;
/** Skippable frames carry user data decoders must skip (magic 0x184D2A50-5F). */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const BLOCK_MAX_SIZES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
const UNCOMPRESSED_BIT = 0x80000000;
/** Below this many bytes a plain loop copies faster than a builtin call (measured in bench/compression.bench.ts). */
const SHORT_COPY = 32;
/** The largest first allocation made on a frame's word alone; beyond it, the output grows as decoded. */
const INITIAL_TRUSTED = 16 * 1024 * 1024;

export interface Lz4Block {
  /** Position of the block's data in the input. */
  start: number;
  end: number;
  compressed: boolean;
  /** Index of the frame the block belongs to (linked blocks never reach across frames). */
  frame: number;
  /** Whether blocks of this frame may reference the previous blocks' output. */
  linked: boolean;
  /** The frame's block maximum: no block decodes to more. */
  maxSize: number;
}

export interface Lz4Frames {
  blocks: Lz4Block[];
  /** Largest output the blocks can produce: Σ (stored size, or the frame's block maximum). */
  bound: number;
  /** Σ of the declared content sizes, or -1 when a frame does not declare one. */
  declaredSize: number;
}

function readU32LE(buf: Uint8Array, pos: number): number {
  return (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
}

function corrupt(message: string): Error {
  return corruptCompressed('lz4', message);
}

/** Walks every frame of `data` without decoding; throws SKEIN_CORRUPT_MESSAGE on bad structure. */
export function readLz4Frames(data: Uint8Array): Lz4Frames {
  const blocks: Lz4Block[] = [];
  let bound = 0;
  let declaredSize = 0;
  let pos = 0;
  let frame = 0;
  if (data.length === 0) throw corrupt('empty input: not an LZ4 frame');
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt(`${data.length - pos} stray bytes after the last frame`);
    const magic = readU32LE(data, pos);
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      if (data.length - pos < 8) throw corrupt('a skippable frame is cut short');
      const size = readU32LE(data, pos + 4);
      if (size > data.length - pos - 8) throw corrupt('a skippable frame runs past the end');
      pos += 8 + size;
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)} at ${pos} (expected 0x184d2204)`);
    if (data.length - pos < 7) throw corrupt('the frame descriptor is cut short');
    const flg = data[pos + 4];
    const bd = data[pos + 5];
    if (flg >> 6 !== 1) throw corrupt(`frame version ${flg >> 6} is not 1`);
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw corrupt('reserved bits are set in the frame descriptor');
    const blockMax = BLOCK_MAX_SIZES[(bd >> 4) & 0x07];
    if (blockMax === 0) throw corrupt(`block maximum size id ${(bd >> 4) & 0x07} is not defined`);
    const linked = (flg & 0x20) === 0;
    const blockChecksum = (flg & 0x10) !== 0;
    const hasContentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const hasDictId = (flg & 0x01) !== 0;
    if (hasDictId) throw corrupt('frames that need a dictionary are not used by Kafka');
    let p = pos + 6;
    if (hasContentSize) {
      if (data.length - p < 8) throw corrupt('the content size is cut short');
      const size = readU32LE(data, p) + readU32LE(data, p + 4) * 2 ** 32;
      if (declaredSize >= 0) declaredSize += size;
      p += 8;
    } else {
      declaredSize = -1;
    }
    p += 1; // header checksum
    for (;;) {
      if (data.length - p < 4) throw corrupt('the frame ends without an end mark');
      const word = readU32LE(data, p);
      p += 4;
      if (word === 0) break;
      const compressed = (word & UNCOMPRESSED_BIT) === 0;
      const size = (word & ~UNCOMPRESSED_BIT) >>> 0;
      if (size > blockMax) throw corrupt(`a block of ${size} bytes exceeds the frame's ${blockMax}-byte maximum`);
      if (size > data.length - p) throw corrupt(`a block of ${size} bytes runs past the end`);
      blocks.push({ start: p, end: p + size, compressed, frame, linked, maxSize: blockMax });
      bound += compressed ? blockMax : size;
      p += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) p += 4;
    if (p > data.length) throw corrupt('a checksum is cut short');
    pos = p;
    frame++;
  }
  return { blocks, bound, declaredSize };
}

/**
 * Decodes the blocks of `frames` (from readLz4Frames over `data`) into one Buffer, refusing
 * with SKEIN_MESSAGE_TOO_LARGE as soon as the output would pass `maxBytes`: nothing beyond
 * the cap is ever written, so a bomb costs at most `maxBytes` of memory.
 */
export function decodeLz4Blocks(data: Uint8Array, frames: Lz4Frames, maxBytes: number): Buffer {
  // The declared size (when every frame gives one) is a good first guess; else grow as needed.
  // A declared size is a claim: trust it for the first allocation only up to a modest size.
  const guess = frames.declaredSize >= 0 ? Math.min(frames.declaredSize, INITIAL_TRUSTED) : Math.max(64 * 1024, data.length * 4);
  let out: Buffer = Buffer.allocUnsafe(Math.min(maxBytes, guess, frames.bound));
  let capacity = out.length;
  let op = 0;
  let frameStart = 0;
  let frame = -1;
  for (const block of frames.blocks) {
    if (block.frame !== frame) {
      frame = block.frame;
      frameStart = op;
    }
    if (!block.compressed) {
      const size = block.end - block.start;
      if (op + size > capacity) capacity = (out = grow(out, op, op + size, maxBytes, frames.bound)).length;
      out.set(data.subarray(block.start, block.end), op);
      op += size;
      continue;
    }
    // Independent blocks may only reference their own output; linked ones the whole frame's.
    const blockStart = op;
    const windowStart = block.linked ? frameStart : op;
    let ip = block.start;
    const end = block.end;
    for (;;) {
      if (ip >= end) throw corrupt('a block ends inside a sequence');
      const token = data[ip++];
      let literals = token >> 4;
      if (literals === 15) {
        let byte: number;
        do {
          if (ip >= end) throw corrupt('a literal length runs past the block');
          byte = data[ip++];
          literals += byte;
        } while (byte === 255);
      }
      if (literals > end - ip) throw corrupt('literals run past the block');
      if (op + literals - blockStart > block.maxSize) throw corrupt(`a block decodes to more than the frame's ${block.maxSize}-byte maximum`);
      if (op + literals > capacity) capacity = (out = grow(out, op, op + literals, maxBytes, frames.bound)).length;
      if (literals < SHORT_COPY) {
        // Short runs dominate real data: a loop beats creating a subarray for Buffer#set.
        for (let k = 0; k < literals; k++) out[op + k] = data[ip + k];
      } else {
        out.set(data.subarray(ip, ip + literals), op);
      }
      ip += literals;
      op += literals;
      if (ip === end) break; // the last sequence of a block holds literals only
      if (end - ip < 2) throw corrupt('a match offset is cut short');
      const offset = data[ip] | (data[ip + 1] << 8);
      ip += 2;
      if (offset === 0 || offset > op - windowStart) throw corrupt(`match offset ${offset} points before the start of the output`);
      let length = (token & 15) + 4;
      if ((token & 15) === 15) {
        let byte: number;
        do {
          if (ip >= end) throw corrupt('a match length runs past the block');
          byte = data[ip++];
          length += byte;
        } while (byte === 255);
      }
      if (op + length - blockStart > block.maxSize) throw corrupt(`a block decodes to more than the frame's ${block.maxSize}-byte maximum`);
      if (op + length > capacity) capacity = (out = grow(out, op, op + length, maxBytes, frames.bound)).length;
      let from = op - offset;
      if (offset >= length && length >= SHORT_COPY) {
        out.copyWithin(op, from, from + length);
        op += length;
      } else {
        // Short or overlapping match (the pattern repeats): byte by byte, in order.
        const stop = op + length;
        while (op < stop) out[op++] = out[from++];
      }
    }
  }
  if (frames.declaredSize >= 0 && op !== frames.declaredSize) {
    throw corrupt(`the frames declare ${frames.declaredSize} bytes of content but decode to ${op}`);
  }
  return op === capacity ? out : out.subarray(0, op);
}

/** A larger copy of `out` (its first `used` bytes) holding `needed` bytes; SKEIN_MESSAGE_TOO_LARGE past the cap. */
function grow(out: Buffer, used: number, needed: number, maxBytes: number, bound: number): Buffer {
  if (needed > maxBytes) throw decompressedTooLarge('lz4', maxBytes, needed);
  let next = Math.max(out.length * 2, 1024);
  while (next < needed) next *= 2;
  next = Math.max(needed, Math.min(next, maxBytes, bound));
  const grown = Buffer.allocUnsafe(next);
  grown.set(out.subarray(0, used));
  return grown;
}
