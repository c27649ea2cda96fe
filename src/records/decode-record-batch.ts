/**
 * Reads and validates one RecordBatch v2 (magic 2), uncompressed or compressed (gzip, snappy,
 * lz4, zstd: the records section is decompressed with src/records/compression/).
 *
 * Owns: the checks that decide whether bytes are a well-formed batch, with the error code
 * for each failure, and the record grammar on the read side. record-iterator.ts reuses
 * `checkBatch` and `readRecord` to stream records without building an array. Knows
 * nothing of files, topics or sockets. Synchronous; safe on any thread that can load the
 * addon (the CRC comes from it).
 *
 * Zero copy: record keys, values and header values are `subarray` views of the input (of the
 * decompressed records, for a compressed batch: one allocation per batch), so
 * they alias its memory. They stay valid as long as the input does; writing into the input
 * changes them; a caller holding onto them past the input's lifetime (a reused network
 * buffer, say) must copy. Header keys are decoded into strings (UTF-8, invalid sequences
 * replaced by U+FFFD). A plain Uint8Array input is wrapped once in a Buffer over the same
 * memory, so views are Buffers either way.
 *
 * Checks, in this order (header layout in batch-header.ts, grammar in encode-record-batch.ts):
 *   not a Uint8Array .............................................. SKEIN_INVALID_ARGUMENT
 *   fewer than 17 bytes (magic cannot be read) .................... SKEIN_CORRUPT_MESSAGE
 *   magic != 2 .................................................... SKEIN_UNSUPPORTED_MESSAGE_FORMAT
 *   fewer than 61 bytes, batchLength < 49, fewer than 12 + batchLength
 *                                                                   SKEIN_CORRUPT_MESSAGE
 *   more than 12 + batchLength bytes (use iterateBatches) ......... SKEIN_INVALID_ARGUMENT
 *   stored CRC != CRC-32C of bytes 21..end (unless verifyCrc: false) SKEIN_CORRUPT_MESSAGE
 *   compression codec bits 5-7 (not defined by Kafka) ............. SKEIN_UNSUPPORTED_COMPRESSION
 *   compressed records that do not decompress ..................... SKEIN_CORRUPT_MESSAGE
 *   compressed records over maxDecompressedBytes .................. SKEIN_MESSAGE_TOO_LARGE
 *   lastOffsetDelta < 0, recordsCount outside [0, lastOffsetDelta + 1] (fewer records than
 *   the offset range: a batch rewritten by the log cleaner), int64 fields outside ±(2^53 - 1),
 *   more records announced than bytes can hold ................... SKEIN_INVALID_RECORD
 *   per record: length outside the batch or not matching its fields, a varint running
 *   past the record, offsetDelta not above the previous one or past lastOffsetDelta, a key/value/header length < -1 (header
 *   keys < 0) or past the record, a timestamp outside ±(2^53 - 1) .. SKEIN_INVALID_RECORD
 *   bytes left after the last record ............................... SKEIN_INVALID_RECORD
 * The CRC is checked before any field it covers is trusted, so a flipped byte in 21..end
 * always reports SKEIN_CORRUPT_MESSAGE. baseOffset, batchLength, partitionLeaderEpoch and
 * magic lie outside the CRC (Kafka's design: the broker rewrites baseOffset and epoch).
 */
import { SkeinError } from '../errors.js';
import { native } from '../native/binding.js';
import {
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  COMPRESSION_CODEC_MASK,
  COMPRESSION_NAMES,
  CONTROL_FLAG_MASK,
  CRC,
  CRC_START,
  CURRENT_MAGIC,
  HEADER_SIZE,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  MIN_BATCH_LENGTH,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS_COUNT,
  ATTRIBUTES,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  readInt16BE,
  readInt32BE,
  readInt64BE,
  readUInt32BE,
  type CompressionName,
  type TimestampType,
} from './batch-header.js';
import { readVarint, readVarlong, type Cursor } from './varint.js';
import { decompress, isSupportedCodec } from './compression/index.js';
import { unsupportedCodec } from './compression/errors.js';

