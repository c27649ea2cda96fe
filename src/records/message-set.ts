/**
 * The legacy message formats: MessageSet v0 (magic 0) and v1 (magic 1, KIP-31/32), as bytes.
 *
 * Owns: the grammar of both formats on the read and the write side, their CRC-32 and the
 * checks that decide whether bytes are a well-formed message set. Knows nothing of files,
 * topics, sockets or RecordBatch v2: the protocol layer converts between the formats
 * (src/protocol/handlers/legacy-records.ts). Pure and synchronous; any thread.
 *
 * Grammar (big-endian; no count: entries follow each other to the end of the bytes):
 *   MessageSet => [offset:int64 messageSize:int32 Message]
 *   Message    => crc:uint32 magic:int8 attributes:int8 timestamp:int64 (magic 1 only)
 *                 key:bytes value:bytes
 *   bytes      => length:int32 data   (-1 = null, no data)
 *   crc        = CRC-32 (IEEE 802.3, zlib's; not the CRC-32C of RecordBatch v2) over
 *                magic .. end of the message.
 *   attributes = bits 0-2 codec (0 none, 1 gzip, 2 snappy, 3 lz4; zstd needs magic 2),
 *                bit 3 timestamp type (magic 1: 0 CreateTime, 1 LogAppendTime).
 * The magic byte sits at byte 16 of an entry, as in RecordBatch v2, so one look tells the
 * formats apart (Kafka relies on the same).
 *
 * Compressed sets: a wrapper message's value is a whole inner MessageSet, compressed; its key
 * is null. In magic 0 the inner offsets are what the producer wrote (0, 1, 2, ...; the broker
 * reassigns them); in magic 1 they are relative (0..n-1) and the wrapper carries the absolute
 * offset of the last inner message, so inner offset i is wrapper.offset - (n - 1) + i
 * (`innerMessages`). Decompression belongs to the caller (src/records/compression when it
 * exists): this file only reads the inner bytes it is given.
 *
 * Checks of `decodeMessageSet`, in order, per entry:
 *   fewer than 12 bytes left for offset and size, or a size that runs past the end
 *       → SKEIN_CORRUPT_MESSAGE (or the entry is dropped when `allowPartialTail`: a fetch
 *         answer may end in a cut message, and clients skip it)
 *   size below the smallest message of its magic .................. SKEIN_CORRUPT_MESSAGE
 *   magic 2 ........................................................ SKEIN_UNSUPPORTED_MESSAGE_FORMAT
 *   magic other than 0, 1, 2 ....................................... SKEIN_CORRUPT_MESSAGE
 *   stored CRC != CRC-32 of magic..end ............................. SKEIN_CORRUPT_MESSAGE
 *   codec 4 (zstd) in magic 0/1 .................................... SKEIN_UNSUPPORTED_COMPRESSION
 *   codec 5-7, a key or value length < -1 or past the message, bytes left after the value,
 *   an offset or timestamp outside ±(2^53 - 1) ..................... SKEIN_CORRUPT_MESSAGE
 * The CRC is checked before any field it covers is trusted, so a flipped byte in a message
 * always reports SKEIN_CORRUPT_MESSAGE. Keys and values are views of the input (no copy).
 */
import * as zlib from 'node:zlib';
import { SkeinError } from '../errors.js';
import { COMPRESSION_NAMES, readInt64BE, writeInt64BE, type CompressionName, type TimestampType } from './batch-header.js';

/** offset:int64 + messageSize:int32 before every message. */
export const LEGACY_LOG_OVERHEAD = 12;
/** crc, magic, attributes, key length, value length. */
export const MESSAGE_V0_OVERHEAD = 4 + 1 + 1 + 4 + 4;
/** MESSAGE_V0_OVERHEAD plus the timestamp. */
export const MESSAGE_V1_OVERHEAD = MESSAGE_V0_OVERHEAD + 8;
/** Byte of an entry (offset and size included) holding its magic, in every format. */
export const ENTRY_MAGIC = 16;
/** attributes bit 3 (magic 1). */
const TIMESTAMP_TYPE_BIT = 0x08;
const CODEC_MASK = 0x07;
/** The codecs magic 0 and 1 know: none, gzip, snappy, lz4. */
const LEGACY_CODECS = 4;
const NULL_LENGTH = -1;

