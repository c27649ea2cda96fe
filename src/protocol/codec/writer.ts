/**
 * Writer: encodes Kafka protocol primitives into a list of Buffer chunks.
 *
 * Owns: the wire form of every primitive (the grammar is atop reader.ts) and the layout of
 * the output. Knows nothing of messages (generated encoders in ../messages call it field
 * by field) or sockets: the server hands `finish()`'s chunk list to socket.writev (or
 * cork + write), which sends the chunks back to back without joining them.
 *
 * Why chunks: a Fetch response is mostly record sets that already exist as Buffers (views
 * of mapped log segments, several per partition). `appendBuffer` and `writeRecords` put
 * those Buffers into the list as they are, WITHOUT copying; only the small fields around
 * them are copied, into a scratch Buffer. Written bytes are never moved: when the scratch
 * is full a new one is started and the filled part becomes a chunk, so a slot reserved
 * earlier (`reserveInt32`, used for the frame's size prefix) can be filled in at the end.
 *
 * Appended Buffers are referenced, not copied: the caller must not change them until the
 * chunks have been written out. Encoders check what they write: an int32 field holding
 * 2^40, a string over 32767 bytes or a malformed uuid throw SKEIN_INVALID_ARGUMENT,
 * rather than send something other than what was meant.
 *
 * One Writer per message being built; not reusable after `finish()`.
 */
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from '../../records/varint.js';
import { unencodable } from './malformed.js';
import { recordsByteLength, type Records } from './records.js';
import { writeUnsignedVarint } from './unsigned-varint.js';
import { uuidToBytes } from './uuid.js';

const MAX_STRING_BYTES = 0x7fff;
const TWO_POW_32 = 4294967296;
/** Size of each new scratch Buffer after the first; big enough that most responses need one. */
const SCRATCH_BYTES = 16 * 1024;
/** `bytes` values shorter than this are copied: a separate iovec costs more than the copy. */
const COPY_BELOW_BYTES = 512;

/** Where `reserveInt32` left room for a value known only later. */
export interface ReservedInt32 {
  readonly buf: Buffer;
  readonly pos: number;
}

export class Writer {
  private readonly chunks: Buffer[] = [];
  /** Current scratch Buffer; bytes [start, pos) are written and not yet a chunk. */
  private buf: Buffer;
  private start = 0;
  private pos = 0;
  private total = 0;
  private finished = false;

