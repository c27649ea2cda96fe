/**
 * Zig-zag variable-length integers as used inside RecordBatch v2 records (Kafka's
 * ByteUtils.writeVarint / writeVarlong, protobuf's sint32 / sint64).
 *
 * Owns: reading, writing and sizing `varint` (int32) and `varlong` (int64). Knows nothing
 * of records: callers pass the buffer, the position and, for reads, the end they may not
 * cross. Pure functions, no state, safe on any thread.
 *
 * Wire form:
 *   zigzag32(n) = (n << 1) ^ (n >> 31)      0 → 0, -1 → 1, 1 → 2, -2 → 3, ...
 *   zigzag64(n) = (n << 1) ^ (n >> 63)
 *   then unsigned LEB128: 7 bits per byte, least significant group first, bit 7 set on
 *   every byte but the last. A varint takes 1..5 bytes, a varlong 1..10.
 *
 * varlong values are JS numbers, not BigInt: record timestamp deltas are far inside
 * ±2^53. Writers accept any safe integer; readers reject encodings whose value lies
 * outside ±(2^53 - 1) instead of returning a rounded number. To stay exact beyond 32 bits,
 * the 64-bit zig-zag is never formed as one number: for n >= 0 the code is 2·n, for n < 0
 * it is 2·(-n - 1) + 1, so the low bit is the sign and the rest is m = n or -n - 1, which
 * is a safe integer and can be split into 7-bit groups by exact division.
 *
 * Readers follow Kafka's leniency: a non-minimal encoding (0x80 0x00 for 0) is accepted;
 * a varint's fifth byte contributes only its low 4 bits (the value is taken modulo 2^32
 * like Java's int shift); more than 5 (varint) or 10 (varlong) bytes is an error.
 */
import { SkeinError } from '../errors.js';

/** A read position that readers advance in place, so reading allocates nothing. */
export interface Cursor {
  pos: number;
}

/** Bytes taken by `value` (an int32) as a zig-zag varint: 1..5. */
export function sizeOfVarint(value: number): number {
  const z = ((value << 1) ^ (value >> 31)) >>> 0;
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x200000) return 3;
  if (z < 0x10000000) return 4;
  return 5;
}

/** Bytes taken by `value` (a safe integer) as a zig-zag varlong: 1..10 (at most 8 for safe integers). */
export function sizeOfVarlong(value: number): number {
  if (value === (value | 0)) return sizeOfVarint(value);
  // The code is 2·m + sign; it needs k groups of 7 bits iff m < 2^(7k - 1).
  const m = value >= 0 ? value : -value - 1;
  let size = 5; // |value| >= 2^31 needs at least 5 bytes: m >= 2^31 - 1 > 2^27
  let limit = 17179869184; // 2^34 = 2^(7·5 - 1)
  while (m >= limit) {
    size += 1;
    limit *= 128;
  }
  return size;
}

/** Writes `value` (an int32) as a zig-zag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  let z = ((value << 1) ^ (value >> 31)) >>> 0;
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z;
  return pos;
}

/** Writes `value` (a safe integer) as a zig-zag varlong at `pos`; returns the position after it. */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  // In int32 range zigzag64 equals zigzag32 read as unsigned, so the varint writer is exact.
  if (value === (value | 0)) return writeVarint(buf, pos, value);
  const sign = value < 0 ? 1 : 0;
  const m = sign === 1 ? -value - 1 : value;
  // First byte: the sign bit and the low 6 bits of m. |value| >= 2^31 here, so more follow.
  buf[pos++] = ((m % 64) << 1) | sign | 0x80;
  let rest = Math.floor(m / 64);
  while (rest >= 0x80) {
    buf[pos++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  buf[pos++] = rest;
  return pos;
}

function malformed(what: string, pos: number): SkeinError {
  return new SkeinError('SKEIN_INVALID_RECORD', `${what} at position ${pos}`, { position: pos });
}

/**
 * Reads a zig-zag varint (int32) at `cursor.pos`, never reading at or past `end`, and
 * advances the cursor. A varint running into `end` or longer than 5 bytes throws
 * SKEIN_INVALID_RECORD.
 */
export function readVarint(buf: Uint8Array, cursor: Cursor, end: number): number {
  let pos = cursor.pos;
  if (pos >= end) throw malformed('varint runs past the end of the record data', pos);
  let b = buf[pos++];
  if (b < 0x80) {
    cursor.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let u = b & 0x7f;
  let shift = 7;
  for (;;) {
    if (pos >= end) throw malformed('varint runs past the end of the record data', cursor.pos);
    b = buf[pos++];
    if (shift === 28) {
      if (b >= 0x80) throw malformed('varint longer than 5 bytes', cursor.pos);
      u |= b << 28;
      break;
    }
    u |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  cursor.pos = pos;
  u >>>= 0;
  return (u >>> 1) ^ -(u & 1);
}

/**
 * Reads a zig-zag varlong (int64) at `cursor.pos`, never reading at or past `end`, and
 * advances the cursor. Running into `end`, more than 10 bytes, or a value outside
 * ±(2^53 - 1) throws SKEIN_INVALID_RECORD.
 */
export function readVarlong(buf: Uint8Array, cursor: Cursor, end: number): number {
  const start = cursor.pos;
  let pos = start;
  if (pos >= end) throw malformed('varlong runs past the end of the record data', pos);
  let b = buf[pos++];
  if (b < 0x80) {
    cursor.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  // Accumulate the first 28 bits with int arithmetic, the rest with exact float multiplication.
  let low = b & 0x7f;
  let shift = 7;
  let done = false;
  while (shift < 28) {
    if (pos >= end) throw malformed('varlong runs past the end of the record data', start);
    b = buf[pos++];
    low |= (b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) {
      done = true;
      break;
    }
  }
  if (done) {
    cursor.pos = pos;
    return (low >>> 1) ^ -(low & 1); // under 2^28: int32 zig-zag is exact
  }
  // 28 bits read, more follow. The code is low + high·2^28; sign = bit 0 of low.
  let high = 0;
  let scale = 1;
  for (let i = 4; ; i++) {
    if (i === 10) throw malformed('varlong longer than 10 bytes', start);
    if (pos >= end) throw malformed('varlong runs past the end of the record data', start);
    b = buf[pos++];
    high += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) break;
  }
  // m = code >> 1 = (low >> 1) + high·2^27, exact while below 2^53.
  if (high >= 67108864) throw malformed('varlong outside the safe integer range', start); // 2^53 / 2^27
  const m = (low >>> 1) + high * 134217728;
  if ((low & 1) === 1) {
    if (m === Number.MAX_SAFE_INTEGER) throw malformed('varlong outside the safe integer range', start); // -2^53
    cursor.pos = pos;
    return -m - 1;
  }
  cursor.pos = pos;
  return m;
}
