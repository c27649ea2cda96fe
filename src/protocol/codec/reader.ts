/**
 * Reader: decodes Kafka protocol primitives from a Buffer, advancing a position.
 *
 * Owns: the wire form of every primitive of the Kafka message specs, and the checks that
 * keep malformed input from doing harm. Knows nothing of messages (the generated decoders
 * in ../messages call it field by field), sockets or files. One Reader per frame, used by
 * one caller at a time; it holds the frame's Buffer and a position, nothing else.
 *
 * Grammar (Kafka notation; big-endian integers, signed unless said otherwise):
 *
 *   INT8 INT16 INT32 INT64        1 / 2 / 4 / 8 bytes, two's complement
 *   UINT16 UINT32                 2 / 4 bytes, unsigned
 *   FLOAT64                       8 bytes, IEEE 754 binary64
 *   BOOLEAN                       1 byte, 0 = false, anything else = true
 *   UUID                          16 bytes
 *   STRING                        INT16 length N ≥ 0, then N bytes of UTF-8
 *   NULLABLE_STRING               INT16 length N; N = -1 is null
 *   COMPACT_STRING                UNSIGNED_VARINT N+1 (≥ 1), then N bytes of UTF-8
 *   COMPACT_NULLABLE_STRING       UNSIGNED_VARINT N+1; 0 is null
 *   BYTES / NULLABLE_BYTES        INT32 length N, then N bytes; N = -1 is null
 *   COMPACT_[NULLABLE_]BYTES      UNSIGNED_VARINT N+1, then N bytes; 0 is null
 *   RECORDS                       NULLABLE_BYTES, or COMPACT_NULLABLE_BYTES when flexible
 *   ARRAY[T]                      INT32 count N, then N × T; N = -1 is null
 *   COMPACT_ARRAY[T]              UNSIGNED_VARINT N+1, then N × T; 0 is null
 *   UNSIGNED_VARINT               unsigned LEB128, ≤ 5 bytes (see unsigned-varint.ts)
 *   VARINT / VARLONG              zig-zag, then LEB128; ≤ 5 / ≤ 10 bytes
 *   TAGGED_FIELDS                 UNSIGNED_VARINT count, then count × (UNSIGNED_VARINT tag,
 *                                 UNSIGNED_VARINT size, size bytes)
 *
 * Every read checks that it stays before `end` and throws SKEIN_INVALID_REQUEST (never a
 * RangeError, never a partial value) when it would not. Lengths other than -1 that are
 * negative, strings over 32767 bytes, array counts larger than the bytes left (every
 * element takes at least one byte, so a bigger count cannot be honest: Java makes the same
 * check before allocating) and int64 values outside ±(2^53 - 1) are refused the same way.
 *
 * Zero copy: `records` come back as a view of the frame (the log copies them on append).
 * `bytes` fields are copied: group metadata and assignments outlive the request, and a
 * view would pin the whole socket chunk the frame arrived in.
 */
import { SkeinError } from '../../errors.js';
import { readVarint as readZigZagVarint, readVarlong as readZigZagVarlong } from '../../records/varint.js';
import { malformed } from './malformed.js';
import { readUnsignedVarint } from './unsigned-varint.js';
import { uuidFromBytes } from './uuid.js';

const MAX_STRING_BYTES = 0x7fff;
const TWO_POW_32 = 4294967296;

