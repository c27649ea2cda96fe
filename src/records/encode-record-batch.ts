/**
 * Builds one uncompressed RecordBatch v2 (magic 2) from plain records.
 *
 * Owns: argument validation for records and batch options, the record grammar on the
 * write side, and the batch CRC (through the native addon). Knows nothing of files,
 * topics or sockets: the result is a Buffer that a producer sends or a log appends.
 * Synchronous, allocation-light; safe on any thread that can load the addon.
 *
 * How: two passes over the input. Pass 1 validates every field, measures it (UTF-8 byte
 * lengths, varint sizes) and remembers each field's reference and size in a scratch
 * area; pass 2 writes into one Buffer.allocUnsafe of the exact size, reading only the
 * scratch area, so user getters run once and a field cannot change size between the
 * passes. The scratch area is module-level and reused (no per-batch garbage); a re-entrant
 * call (from a getter) gets a private one.
 *
 * Batch grammar (big-endian; byte positions in batch-header.ts):
 *   RecordBatch => baseOffset:int64 batchLength:int32 partitionLeaderEpoch:int32 magic:int8
 *                  crc:uint32 attributes:int16 lastOffsetDelta:int32 baseTimestamp:int64
 *                  maxTimestamp:int64 producerId:int64 producerEpoch:int16 baseSequence:int32
 *                  recordsCount:int32 [Record]
 *   crc = CRC-32C over attributes .. end of batch (bytes 21 .. 12 + batchLength).
 *
 * Record grammar (varint/varlong are zig-zag LEB128, see varint.ts):
 *   Record => length:varint            bytes that follow, up to the end of this record
 *             attributes:int8          unused, always 0
 *             timestampDelta:varlong   timestamp - baseTimestamp
 *             offsetDelta:varint       index of the record in the batch (0, 1, 2, ...)
 *             keyLength:varint key     -1 = null key, no bytes follow
 *             valueLength:varint value -1 = null value
 *             headerCount:varint [Header]
 *   Header => keyLength:varint key     UTF-8, never null
 *             valueLength:varint value -1 = null
 *
 * Fields written by this encoder: lastOffsetDelta = count - 1, offsetDelta = index,
 * maxTimestamp = largest record timestamp, attributes = timestamp type and
 * transactional bit and, with options.compression, the codec (never control). A compressed
 * batch is built uncompressed first, then its records section (bytes 61..end) is compressed
 * with src/records/compression/ and the CRC is computed over the compressed bytes.
 */
import { SkeinError } from '../errors.js';
import { native } from '../native/binding.js';
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  COMPRESSION_CODEC_MASK,
  COMPRESSION_NAMES,
  CRC,
  CRC_START,
  CURRENT_MAGIC,
  HEADER_SIZE,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_MASK,
  TRANSACTIONAL_FLAG_MASK,
  writeInt16BE,
  writeInt32BE,
  writeInt64BE,
  type CompressionName,
  type TimestampType,
} from './batch-header.js';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint.js';
import { compress } from './compression/index.js';

/** Bytes of a key, value or header value: strings are written as UTF-8; null is written as length -1. */
export type RecordBytes = Buffer | Uint8Array | string | null;

/** One record header. Keys may repeat; order is kept. */
export interface RecordHeaderInput {
  key: string;
  value: RecordBytes;
}

export interface RecordInput {
  /** Missing or null: a null key. */
  key?: RecordBytes;
  value: RecordBytes;
  /** Either an object (its own enumerable keys, in property order) or an ordered array. */
  headers?: Record<string, RecordBytes> | RecordHeaderInput[];
  /** Milliseconds since the epoch (a safe integer). Missing: the time of the encodeRecordBatch call. */
  timestamp?: number;
}