export type LegacyMagic = 0 | 1;

/** One message of a set, as decoded. */
export interface LegacyMessage {
  offset: number;
  magic: LegacyMagic;
  attributes: number;
  compression: CompressionName;
  /** Magic 1's type bit; magic 0 has no timestamps and reads as 'create'. */
  timestampType: TimestampType;
  /** -1 in magic 0 (Kafka's NO_TIMESTAMP). */
  timestamp: number;
  /** Views of the input, or null. */
  key: Buffer | null;
  value: Buffer | null;
  /** The stored CRC-32 (unsigned). */
  crc: number;
  /** Bytes of the entry, offset and size included. */
  size: number;
}

/** One message to encode. */
export interface LegacyMessageInput {
  offset: number;
  /** Magic 1 only; default -1. */
  timestamp?: number;
  /** Magic 1 only; default 'create'. */
  timestampType?: TimestampType;
  /** Default 'none'; a wrapper's value must then be the compressed inner set. */
  compression?: CompressionName;
  key: Uint8Array | null;
  value: Uint8Array | null;
}

export interface DecodeMessageSetOptions {
  /** Drop a message cut off by the end of the bytes instead of refusing (fetch answers). Default false. */
  allowPartialTail?: boolean;
}

/* --------------------------------- CRC-32 --------------------------------- */

let table: Int32Array | undefined;