export interface DecodeOptions {
  /** Check the CRC-32C of bytes 21..end. Default true; turn off only for bytes already checked. */
  verifyCrc?: boolean;
  /**
   * Compressed batches: refuse (SKEIN_MESSAGE_TOO_LARGE) records that decompress to more than
   * this many bytes, without inflating past it. Default: no cap.
   */
  maxDecompressedBytes?: number;
}

export interface DecodedHeader {
  key: string;
  value: Buffer | null;
}

export interface DecodedRecord {
  /** baseOffset + offsetDelta. */
  offset: number;
  /**
   * CreateTime batches: baseTimestamp + timestampDelta. LogAppendTime batches: the batch's
   * maxTimestamp, which the broker set at append (Kafka's DefaultRecord does the same; the
   * deltas still hold the producer's clock and remain available as timestampDelta).
   */
  timestamp: number;
  /** A view into the input, or null. */
  key: Buffer | null;
  /** A view into the input, or null. */
  value: Buffer | null;
  headers: DecodedHeader[];
  /** The record's own attributes byte (int8, unused by Kafka so far). */
  attributes: number;
  offsetDelta: number;
  timestampDelta: number;
}

export interface DecodedBatch {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** The stored CRC-32C (unsigned). */
  crc: number;
  attributes: number;
  compression: CompressionName;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  /** baseOffset + lastOffsetDelta. */
  lastOffset: number;
  records: DecodedRecord[];
}

/** Smallest record on the wire: length, attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount. */
const MIN_RECORD_SIZE = 7;
/** Smallest record body (everything after the length varint). */
const MIN_RECORD_BODY = 6;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function corrupt(message: string, context: Record<string, unknown> = {}): SkeinError {
  return new SkeinError('SKEIN_CORRUPT_MESSAGE', message, context);
}

function invalidRecord(message: string, context: Record<string, unknown> = {}): SkeinError {
  return new SkeinError('SKEIN_INVALID_RECORD', message, context);
}

/** `buf` itself if it is a Buffer, else a Buffer over the same memory (no copy). */
export function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Validates everything about the batch in `buf` that does not need the records parsed:
 * framing, magic, CRC, compression, count versus lastOffsetDelta, int64 ranges. `buf`
 * must hold exactly one batch. Throws a SkeinError (see the table above); returns nothing.
 */