export class Reader {
  readonly buf: Buffer;
  /** Position of the next byte to read. */
  pos: number;
  /** Reads never reach this position. Narrowed while a tagged field is read (see `withEnd`). */
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    if (pos < 0 || end > buf.length || pos > end) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `reader window [${pos}, ${end}) is outside a buffer of ${buf.length} bytes`);
    }
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.end - this.pos < n) throw malformed(`${what} needs ${n} bytes, ${this.end - this.pos} left`, this.pos);
  }

  readInt8(): number {
    this.need(1, 'int8');
    return (this.buf[this.pos++]! << 24) >> 24;
  }

  readInt16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readUint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  readInt32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  readUint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** An int64 as a JS number: exact, or SKEIN_INVALID_REQUEST when outside ±(2^53 - 1). */
  readInt64(): number {
    this.need(8, 'int64');
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    const v = hi * TWO_POW_32 + lo;
    if (!Number.isSafeInteger(v)) throw malformed('int64 outside ±(2^53 - 1)', this.pos);
    this.pos += 8;
    return v;
  }

  readFloat64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  readBool(): boolean {
    this.need(1, 'bool');
    return this.buf[this.pos++] !== 0;
  }

  /** 16 bytes, as Kafka's base64url string (uuid.ts). */
  readUuid(): string {
    this.need(16, 'uuid');
    const v = uuidFromBytes(this.buf, this.pos);
    this.pos += 16;
    return v;
  }

  readUnsignedVarint(): number {
    return readUnsignedVarint(this.buf, this, this.end);
  }

  /** A zig-zag varint (int32). */
  readVarint(): number {
    return this.rethrowAsMalformed(() => readZigZagVarint(this.buf, this, this.end));
  }

  /** A zig-zag varlong as a JS number (exact within ±(2^53 - 1), refused beyond). */
  readVarlong(): number {
    return this.rethrowAsMalformed(() => readZigZagVarlong(this.buf, this, this.end));
  }

  /** src/records/varint.ts speaks of records (SKEIN_INVALID_RECORD); here the whole message is bad. */
  private rethrowAsMalformed(read: () => number): number {
    const start = this.pos;
    try {
      return read();
    } catch (err) {
      if (err instanceof SkeinError) throw malformed(err.message, start);
      throw err;
    }
  }

  // --- strings --------------------------------------------------------------------------

  readString(): string {
    const v = this.readNullableString();
    if (v === null) throw malformed('null in a non-nullable string', this.pos - 2);
    return v;
  }

  readNullableString(): string | null {
    const start = this.pos;
    const n = this.readInt16();
    if (n === -1) return null;
    if (n < 0) throw malformed(`string length ${n}`, start);
    return this.utf8(n, start);
  }

  readCompactString(): string {
    const start = this.pos;
    const v = this.readCompactNullableString();
    if (v === null) throw malformed('null in a non-nullable compact string', start);
    return v;
  }

  readCompactNullableString(): string | null {
    const start = this.pos;
    const n1 = this.readUnsignedVarint();
    if (n1 === 0) return null;
    return this.utf8(n1 - 1, start);
  }

  private utf8(n: number, start: number): string {
    if (n > MAX_STRING_BYTES) throw malformed(`string of ${n} bytes (at most ${MAX_STRING_BYTES})`, start);
    if (n > this.end - this.pos) throw malformed(`string of ${n} bytes runs past the end`, start);
    const v = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  // --- bytes and records ----------------------------------------------------------------

  readBytes(): Buffer {
    const start = this.pos;
    const v = this.readNullableBytes();
    if (v === null) throw malformed('null in a non-nullable bytes field', start);
    return v;
  }

  /** A copy (see the header: a view would pin the socket chunk). */
  readNullableBytes(): Buffer | null {
    const view = this.readNullableBytesView(this.readInt32(), this.pos - 4);
    return view === null ? null : Buffer.from(view);
  }

  readCompactBytes(): Buffer {
    const start = this.pos;
    const v = this.readCompactNullableBytes();
    if (v === null) throw malformed('null in a non-nullable compact bytes field', start);
    return v;
  }

  readCompactNullableBytes(): Buffer | null {
    const start = this.pos;
    const view = this.readNullableBytesView(this.readUnsignedVarint() - 1, start);
    return view === null ? null : Buffer.from(view);
  }

  /** NULLABLE_BYTES as a view of the frame: no copy. */
  readRecords(): Buffer | null {
    return this.readNullableBytesView(this.readInt32(), this.pos - 4);
  }

  /** COMPACT_NULLABLE_BYTES as a view of the frame: no copy. */
  readCompactRecords(): Buffer | null {
    const start = this.pos;
    return this.readNullableBytesView(this.readUnsignedVarint() - 1, start);
  }

  private readNullableBytesView(n: number, start: number): Buffer | null {
    if (n === -1) return null;
    if (n < 0) throw malformed(`bytes length ${n}`, start);
    if (n > this.end - this.pos) throw malformed(`bytes of length ${n} run past the end`, start);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  // --- arrays ---------------------------------------------------------------------------

  /** INT32 count; -1 (null) is returned as -1, other negatives and impossible counts throw. */
  readArrayLength(): number {
    const start = this.pos;
    return this.checkCount(this.readInt32(), start);
  }

  /** UNSIGNED_VARINT count+1; null is returned as -1. */
  readCompactArrayLength(): number {
    const start = this.pos;
    return this.checkCount(this.readUnsignedVarint() - 1, start);
  }

  private checkCount(n: number, start: number): number {
    if (n === -1) return -1;
    if (n < 0) throw malformed(`array length ${n}`, start);
    if (n > this.end - this.pos) throw malformed(`array of ${n} elements in ${this.end - this.pos} bytes`, start);
    return n;
  }

  // --- tagged fields --------------------------------------------------------------------

  /**
   * Reads a tagged-field section, calling `readField(tag)` for each field with the reader's
   * `end` narrowed to that field's bytes. `readField` returns false for a tag it does not
   * know, which is then skipped by its size; a known field must consume exactly its size.
   */
  readTaggedFields(readField?: (tag: number) => boolean): void {
    const count = this.readUnsignedVarint();
    for (let i = 0; i < count; i++) {
      const tag = this.readUnsignedVarint();
      const sizeAt = this.pos;
      const size = this.readUnsignedVarint();
      if (size > this.end - this.pos) throw malformed(`tagged field ${tag} of ${size} bytes runs past the end`, sizeAt);
      const fieldEnd = this.pos + size;
      if (readField === undefined) {
        this.pos = fieldEnd;
        continue;
      }
      const outerEnd = this.end;
      this.end = fieldEnd;
      try {
        if (!readField(tag)) this.pos = fieldEnd;
        else if (this.pos !== fieldEnd) throw malformed(`tagged field ${tag} holds ${size} bytes but its value took ${this.pos - (fieldEnd - size)}`, sizeAt);
      } finally {
        this.end = outerEnd;
      }
    }
  }

  /** Skips a tagged-field section (a struct with no tagged fields of its own). */
  skipTaggedFields(): void {
    this.readTaggedFields();
  }
}