/** CRC-32 (IEEE) in JavaScript, for Node versions before zlib.crc32 (20.15). */
export function crc32Js(buf: Uint8Array): number {
  if (!table) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = -1;
  for (let i = 0; i < buf.length; i++) crc = table[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** CRC-32 (IEEE 802.3, as zlib and Java's java.util.zip.CRC32), unsigned. */
export function crc32(buf: Uint8Array): number {
  return zlibCrc32 ? zlibCrc32(buf) >>> 0 : crc32Js(buf);
}

/* --------------------------------- decode --------------------------------- */

function corrupt(message: string, context: Record<string, unknown> = {}): SkeinError {
  return new SkeinError('SKEIN_CORRUPT_MESSAGE', message, context);
}

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Whether the entry at `pos` holds a legacy message (magic 0 or 1), judged by its magic byte alone. */
export function isLegacyEntry(buf: Uint8Array, pos = 0): boolean {
  return buf.length > pos + ENTRY_MAGIC && (buf[pos + ENTRY_MAGIC] === 0 || buf[pos + ENTRY_MAGIC] === 1);
}

/** An int64 as a number (no BigInt on this path); anything past ±(2^53 - 1) is refused, not rounded. */
function readSafeInt64(b: Buffer, pos: number, what: string, at: number): number {
  const hi = b.readInt32BE(pos);
  // |hi| < 2^21 keeps hi * 2^32 + lo exact; the safe-integer check then catches ±2^53 itself.
  const value = hi >= -0x200000 && hi < 0x200000 ? readInt64BE(b, pos) : NaN;
  if (!Number.isSafeInteger(value)) throw corrupt(`${what} ${b.readBigInt64BE(pos)} is outside ±(2^53 - 1)`, { position: at });
  return value;
}

/** Decodes every message of a set (a wrapper stays one message: see `innerMessages`). */
export function decodeMessageSet(buf: Uint8Array, options: DecodeMessageSetOptions = {}): LegacyMessage[] {
  const b = asBuffer(buf);
  const messages: LegacyMessage[] = [];
  let pos = 0;
  while (pos < b.length) {
    if (b.length - pos < LEGACY_LOG_OVERHEAD) {
      if (options.allowPartialTail) break;
      throw corrupt(`a message set ends in ${b.length - pos} bytes, fewer than an entry's offset and size`, { position: pos });
    }
    const size = b.readInt32BE(pos + 8);
    if (size < 0 || pos + LEGACY_LOG_OVERHEAD + size > b.length) {
      if (options.allowPartialTail && size >= 0) break;
      throw corrupt(`message size ${size} at position ${pos} runs past the end of the set (${b.length} bytes)`, { position: pos, size });
    }
    messages.push(decodeEntry(b, pos, size));
    pos += LEGACY_LOG_OVERHEAD + size;
  }
  return messages;
}

function decodeEntry(b: Buffer, pos: number, size: number): LegacyMessage {
  const start = pos + LEGACY_LOG_OVERHEAD;
  const end = start + size;
  if (size < MESSAGE_V0_OVERHEAD) throw corrupt(`message size ${size} is below the smallest message (${MESSAGE_V0_OVERHEAD})`, { position: pos, size });
  const magic = b[start + 4]!;
  if (magic === 2) throw new SkeinError('SKEIN_UNSUPPORTED_MESSAGE_FORMAT', 'a RecordBatch v2 (magic 2) inside a legacy message set', { position: pos });
  if (magic > 1) throw corrupt(`unknown message magic ${magic}`, { position: pos, magic });
  if (magic === 1 && size < MESSAGE_V1_OVERHEAD) throw corrupt(`message size ${size} is below the smallest magic 1 message (${MESSAGE_V1_OVERHEAD})`, { position: pos, size });
  const stored = b.readUInt32BE(start);
  const computed = crc32(b.subarray(start + 4, end));
  if (stored !== computed) throw corrupt(`message CRC-32 mismatch at position ${pos}: stored ${stored}, computed ${computed}`, { position: pos, stored, computed });
  const offset = readSafeInt64(b, pos, 'offset', pos);
  const attributes = b[start + 5]!;
  const codec = attributes & CODEC_MASK;
  if (codec === 4) throw new SkeinError('SKEIN_UNSUPPORTED_COMPRESSION', 'zstd needs RecordBatch v2 (magic 2); a magic 0/1 message cannot carry it', { position: pos });
  if (codec >= LEGACY_CODECS) throw corrupt(`unknown compression codec ${codec}`, { position: pos, codec });
  let at = start + 6;
  let timestamp = -1;
  if (magic === 1) {
    timestamp = readSafeInt64(b, at, 'timestamp', pos);
    at += 8;
  }
  const key = readBytes(b, at, end, 'key', pos);
  at += 4 + (key?.length ?? 0);
  const value = readBytes(b, at, end, 'value', pos);
  at += 4 + (value?.length ?? 0);
  if (at !== end) throw corrupt(`${end - at} bytes left after the value of the message at position ${pos}`, { position: pos });
  return {
    offset,
    magic: magic as LegacyMagic,
    attributes,
    compression: COMPRESSION_NAMES[codec]!,
    timestampType: magic === 1 && (attributes & TIMESTAMP_TYPE_BIT) !== 0 ? 'log-append' : 'create',
    timestamp,
    key,
    value,
    crc: stored,
    size: LEGACY_LOG_OVERHEAD + size,
  };
}

function readBytes(b: Buffer, at: number, end: number, what: string, position: number): Buffer | null {
  if (end - at < 4) throw corrupt(`the message at position ${position} ends before its ${what} length`, { position });
  const length = b.readInt32BE(at);
  if (length === NULL_LENGTH) return null;
  if (length < 0 || at + 4 + length > end) throw corrupt(`${what} length ${length} runs outside the message at position ${position}`, { position, length });
  return b.subarray(at + 4, at + 4 + length);
}

/**
 * The messages inside a compressed wrapper, given its value decompressed, with absolute
 * offsets: magic 1's relative inner offsets are based on the wrapper's (the last inner
 * message's), magic 0's are kept as written. Inner messages must be uncompressed and of the
 * wrapper's magic (Kafka refuses anything else), else SKEIN_CORRUPT_MESSAGE.
 */
export function innerMessages(wrapper: LegacyMessage, decompressed: Uint8Array): LegacyMessage[] {
  const inner = decodeMessageSet(decompressed);
  if (inner.length === 0) throw corrupt('a compressed wrapper message holds no messages', { offset: wrapper.offset });
  for (const m of inner) {
    if (m.compression !== 'none') throw corrupt('a compressed message inside a compressed message', { offset: wrapper.offset });
    if (m.magic !== wrapper.magic) throw corrupt(`a magic ${m.magic} message inside a magic ${wrapper.magic} wrapper`, { offset: wrapper.offset });
  }
  if (wrapper.magic === 0) return inner;
  const base = wrapper.offset - inner[inner.length - 1]!.offset;
  for (const m of inner) {
    m.offset += base;
    // LogAppendTime wrappers set the time for everything inside (Kafka's AbstractLegacyRecordBatch).
    if (wrapper.timestampType === 'log-append') {
      m.timestamp = wrapper.timestamp;
      m.timestampType = 'log-append';
    }
  }
  return inner;
}

/* --------------------------------- encode --------------------------------- */

/** Bytes one message takes in a set of `magic`, offset and size included. */
export function sizeOfMessage(magic: LegacyMagic, key: Uint8Array | null, value: Uint8Array | null): number {
  return LEGACY_LOG_OVERHEAD + (magic === 0 ? MESSAGE_V0_OVERHEAD : MESSAGE_V1_OVERHEAD) + (key?.length ?? 0) + (value?.length ?? 0);
}

function invalid(message: string): SkeinError {
  return new SkeinError('SKEIN_INVALID_ARGUMENT', message);
}

/** Encodes `messages` as one MessageSet of `magic`, each with its CRC-32. */
export function encodeMessageSet(messages: readonly LegacyMessageInput[], magic: LegacyMagic): Buffer {
  if (magic !== 0 && magic !== 1) throw invalid(`magic must be 0 or 1, got ${String(magic)}`);
  let total = 0;
  for (const m of messages) total += sizeOfMessage(magic, m.key, m.value);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const m of messages) pos = writeMessage(out, pos, magic, m);
  return out;
}

function writeMessage(out: Buffer, pos: number, magic: LegacyMagic, m: LegacyMessageInput): number {
  if (!Number.isSafeInteger(m.offset)) throw invalid(`offset must be a safe integer, got ${String(m.offset)}`);
  const codec = COMPRESSION_NAMES.indexOf(m.compression ?? 'none');
  if (codec < 0 || codec >= LEGACY_CODECS) throw invalid(`compression ${String(m.compression)} cannot be written in magic ${magic}`);
  const timestamp = m.timestamp ?? -1;
  if (!Number.isSafeInteger(timestamp)) throw invalid(`timestamp must be a safe integer, got ${String(timestamp)}`);
  const size = sizeOfMessage(magic, m.key, m.value) - LEGACY_LOG_OVERHEAD;
  writeInt64BE(out, pos, m.offset);
  out.writeInt32BE(size, pos + 8);
  const start = pos + LEGACY_LOG_OVERHEAD;
  let at = start + 4;
  out[at++] = magic;
  out[at++] = codec | (magic === 1 && m.timestampType === 'log-append' ? TIMESTAMP_TYPE_BIT : 0);
  if (magic === 1) {
    writeInt64BE(out, at, timestamp);
    at += 8;
  }
  at = writeBytes(out, at, m.key);
  at = writeBytes(out, at, m.value);
  out.writeUInt32BE(crc32(out.subarray(start + 4, at)), start);
  return at;
}

function writeBytes(out: Buffer, at: number, bytes: Uint8Array | null): number {
  if (bytes === null) {
    out.writeInt32BE(NULL_LENGTH, at);
    return at + 4;
  }
  out.writeInt32BE(bytes.length, at);
  out.set(bytes, at + 4);
  return at + 4 + bytes.length;
}