export interface BatchOptions {
  /** Offset of the first record. Producers send 0; the broker assigns the real one. Default 0. */
  baseOffset?: number;
  /** Default -1 (set by the broker). */
  partitionLeaderEpoch?: number;
  /** Timestamps are stored as deltas from this. Default: the first record's timestamp. */
  baseTimestamp?: number;
  /** Default -1 (not idempotent). */
  producerId?: number;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  /** Sets attributes bit 4. Default false. */
  isTransactional?: boolean;
  /** Sets attributes bit 3 for 'log-append'. Default 'create'. */
  timestampType?: TimestampType;
  /** Codec of the records section (attributes bits 0-2). Default 'none'. */
  compression?: CompressionName;
  /** Timestamp of the records that carry none (a producer passes the time of the send). Default: the time of this call. */
  defaultTimestamp?: number;
  /** Per record (index-aligned with `records`), the timestamp to use when it carries none; overrides defaultTimestamp. */
  defaultTimestamps?: ArrayLike<number>;
  /**
   * Write an uncompressed batch into a buffer this module reuses: the result is valid only
   * until the next call with this option. For a caller that copies the bytes away at once
   * (the embedded producer appends them synchronously): a fresh buffer per batch was
   * allocation and page faults the producer paid per batch. Default false.
   */
  reuseOutput?: boolean;
}

/** batchLength is an int32. */
const MAX_BATCH_LENGTH = 0x7fffffff;
/** Per-record ints kept in scratch before the header pairs: bodySize, keyLength, valueLength, headerCount. */
const RECORD_SLOTS = 4;
const NULL_LENGTH = -1;

/**
 * Field sizes and references measured in pass 1 and consumed in order by pass 2. Sizes are
 * int32 (a batch is at most 2^31 - 1 bytes), kept in an Int32Array so pass 2 reads small
 * integers, never doubles; timestamp deltas may exceed int32 and have their own Float64Array.
 */
class Scratch {
  ints: Int32Array = new Int32Array(8192);
  deltas: Float64Array = new Float64Array(2048);
  refs: unknown[] = [];

  growInts(needed: number): Int32Array {
    let size = this.ints.length * 2;
    while (size < needed) size *= 2;
    const next = new Int32Array(size);
    next.set(this.ints);
    this.ints = next;
    return next;
  }

  growDeltas(needed: number): Float64Array {
    let size = this.deltas.length * 2;
    while (size < needed) size *= 2;
    const next = new Float64Array(size);
    next.set(this.deltas);
    this.deltas = next;
    return next;
  }
}

const shared = new Scratch();
let sharedInUse = false;

/** The buffer behind `reuseOutput` results; batches above REUSED_OUTPUT_MAX get their own. */
let reusedOutput: Buffer | undefined;
const REUSED_OUTPUT_MAX = 8 * 1024 * 1024;

function outputBuffer(total: number, reuse: boolean): Buffer {
  if (!reuse || total > REUSED_OUTPUT_MAX) return Buffer.allocUnsafe(total);
  if (!reusedOutput || reusedOutput.length < total) reusedOutput = Buffer.allocUnsafe(Math.max(total, 64 * 1024, (reusedOutput?.length ?? 0) * 2));
  return reusedOutput.subarray(0, total);
}

function invalid(message: string, context: Record<string, unknown> = {}): SkeinError {
  return new SkeinError('SKEIN_INVALID_ARGUMENT', message, context);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  if (typeof value === 'string') return 'a string';
  return `${typeof value} ${String(value)}`;
}

/**
 * Byte length of a key/value/header value, or -1 for null; throws naming the field otherwise.
 * The field is named by `field` and, for headers, `header` (an index or a name): the name is
 * built only on failure, because a string built per record was garbage on the hot path.
 */
function measureBytes(value: unknown, record: number, field: string, header?: number | string): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (value instanceof Uint8Array) return value.length;
  if (value === null) return NULL_LENGTH;
  const name = fieldName(field, header);
  throw invalid(`records[${record}].${name} must be a Buffer, Uint8Array, string or null, got ${describe(value)}`, {
    record,
    field: name,
  });
}