export function checkBatch(buf: Uint8Array, verifyCrc: boolean): void {
  if (!(buf instanceof Uint8Array)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a record batch must be a Buffer or Uint8Array, got ${buf === null ? 'null' : typeof buf}`);
  }
  const length = buf.length;
  if (length <= MAGIC) {
    throw corrupt(`truncated record batch: ${length} bytes, the header alone needs ${HEADER_SIZE}`, { size: length });
  }
  const magic = (buf[MAGIC] << 24) >> 24;
  if (magic !== CURRENT_MAGIC) {
    throw new SkeinError('SKEIN_UNSUPPORTED_MESSAGE_FORMAT', `message format magic ${magic} is not supported; only magic 2 (RecordBatch v2) is`, {
      magic,
    });
  }
  if (length < HEADER_SIZE) {
    throw corrupt(`truncated record batch: ${length} bytes, the header alone needs ${HEADER_SIZE}`, { size: length });
  }
  const batchLength = readInt32BE(buf, BATCH_LENGTH);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw corrupt(`batchLength ${batchLength} is below the ${MIN_BATCH_LENGTH} bytes of a batch header`, { batchLength });
  }
  const size = LOG_OVERHEAD + batchLength;
  if (length < size) {
    throw corrupt(`truncated record batch: ${length} bytes of ${size} declared by batchLength`, { size: length, batchLength });
  }
  if (length > size) {
    throw new SkeinError(
      'SKEIN_INVALID_ARGUMENT',
      `the buffer holds ${length - size} bytes after the batch; use iterateBatches for concatenated batches`,
      { size: length, batchLength },
    );
  }
  if (verifyCrc) {
    const stored = readUInt32BE(buf, CRC);
    // A plain Uint8Array view is cheaper to create than Buffer#subarray and is all the addon needs.
    const computed = native.crc32c(new Uint8Array(buf.buffer, buf.byteOffset + CRC_START, size - CRC_START)) >>> 0;
    if (stored !== computed) {
      throw corrupt(
        `record batch CRC mismatch: stored 0x${stored.toString(16).padStart(8, '0')}, computed 0x${computed.toString(16).padStart(8, '0')}`,
        { storedCrc: stored, computedCrc: computed },
      );
    }
  }
  const attributes = readInt16BE(buf, ATTRIBUTES);
  const codec = attributes & COMPRESSION_CODEC_MASK;
  if (codec !== 0 && !isSupportedCodec(codec)) throw unsupportedCodec(codec);
  const count = readInt32BE(buf, RECORDS_COUNT);
  const lastOffsetDelta = readInt32BE(buf, LAST_OFFSET_DELTA);
  // A batch from a producer holds records 0..lastOffsetDelta. A batch rewritten by the log
  // cleaner keeps its baseOffset and lastOffsetDelta (the producer's sequence range, as Kafka
  // v2 does) but may hold fewer records, down to none (an empty batch kept for its producer
  // state): so 0 <= count <= lastOffsetDelta + 1, and offset deltas only have to increase.
  if (lastOffsetDelta < 0) throw invalidRecord(`lastOffsetDelta ${lastOffsetDelta} is negative`, { lastOffsetDelta, recordCount: count });
  if (count < 0 || count > lastOffsetDelta + 1) {
    throw invalidRecord(`recordsCount ${count} does not fit lastOffsetDelta ${lastOffsetDelta} (at most ${lastOffsetDelta + 1})`, {
      lastOffsetDelta,
      recordCount: count,
    });
  }
  // Compressed records are checked against their decompressed size (recordsOf).
  if (codec === 0) checkCountFits(count, size - HEADER_SIZE);
  const baseOffset = readInt64BE(buf, BASE_OFFSET);
  checkSafe(baseOffset, 'baseOffset');
  checkSafe(baseOffset + lastOffsetDelta, 'lastOffset');
  checkSafe(readInt64BE(buf, BASE_TIMESTAMP), 'baseTimestamp');
  checkSafe(readInt64BE(buf, MAX_TIMESTAMP), 'maxTimestamp');
  checkSafe(readInt64BE(buf, PRODUCER_ID), 'producerId');
}

/** Throws SKEIN_INVALID_RECORD when `count` records cannot fit in `bytes` bytes (a lying header). */
export function checkCountFits(count: number, bytes: number): void {
  if (count > bytes / MIN_RECORD_SIZE) {
    throw invalidRecord(`recordsCount ${count} cannot fit in ${bytes} bytes of records`, { recordCount: count });
  }
}

/** Where the records of a batch checked by `checkBatch` lie: in the batch itself, or decompressed. */
export interface RecordsSection {
  /** The batch (uncompressed) or the decompressed records. */
  bytes: Buffer;
  start: number;
  end: number;
  count: number;
}

/**
 * The records section of a batch checked by `checkBatch`. Uncompressed: a range of the batch.
 * Compressed: the records decompressed with the batch's codec (capped at
 * `maxDecompressedBytes`: SKEIN_MESSAGE_TOO_LARGE past it; SKEIN_CORRUPT_MESSAGE when they
 * do not decompress), then checked to be able to hold recordsCount records.
 */
export function recordsOf(batch: Buffer, maxDecompressedBytes?: number): RecordsSection {
  const end = LOG_OVERHEAD + readInt32BE(batch, BATCH_LENGTH);
  const count = readInt32BE(batch, RECORDS_COUNT);
  const codec = readInt16BE(batch, ATTRIBUTES) & COMPRESSION_CODEC_MASK;
  if (codec === 0) return { bytes: batch, start: HEADER_SIZE, end, count };
  const bytes = decompress(codec, batch.subarray(HEADER_SIZE, end), { maxBytes: maxDecompressedBytes });
  checkCountFits(count, bytes.length);
  return { bytes, start: 0, end: bytes.length, count };
}

function checkSafe(value: number, field: string): void {
  if (value > MAX_SAFE || value < -MAX_SAFE) {
    throw invalidRecord(`${field} ${value} lies outside the safe integer range this codec represents exactly`, { field });
  }
}

/** What readRecord needs from the batch header, read once per batch. */
export interface RecordContext {
  baseOffset: number;
  /** Offset deltas of the records lie in [0, lastOffsetDelta] and increase. */
  lastOffsetDelta: number;
  baseTimestamp: number;
  /** True for LogAppendTime batches: every record's timestamp is then maxTimestamp. */
  logAppendTime: boolean;
  maxTimestamp: number;
}

/** Reads the header fields readRecord needs from a batch checked by `checkBatch`. */
export function recordContextOf(buf: Uint8Array): RecordContext {
  return {
    baseOffset: readInt64BE(buf, BASE_OFFSET),
    lastOffsetDelta: readInt32BE(buf, LAST_OFFSET_DELTA),
    baseTimestamp: readInt64BE(buf, BASE_TIMESTAMP),
    logAppendTime: (readInt16BE(buf, ATTRIBUTES) & TIMESTAMP_TYPE_MASK) !== 0,
    maxTimestamp: readInt64BE(buf, MAX_TIMESTAMP),
  };
}

/**
 * Reads the record at `cursor.pos` (inside a batch checked by `checkBatch`), which must be
 * the `index`-th record, never reading at or past `end`. Advances the cursor past it.
 */
/** The headers of every record that has none (frozen: shared by all of them). */
const NO_HEADERS: DecodedHeader[] = Object.freeze([]) as unknown as DecodedHeader[];

export function readRecord(buf: Buffer, cursor: Cursor, end: number, context: RecordContext, index: number, minOffsetDelta = index): DecodedRecord {
  const start = cursor.pos;
  const length = readVarint(buf, cursor, end);
  let pos = cursor.pos;
  if (length < MIN_RECORD_BODY || length > end - pos) {
    throw invalidRecord(`record ${index} declares ${length} bytes but ${end - pos} remain in the batch`, { position: start, index });
  }
  const recordEnd = pos + length;
  const attributes = (buf[pos] << 24) >> 24;
  cursor.pos = pos + 1;
  const timestampDelta = readVarlong(buf, cursor, recordEnd);
  const offsetDelta = readVarint(buf, cursor, recordEnd);
  if (offsetDelta < minOffsetDelta || offsetDelta > context.lastOffsetDelta) {
    throw invalidRecord(
      `record ${index} has offsetDelta ${offsetDelta}: offset deltas must increase from ${minOffsetDelta} and stay within lastOffsetDelta ${context.lastOffsetDelta}`,
      { position: start, index },
    );
  }

  let key: Buffer | null = null;
  const keyLength = readVarint(buf, cursor, recordEnd);
  pos = cursor.pos;
  if (keyLength >= 0) {
    if (keyLength > recordEnd - pos) throw fieldOverrun('key', keyLength, index, start);
    key = buf.subarray(pos, pos + keyLength);
    cursor.pos = pos + keyLength;
  } else if (keyLength !== -1) {
    throw invalidRecord(`record ${index} has key length ${keyLength}`, { position: start, index });
  }

  let value: Buffer | null = null;
  const valueLength = readVarint(buf, cursor, recordEnd);
  pos = cursor.pos;
  if (valueLength >= 0) {
    if (valueLength > recordEnd - pos) throw fieldOverrun('value', valueLength, index, start);
    value = buf.subarray(pos, pos + valueLength);
    cursor.pos = pos + valueLength;
  } else if (valueLength !== -1) {
    throw invalidRecord(`record ${index} has value length ${valueLength}`, { position: start, index });
  }

  const headerCount = readVarint(buf, cursor, recordEnd);
  // Each header takes at least two bytes (two length varints).
  if (headerCount < 0 || headerCount > (recordEnd - cursor.pos) / 2) {
    throw invalidRecord(`record ${index} declares ${headerCount} headers`, { position: start, index });
  }
  // Most records carry no headers: share one frozen empty list instead of allocating one each.
  const headers: DecodedHeader[] = headerCount === 0 ? NO_HEADERS : [];
  for (let h = 0; h < headerCount; h++) {
    const hKeyLength = readVarint(buf, cursor, recordEnd);
    pos = cursor.pos;
    if (hKeyLength < 0 || hKeyLength > recordEnd - pos) {
      throw invalidRecord(`record ${index} header ${h} has key length ${hKeyLength}`, { position: start, index });
    }
    const hKey = buf.toString('utf8', pos, pos + hKeyLength);
    cursor.pos = pos + hKeyLength;
    const hValueLength = readVarint(buf, cursor, recordEnd);
    pos = cursor.pos;
    let hValue: Buffer | null = null;
    if (hValueLength >= 0) {
      if (hValueLength > recordEnd - pos) throw fieldOverrun(`header ${h} value`, hValueLength, index, start);
      hValue = buf.subarray(pos, pos + hValueLength);
      cursor.pos = pos + hValueLength;
    } else if (hValueLength !== -1) {
      throw invalidRecord(`record ${index} header ${h} has value length ${hValueLength}`, { position: start, index });
    }
    headers.push({ key: hKey, value: hValue });
  }
  if (cursor.pos !== recordEnd) {
    throw invalidRecord(`record ${index} declares ${length} bytes but its fields take ${cursor.pos - (recordEnd - length)}`, {
      position: start,
      index,
    });
  }
  const createTime = context.baseTimestamp + timestampDelta;
  if (createTime > MAX_SAFE || createTime < -MAX_SAFE) {
    throw invalidRecord(`record ${index} timestamp lies outside the safe integer range`, { position: start, index });
  }
  const timestamp = context.logAppendTime ? context.maxTimestamp : createTime;
  return {
    offset: context.baseOffset + offsetDelta,
    timestamp,
    key,
    value,
    headers,
    attributes,
    offsetDelta,
    timestampDelta,
  };
}

function fieldOverrun(field: string, length: number, index: number, position: number): SkeinError {
  return invalidRecord(`record ${index} ${field} of ${length} bytes runs past the end of the record`, { position, index });
}

/** Throws unless the records ended exactly at the end of the batch. */
export function checkRecordsEnd(pos: number, end: number): void {
  if (pos !== end) {
    throw invalidRecord(`${end - pos} bytes follow the last record of the batch`, { position: pos });
  }
}

/**
 * Decodes one RecordBatch v2 occupying all of `buf`. Validates as listed at the top of
 * this file and returns every header field plus the records, whose keys, values and header
 * values are views into `buf`.
 */
export function decodeRecordBatch(buf: Uint8Array, options?: DecodeOptions): DecodedBatch {
  const verifyCrc = options?.verifyCrc ?? true;
  checkBatch(buf, verifyCrc);
  const view = asBuffer(buf);
  const batchLength = readInt32BE(view, BATCH_LENGTH);
  const context = recordContextOf(view);
  const attributes = readInt16BE(view, ATTRIBUTES);
  const lastOffsetDelta = readInt32BE(view, LAST_OFFSET_DELTA);
  const section = recordsOf(view, options?.maxDecompressedBytes);
  const { bytes, end, count } = section;

  const records: DecodedRecord[] = [];
  const cursor: Cursor = { pos: section.start };
  let minOffsetDelta = 0;
  for (let i = 0; i < count; i++) {
    const record = readRecord(bytes, cursor, end, context, i, minOffsetDelta);
    minOffsetDelta = record.offsetDelta + 1;
    records.push(record);
  }
  checkRecordsEnd(cursor.pos, end);

  const baseOffset = context.baseOffset;
  return {
    baseOffset,
    batchLength,
    partitionLeaderEpoch: readInt32BE(view, PARTITION_LEADER_EPOCH),
    magic: CURRENT_MAGIC,
    crc: readUInt32BE(view, CRC),
    attributes,
    compression: COMPRESSION_NAMES[attributes & COMPRESSION_CODEC_MASK],
    timestampType: (attributes & TIMESTAMP_TYPE_MASK) !== 0 ? 'log-append' : 'create',
    isTransactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    isControl: (attributes & CONTROL_FLAG_MASK) !== 0,
    lastOffsetDelta,
    baseTimestamp: context.baseTimestamp,
    maxTimestamp: context.maxTimestamp,
    producerId: readInt64BE(view, PRODUCER_ID),
    producerEpoch: readInt16BE(view, PRODUCER_EPOCH),
    baseSequence: readInt32BE(view, BASE_SEQUENCE),
    recordCount: count,
    lastOffset: baseOffset + lastOffsetDelta,
    records,
  };
}
