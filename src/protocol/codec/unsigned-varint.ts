/**
 * Unsigned varints (unsigned LEB128), the length prefix of every compact ("flexible")
 * string, bytes and array, and of tag numbers and sizes in tagged-field sections.
 * Kafka: ByteUtils.readUnsignedVarint / writeUnsignedVarint.
 *
 * Wire form: 7 bits per byte, least significant group first, bit 7 set on every byte but
 * the last; a uint32 takes 1..5 bytes.
 *
 *   0 → 00     127 → 7f     128 → 80 01     300 → ac 02     2^32-1 → ff ff ff ff 0f
 *
 * Reading follows Java: non-minimal encodings are accepted, a fifth byte contributes only
 * its low 4 bits (the value is taken modulo 2^32), and a fifth byte with bit 7 set (a
 * sixth byte would follow) is an error. The zig-zag signed varints used inside records
 * live in src/records/varint.ts.
 */
import { malformed } from './malformed.js';

/** A read position advanced in place (the Reader is one). */
export interface Cursor {
  pos: number;
}

/** Bytes taken by `value` (0 ≤ value < 2^32) as an unsigned varint. */
export function sizeOfUnsignedVarint(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Writes `value` (a uint32) at `pos`, returning the position after it. Room is the caller's. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Reads an unsigned varint at `cursor.pos` without reading at or past `end`; returns a uint32. */
export function readUnsignedVarint(buf: Uint8Array, cursor: Cursor, end: number): number {
  const start = cursor.pos;
  let pos = start;
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    if (pos >= end) throw malformed('unsigned varint runs past the end', start);
    const b = buf[pos++]!;
    if (shift === 28) {
      if (b >= 0x80) throw malformed('unsigned varint longer than 5 bytes', start);
      value |= b << 28;
      break;
    }
    value |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  cursor.pos = pos;
  return value >>> 0;
}