function measureHeaderKey(key: unknown, record: number, header: number): number {
  if (typeof key === 'string') return Buffer.byteLength(key, 'utf8');
  const field = fieldName('key', header);
  throw invalid(`records[${record}].${field} must be a string, got ${describe(key)}`, { record, field });
}

/** `value`, `headers[2].key` (array headers), `headers["trace"]` (object headers). */
function fieldName(field: string, header: number | string | undefined): string {
  if (header === undefined) return field;
  return typeof header === 'number' ? `headers[${header}].${field}` : `headers[${JSON.stringify(header)}]`;
}

/** Size on the wire of a length-prefixed field of `length` bytes (-1 = null). */
function sizeOfField(length: number): number {
  return length < 0 ? 1 : sizeOfVarint(length) + length;
}

function checkInt(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`options.${name} must be an integer in [${min}, ${max}], got ${describe(value)}`, { option: name });
  }
  return value;
}

function checkTimestamp(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw invalid(`${what} must be a safe integer (milliseconds), got ${describe(value)}`);
  }
  return value;
}

const INT16_MIN = -0x8000;
const INT16_MAX = 0x7fff;
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

/**
 * Encodes `records` as one RecordBatch v2. Throws SKEIN_INVALID_ARGUMENT for an empty or
 * malformed input (the message names the field or the unknown codec), SKEIN_MESSAGE_TOO_LARGE
 * when the batch would exceed 2^31 - 1 bytes.
 */