  /** `initialBytes`: size of the first scratch Buffer (small messages fit in it). */
  constructor(initialBytes = 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes written so far, appended Buffers included. */
  get length(): number {
    return this.total;
  }

  /** Makes room for `n` more bytes in the scratch, starting a new one if needed. */
  private room(n: number): void {
    if (this.finished) throw unencodable('the writer was already finished');
    if (this.buf.length - this.pos >= n) return;
    this.closeScratchChunk();
    this.buf = Buffer.allocUnsafe(Math.max(n, SCRATCH_BYTES));
    this.start = 0;
    this.pos = 0;
  }

  private closeScratchChunk(): void {
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  /** The chunks, in order. Their total length is `length`. The writer is done after this. */
  finish(): Buffer[] {
    if (!this.finished) {
      this.closeScratchChunk();
      this.finished = true;
    }
    return this.chunks;
  }

  /** The output as one Buffer (copies when there are several chunks): for tests and small messages. */
  toBuffer(): Buffer {
    const chunks = this.finish();
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.total);
  }

  // --- integers -------------------------------------------------------------------------

  writeInt8(v: number): void {
    if (v !== v << 24 >> 24) throw unencodable(`${v} is not an int8`);
    this.room(1);
    this.buf[this.pos++] = v & 0xff;
    this.total += 1;
  }

  writeInt16(v: number): void {
    if (v !== v << 16 >> 16) throw unencodable(`${v} is not an int16`);
    this.room(2);
    this.buf[this.pos] = (v >> 8) & 0xff;
    this.buf[this.pos + 1] = v & 0xff;
    this.pos += 2;
    this.total += 2;
  }

  writeUint16(v: number): void {
    if (v !== (v & 0xffff)) throw unencodable(`${v} is not a uint16`);
    this.room(2);
    this.buf[this.pos] = v >>> 8;
    this.buf[this.pos + 1] = v & 0xff;
    this.pos += 2;
    this.total += 2;
  }

  writeInt32(v: number): void {
    if (v !== (v | 0)) throw unencodable(`${v} is not an int32`);
    this.room(4);
    this.put32(v);
  }

  writeUint32(v: number): void {
    if (v !== v >>> 0) throw unencodable(`${v} is not a uint32`);
    this.room(4);
    this.put32(v);
  }

  private put32(v: number): void {
    const b = this.buf;
    const p = this.pos;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.pos = p + 4;
    this.total += 4;
  }

  /** An int64 from a JS number; any safe integer (±(2^53 - 1)) is exact. */
  writeInt64(v: number): void {
    if (!Number.isSafeInteger(v)) throw unencodable(`${v} is not an int64 within ±(2^53 - 1)`);
    this.room(8);
    const hi = Math.floor(v / TWO_POW_32);
    this.put32(hi | 0);
    this.put32(v - hi * TWO_POW_32);
  }

  writeFloat64(v: number): void {
    if (typeof v !== 'number') throw unencodable(`${String(v)} is not a float64`);
    this.room(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    this.total += 8;
  }

  writeBool(v: boolean): void {
    if (typeof v !== 'boolean') throw unencodable(`${String(v)} is not a boolean`);
    this.room(1);
    this.buf[this.pos++] = v ? 1 : 0;
    this.total += 1;
  }

  writeUuid(v: string): void {
    const bytes = uuidToBytes(v);
    this.room(16);
    bytes.copy(this.buf, this.pos);
    this.pos += 16;
    this.total += 16;
  }

  writeUnsignedVarint(v: number): void {
    if (v !== v >>> 0) throw unencodable(`${v} is not a uint32`);
    this.room(5);
    const end = writeUnsignedVarint(this.buf, this.pos, v);
    this.total += end - this.pos;
    this.pos = end;
  }

  /** A zig-zag varint (int32). */
  writeVarint(v: number): void {
    if (v !== (v | 0)) throw unencodable(`${v} is not an int32`);
    this.room(sizeOfVarint(v));
    const end = writeVarint(this.buf, this.pos, v);
    this.total += end - this.pos;
    this.pos = end;
  }

  /** A zig-zag varlong from a safe integer. */
  writeVarlong(v: number): void {
    if (!Number.isSafeInteger(v)) throw unencodable(`${v} is not an int64 within ±(2^53 - 1)`);
    this.room(sizeOfVarlong(v));
    const end = writeVarlong(this.buf, this.pos, v);
    this.total += end - this.pos;
    this.pos = end;
  }

  // --- strings --------------------------------------------------------------------------

  writeString(v: string): void {
    if (typeof v !== 'string') throw unencodable(`${String(v)} in a non-nullable string`);
    const n = this.utf8Length(v);
    this.writeInt16(n);
    this.putUtf8(v, n);
  }

  writeNullableString(v: string | null): void {
    if (v === null) this.writeInt16(-1);
    else this.writeString(v);
  }

  writeCompactString(v: string): void {
    if (typeof v !== 'string') throw unencodable(`${String(v)} in a non-nullable string`);
    const n = this.utf8Length(v);
    this.writeUnsignedVarint(n + 1);
    this.putUtf8(v, n);
  }

  writeCompactNullableString(v: string | null): void {
    if (v === null) this.writeUnsignedVarint(0);
    else this.writeCompactString(v);
  }

  private utf8Length(v: string): number {
    const n = Buffer.byteLength(v, 'utf8');
    if (n > MAX_STRING_BYTES) throw unencodable(`a string of ${n} UTF-8 bytes (at most ${MAX_STRING_BYTES})`);
    return n;
  }

  private putUtf8(v: string, n: number): void {
    this.room(n);
    this.buf.write(v, this.pos, n, 'utf8');
    this.pos += n;
    this.total += n;
  }

  // --- bytes and records ----------------------------------------------------------------

  writeBytes(v: Uint8Array): void {
    if (!(v instanceof Uint8Array)) throw unencodable(`${String(v)} in a non-nullable bytes field`);
    this.writeInt32(v.length);
    this.putBytes(v);
  }

  writeNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.writeInt32(-1);
    else this.writeBytes(v);
  }

  writeCompactBytes(v: Uint8Array): void {
    if (!(v instanceof Uint8Array)) throw unencodable(`${String(v)} in a non-nullable bytes field`);
    this.writeUnsignedVarint(v.length + 1);
    this.putBytes(v);
  }

  writeCompactNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.writeUnsignedVarint(0);
    else this.writeCompactBytes(v);
  }