export function encodeRecordBatch(records: readonly RecordInput[], options: BatchOptions = {}): Buffer {
  if (!Array.isArray(records)) throw invalid(`records must be an array, got ${describe(records)}`);
  const count = records.length;
  if (count === 0) throw invalid('records must hold at least one record: an empty batch cannot be encoded');
  if (typeof options !== 'object' || options === null) throw invalid(`options must be an object, got ${describe(options)}`);

  const compression = options.compression;
  const codec = compression === undefined ? 0 : (COMPRESSION_NAMES as readonly unknown[]).indexOf(compression);
  if (codec < 0) {
    throw invalid(`options.compression must be one of none, gzip, snappy, lz4, zstd, got ${describe(compression)}`, {
      option: 'compression',
    });
  }
  const baseOffset = checkInt('baseOffset', options.baseOffset, 0, Number.MAX_SAFE_INTEGER, 0);
  if (baseOffset + (count - 1) > Number.MAX_SAFE_INTEGER) {
    throw invalid(`options.baseOffset ${baseOffset} + ${count - 1} records exceeds the safe integer range`, { option: 'baseOffset' });
  }
  const partitionLeaderEpoch = checkInt('partitionLeaderEpoch', options.partitionLeaderEpoch, INT32_MIN, INT32_MAX, -1);
  const producerId = checkInt('producerId', options.producerId, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, -1);
  const producerEpoch = checkInt('producerEpoch', options.producerEpoch, INT16_MIN, INT16_MAX, -1);
  const baseSequence = checkInt('baseSequence', options.baseSequence, INT32_MIN, INT32_MAX, -1);
  const { isTransactional, timestampType } = options;
  if (isTransactional !== undefined && typeof isTransactional !== 'boolean') {
    throw invalid(`options.isTransactional must be a boolean, got ${describe(isTransactional)}`, { option: 'isTransactional' });
  }
  if (timestampType !== undefined && timestampType !== 'create' && timestampType !== 'log-append') {
    throw invalid(`options.timestampType must be 'create' or 'log-append', got ${describe(timestampType)}`, {
      option: 'timestampType',
    });
  }
  const attributes = (timestampType === 'log-append' ? TIMESTAMP_TYPE_MASK : 0) | (isTransactional === true ? TRANSACTIONAL_FLAG_MASK : 0);

  // Records without a timestamp all get the same clock reading, taken at most once, unless
  // the caller says when they were sent.
  let now = 0;
  let haveNow = false;
  if (options.defaultTimestamp !== undefined) {
    now = checkTimestamp(options.defaultTimestamp, 'options.defaultTimestamp');
    haveNow = true;
  }
  const defaultTimestamps = options.defaultTimestamps;
  if (defaultTimestamps !== undefined && (typeof defaultTimestamps !== 'object' || defaultTimestamps === null || defaultTimestamps.length !== count)) {
    throw invalid(`options.defaultTimestamps must hold one timestamp per record (${count})`, { option: 'defaultTimestamps' });
  }
  // Without the option, the first record's timestamp, set when pass 1 reads it.
  const givenBaseTimestamp = options.baseTimestamp;
  const baseTimestampGiven = givenBaseTimestamp !== undefined;
  let baseTimestamp = baseTimestampGiven ? checkTimestamp(givenBaseTimestamp, 'options.baseTimestamp') : 0;

  const scratch = sharedInUse ? new Scratch() : shared;
  const ownsShared = scratch === shared;
  if (ownsShared) sharedInUse = true;
  const refs = scratch.refs;
  let rp = 0;
  try {
    // ---- pass 1: validate and measure -------------------------------------------------
    let ints = scratch.ints;
    const deltas = count > scratch.deltas.length ? scratch.growDeltas(count) : scratch.deltas;
    let ip = 0;
    let total = HEADER_SIZE;
    let maxTimestamp = -Infinity;
    for (let i = 0; i < count; i++) {
      const record = records[i];
      if (typeof record !== 'object' || record === null) {
        throw invalid(`records[${i}] must be an object, got ${describe(record)}`, { record: i });
      }
      let timestamp: number;
      const ts = record.timestamp;
      if (ts == null) {
        if (defaultTimestamps !== undefined) {
          timestamp = defaultTimestamps[i]!;
          if (!Number.isSafeInteger(timestamp)) timestamp = checkTimestamp(timestamp, `options.defaultTimestamps[${i}]`);
        } else {
          if (!haveNow) {
            now = Date.now();
            haveNow = true;
          }
          timestamp = now;
        }
      } else if (typeof ts === 'number' && Number.isSafeInteger(ts)) {
        timestamp = ts;
      } else {
        // The field name is built only here: a template string per record was 70 bytes of
        // garbage per record encoded (measured with the sampling heap profiler).
        timestamp = checkTimestamp(ts, `records[${i}].timestamp`);
      }
      if (i === 0 && !baseTimestampGiven) baseTimestamp = timestamp;
      if (timestamp > maxTimestamp) maxTimestamp = timestamp;
      const timestampDelta = timestamp - baseTimestamp;
      if (!Number.isSafeInteger(timestampDelta)) {
        throw invalid(`records[${i}].timestamp ${timestamp} is too far from baseTimestamp ${baseTimestamp}`, { record: i });
      }

      const givenKey = record.key;
      const key = givenKey === undefined ? null : givenKey;
      const value = record.value;
      const keyLength = measureBytes(key, i, 'key');
      const valueLength = measureBytes(value, i, 'value');
      if (ip + RECORD_SLOTS > ints.length) ints = scratch.growInts(ip + RECORD_SLOTS);
      const slot = ip;
      ip += RECORD_SLOTS;
      refs[rp++] = key;
      refs[rp++] = value;

      let headerCount = 0;
      let headersSize = 0;
      const headers = record.headers;
      if (Array.isArray(headers)) {
        const n = headers.length;
        if (ip + 2 * n > ints.length) ints = scratch.growInts(ip + 2 * n);
        for (let h = 0; h < n; h++) {
          const header = headers[h];
          if (typeof header !== 'object' || header === null) {
            throw invalid(`records[${i}].headers[${h}] must be an object { key, value }, got ${describe(header)}`, { record: i });
          }
          const hKey = header.key;
          const hValue = header.value;
          const hKeyLength = measureHeaderKey(hKey, i, h);
          const hValueLength = measureBytes(hValue, i, 'value', h);
          ints[ip++] = hKeyLength;
          ints[ip++] = hValueLength;
          refs[rp++] = hKey;
          refs[rp++] = hValue;
          headersSize += sizeOfVarint(hKeyLength) + hKeyLength + sizeOfField(hValueLength);
        }
        headerCount = n;
      } else if (typeof headers === 'object' && headers !== null) {
        for (const hKey in headers) {
          if (!Object.hasOwn(headers, hKey)) continue;
          const hValue = headers[hKey];
          const hKeyLength = Buffer.byteLength(hKey, 'utf8');
          const hValueLength = measureBytes(hValue, i, 'value', hKey);
          if (ip + 2 > ints.length) ints = scratch.growInts(ip + 2);
          ints[ip++] = hKeyLength;
          ints[ip++] = hValueLength;
          refs[rp++] = hKey;
          refs[rp++] = hValue;
          headersSize += sizeOfVarint(hKeyLength) + hKeyLength + sizeOfField(hValueLength);
          headerCount++;
        }
      } else if (headers != null) {
        throw invalid(`records[${i}].headers must be an object or an array, got ${describe(headers)}`, { record: i });
      }

      const bodySize =
        1 + // attributes
        sizeOfVarlong(timestampDelta) +
        sizeOfVarint(i) +
        sizeOfField(keyLength) +
        sizeOfField(valueLength) +
        sizeOfVarint(headerCount) +
        headersSize;
      total += sizeOfVarint(bodySize) + bodySize;
      if (total - LOG_OVERHEAD > MAX_BATCH_LENGTH) {
        throw new SkeinError('SKEIN_MESSAGE_TOO_LARGE', `the batch would exceed ${MAX_BATCH_LENGTH} bytes after ${i + 1} records`, {
          records: count,
        });
      }
      ints[slot] = bodySize;
      ints[slot + 1] = keyLength;
      ints[slot + 2] = valueLength;
      ints[slot + 3] = headerCount;
      deltas[i] = timestampDelta;
    }

    // ---- pass 2: write ---------------------------------------------------------------
    const buf = outputBuffer(total, options.reuseOutput === true && codec === 0);
    writeHeader(buf, total, baseOffset, partitionLeaderEpoch, attributes, count, baseTimestamp, maxTimestamp, producerId, producerEpoch, baseSequence);
    let pos = HEADER_SIZE;
    ip = 0;
    let wp = 0;
    for (let i = 0; i < count; i++) {
      pos = writeVarint(buf, pos, ints[ip]!);
      buf[pos++] = 0; // record attributes
      const delta = deltas[i]!;
      if (delta === 0) buf[pos++] = 0;
      else pos = writeVarlong(buf, pos, delta);
      pos = writeVarint(buf, pos, i);
      pos = writeField(buf, pos, refs[wp++], ints[ip + 1]!);
      pos = writeField(buf, pos, refs[wp++], ints[ip + 2]!);
      const headerCount = ints[ip + 3]!;
      ip += RECORD_SLOTS;
      pos = writeVarint(buf, pos, headerCount);
      for (let h = 0; h < headerCount; h++) {
        pos = writeField(buf, pos, refs[wp++], ints[ip++]);
        pos = writeField(buf, pos, refs[wp++], ints[ip++]);
      }
    }
    if (pos !== total) {
      // Unreachable unless pass 1 and pass 2 disagree: a defect here, never user input.
      throw new SkeinError('SKEIN_INVALID_RECORD', `internal: wrote ${pos} bytes for a batch measured at ${total}`);
    }
    const out = codec === 0 ? buf : compressRecords(buf, codec);
    // A plain Uint8Array view: cheaper to create than Buffer#subarray, and all the addon needs.
    const crc = native.crc32c(new Uint8Array(out.buffer, out.byteOffset + CRC_START, out.length - CRC_START));
    writeInt32BE(out, CRC, crc);
    return out;
  } finally {
    // Drop references to user data so the scratch area does not keep it alive.
    refs.fill(null, 0, rp);
    if (ownsShared) sharedInUse = false;
  }
}