  private putBytes(v: Uint8Array): void {
    if (v.length >= COPY_BELOW_BYTES) {
      this.appendBuffer(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length));
      return;
    }
    this.room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    this.total += v.length;
  }

  /** NULLABLE_BYTES whose contents are appended without copying. */
  writeRecords(v: Records | null): void {
    if (v === null) {
      this.writeInt32(-1);
      return;
    }
    this.writeInt32(recordsByteLength(v));
    this.appendRecords(v);
  }

  /** COMPACT_NULLABLE_BYTES whose contents are appended without copying. */
  writeCompactRecords(v: Records | null): void {
    if (v === null) {
      this.writeUnsignedVarint(0);
      return;
    }
    const n = recordsByteLength(v);
    if (n >= TWO_POW_32 - 1) throw unencodable(`records of ${n} bytes`);
    this.writeUnsignedVarint(n + 1);
    this.appendRecords(v);
  }

  private appendRecords(v: Records): void {
    if (Buffer.isBuffer(v)) this.appendBuffer(v);
    else for (const part of v) this.appendBuffer(part);
  }

  /** Appends `chunk` to the output as it is: no copy (see the header for the caller's promise). */
  appendBuffer(chunk: Buffer): void {
    if (this.finished) throw unencodable('the writer was already finished');
    if (chunk.length === 0) return;
    this.closeScratchChunk();
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Moves everything `other` wrote to the end of this writer (small outputs are copied). */
  appendWriter(other: Writer): void {
    const n = other.length;
    const chunks = other.finish();
    if (n < COPY_BELOW_BYTES) {
      this.room(n);
      for (const chunk of chunks) {
        chunk.copy(this.buf, this.pos);
        this.pos += chunk.length;
      }
      this.total += n;
      return;
    }
    for (const chunk of chunks) this.appendBuffer(chunk);
  }

  // --- arrays and tagged fields ---------------------------------------------------------

  /** INT32 count; -1 for null. */
  writeArrayLength(n: number): void {
    if (n < -1) throw unencodable(`array length ${n}`);
    this.writeInt32(n);
  }

  /** UNSIGNED_VARINT count+1; -1 (null) is written as 0. */
  writeCompactArrayLength(n: number): void {
    if (n < -1) throw unencodable(`array length ${n}`);
    this.writeUnsignedVarint(n + 1);
  }

  /** A tagged-field section with no fields: the single byte 0. */
  writeEmptyTaggedFields(): void {
    this.writeUnsignedVarint(0);
  }

  /** One tagged field: tag, size of `value`'s bytes, then those bytes. */
  writeTaggedField(tag: number, value: Writer): void {
    this.writeUnsignedVarint(tag);
    this.writeUnsignedVarint(value.length);
    this.appendWriter(value);
  }

  // --- values known later ---------------------------------------------------------------

  /** Leaves 4 bytes to be filled by `fillInt32` (a frame's size, known at the end). */
  reserveInt32(): ReservedInt32 {
    this.room(4);
    const slot = { buf: this.buf, pos: this.pos };
    this.buf.fill(0, this.pos, this.pos + 4);
    this.pos += 4;
    this.total += 4;
    return slot;
  }

  fillInt32(slot: ReservedInt32, v: number): void {
    if (v !== (v | 0)) throw unencodable(`${v} is not an int32`);
    slot.buf.writeInt32BE(v, slot.pos);
  }
}