/**
 * The batch `plain` (CRC not yet written) with its records section compressed: same header,
 * batchLength for the new size, codec in attributes bits 0-2. The caller writes the CRC.
 */
function compressRecords(plain: Buffer, codec: number): Buffer {
  const compressed = compress(codec, plain.subarray(HEADER_SIZE));
  const total = HEADER_SIZE + compressed.length;
  if (total - LOG_OVERHEAD > MAX_BATCH_LENGTH) {
    throw new SkeinError('SKEIN_MESSAGE_TOO_LARGE', `the compressed batch would exceed ${MAX_BATCH_LENGTH} bytes`);
  }
  const out = Buffer.allocUnsafe(total);
  plain.copy(out, 0, 0, HEADER_SIZE);
  out.set(compressed, HEADER_SIZE);
  writeInt32BE(out, BATCH_LENGTH, total - LOG_OVERHEAD);
  writeInt16BE(out, ATTRIBUTES, (plain[ATTRIBUTES] << 8) | (plain[ATTRIBUTES + 1] & ~COMPRESSION_CODEC_MASK) | codec);
  return out;
}

function writeHeader(
  buf: Buffer,
  total: number,
  baseOffset: number,
  partitionLeaderEpoch: number,
  attributes: number,
  count: number,
  baseTimestamp: number,
  maxTimestamp: number,
  producerId: number,
  producerEpoch: number,
  baseSequence: number,
): void {
  // Plain byte stores (batch-header.ts): all values were range-checked above, and Buffer's
  // own write methods re-check them at a cost that shows on small batches.
  writeInt64BE(buf, BASE_OFFSET, baseOffset);
  writeInt32BE(buf, BATCH_LENGTH, total - LOG_OVERHEAD);
  writeInt32BE(buf, PARTITION_LEADER_EPOCH, partitionLeaderEpoch);
  buf[MAGIC] = CURRENT_MAGIC;
  // CRC (17..20) is written last, over the finished bytes.
  writeInt16BE(buf, ATTRIBUTES, attributes);
  writeInt32BE(buf, LAST_OFFSET_DELTA, count - 1);
  writeInt64BE(buf, BASE_TIMESTAMP, baseTimestamp);
  writeInt64BE(buf, MAX_TIMESTAMP, maxTimestamp);
  writeInt64BE(buf, PRODUCER_ID, producerId);
  writeInt16BE(buf, PRODUCER_EPOCH, producerEpoch);
  writeInt32BE(buf, BASE_SEQUENCE, baseSequence);
  writeInt32BE(buf, RECORDS_COUNT, count);
}

/** Writes a length-prefixed field measured in pass 1 (`length` -1 = null). */
function writeField(buf: Buffer, pos: number, value: unknown, length: number): number {
  if (length < 0) {
    buf[pos] = 1; // zig-zag(-1)
    return pos + 1;
  }
  pos = writeVarint(buf, pos, length);
  if (typeof value === 'string') {
    if (length > 0) buf.write(value, pos, length, 'utf8');
  } else {
    const bytes = value as Uint8Array;
    // Only user code run during pass 1 (a getter detaching or resizing an earlier
    // record's buffer) can change a length; writing anyway would leave allocUnsafe garbage.
    if (bytes.length !== length) {
      throw invalid(`a key, value or header value changed length during encoding (${length} → ${bytes.length} bytes)`);
    }
    if (length < 48) {
      for (let j = 0; j < length; j++) buf[pos + j] = bytes[j];
    } else {
      buf.set(bytes, pos);
    }
  }
  return pos + length;
}
