/**
 * A cursor over the records of one RecordBatch v2 that allocates nothing per record: `next()`
 * moves to the next record and leaves its fields as numbers (offset, timestamp, attributes,
 * and the positions and lengths of key, value and headers in `bytes`: the batch itself, or
 * the decompressed records section of a compressed batch, given by the caller). Callers build
 * what they need from those (a consumer's message: its value view, and the rest again from the
 * record's position with fieldsAt() when a handler reads it). Same record grammar, bounds
 * checks and SKEIN_INVALID_RECORD errors as readRecord in decode-record-batch.ts; the batch
 * header is not checked here. One- and two-byte varints (nearly all of them) are decoded
 * inline: this walk is most of the consume path's cost per record after the value view.
 *
 * For batches already verified (CRC at append or at recovery, header by the scan): the
 * embedded consumer's read path.
 * Synchronous, no I/O; reset() moves a cursor to another batch (eachBatch's records() walks
 * a run of batches with one cursor).
 */
import { SkeinError } from '../errors.js';
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  HEADER_SIZE,
  LOG_OVERHEAD,
  MAX_TIMESTAMP,
  RECORDS_COUNT,
  TIMESTAMP_TYPE_MASK,
  readInt16BE,
  readInt32BE,
  readInt64BE,
} from './batch-header.js';
import { readVarint, readVarlong, type Cursor } from './varint.js';

/** Smallest record body: attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount. */
const MIN_RECORD_BODY = 6;

export interface RecordHeaderView {
  key: string;
  value: Buffer | null;
}

function invalid(message: string, index: number, position: number): SkeinError {
  return new SkeinError('SKEIN_INVALID_RECORD', message, { index, position });
}

/** Where the records are: a range of the batch, or its decompressed records (start 0). */
export interface RecordBytes {
  bytes: Buffer;
  start: number;
  end: number;
  count: number;
}

const EMPTY = Buffer.alloc(0);

/** One record's fields as RecordCursor.fieldsAt reads them again. */
export interface RecordFields {
  timestamp: number;
  keyStart: number;
  keyLength: number;
  valueStart: number;
  valueLength: number;
  headersStart: number;
  headerCount: number;
}

export class RecordCursor {
  /** The bytes the record positions refer to (the batch, or its decompressed records). */
  bytes: Buffer = EMPTY;
  /** `bytes.buffer` and `bytes.byteOffset`, read once per batch (accessors: see buffer-view.ts viewOf). */
  arrayBuffer: ArrayBufferLike = EMPTY.buffer;
  byteOffset = 0;
  count = 0;
  baseOffset = 0;
  /** Fields of the current record (valid after next() returned true). */
  offset = -1;
  timestamp = -1;
  attributes = 0;
  /** Position of the key in `batch`, and its length (-1: null key). */
  keyStart = 0;
  keyLength = -1;
  valueStart = 0;
  valueLength = -1;
  /** Position of the first header in `batch` and how many there are. */
  headersStart = 0;
  headerCount = 0;
  /** Position of the current record's attributes byte: where fieldsAt() reads it again. */
  fieldsStart = 0;
  /** Where the next record starts. */
  private pos = 0;
  private end = 0;
  private baseTimestamp = 0;
  private logAppendTime = false;
  private maxTimestamp = 0;
  private index = 0;
  private nextOffsetDelta = 0;

  /**
   * `section`: where the records are when not in `batch` itself (a compressed batch's,
   * decompressed). Without a batch the cursor is empty until reset() gives it one.
   */
  constructor(batch?: Buffer, section?: RecordBytes) {
    if (batch !== undefined) this.reset(batch, section);
  }

  /** Starts over on `batch` (a subclass walking several batches reuses one cursor). */
  reset(batch: Buffer, section?: RecordBytes): void {
    const bytes = section ? section.bytes : batch;
    this.bytes = bytes;
    this.arrayBuffer = bytes.buffer;
    this.byteOffset = bytes.byteOffset;
    this.pos = section ? section.start : HEADER_SIZE;
    this.end = section ? section.end : LOG_OVERHEAD + readInt32BE(batch, BATCH_LENGTH);
    this.count = section ? section.count : readInt32BE(batch, RECORDS_COUNT);
    this.baseOffset = readInt64BE(batch, BASE_OFFSET);
    this.baseTimestamp = readInt64BE(batch, BASE_TIMESTAMP);
    this.logAppendTime = (readInt16BE(batch, ATTRIBUTES) & TIMESTAMP_TYPE_MASK) !== 0;
    this.maxTimestamp = readInt64BE(batch, MAX_TIMESTAMP);
    this.index = 0;
    this.nextOffsetDelta = 0;
  }

  /**
   * The fields of the record whose attributes byte is at `fieldsStart` (a record next()
   * already walked and checked, in the batch this cursor is on), read again into `out`. For
   * lazily built messages: they keep a position, not every field.
   */
  fieldsAt(fieldsStart: number, out: RecordFields): RecordFields {
    const buf = this.bytes;
    const end = this.end;
    const timestampDelta = varlongAt(buf, fieldsStart + 1, end);
    varintAt(buf, at.pos, end); // offsetDelta
    const keyLength = varintAt(buf, at.pos, end);
    out.keyStart = at.pos;
    out.keyLength = keyLength;
    const valueLength = varintAt(buf, keyLength > 0 ? at.pos + keyLength : at.pos, end);
    out.valueStart = at.pos;
    out.valueLength = valueLength;
    out.headerCount = varintAt(buf, valueLength > 0 ? at.pos + valueLength : at.pos, end);
    out.headersStart = at.pos;
    out.timestamp = this.logAppendTime ? this.maxTimestamp : this.baseTimestamp + timestampDelta;
    return out;
  }

  /** Moves to the next record; false after the last. */
  next(): boolean {
    const index = this.index;
    if (index >= this.count) return false;
    const buf = this.bytes;
    const end = this.end;
    const start = this.pos;
    const length = varintAt(buf, start, end);
    let pos = at.pos;
    if (length < MIN_RECORD_BODY || length > end - pos) {
      throw invalid(`record ${index} declares ${length} bytes but ${end - pos} remain in the batch`, index, start);
    }
    const recordEnd = pos + length;
    this.fieldsStart = pos;
    this.attributes = (buf[pos]! << 24) >> 24;
    const timestampDelta = varlongAt(buf, pos + 1, recordEnd);
    const offsetDelta = varintAt(buf, at.pos, recordEnd);
    // Offset deltas increase; a batch rewritten by the log cleaner may skip some (gaps), and a
    // producer's batch runs 0, 1, 2, ... (checked at append).
    if (offsetDelta < this.nextOffsetDelta) throw invalid(`record ${index} has offsetDelta ${offsetDelta}: offset deltas must increase`, index, start);
    const keyLength = varintAt(buf, at.pos, recordEnd);
    pos = at.pos;
    if (keyLength < -1 || keyLength > recordEnd - pos) throw invalid(`record ${index} has key length ${keyLength}`, index, start);
    this.keyStart = pos;
    this.keyLength = keyLength;
    if (keyLength > 0) pos += keyLength;
    const valueLength = varintAt(buf, pos, recordEnd);
    pos = at.pos;
    if (valueLength < -1 || valueLength > recordEnd - pos) throw invalid(`record ${index} has value length ${valueLength}`, index, start);
    this.valueStart = pos;
    this.valueLength = valueLength;
    if (valueLength > 0) pos += valueLength;
    const headerCount = varintAt(buf, pos, recordEnd);
    pos = at.pos;
    if (headerCount < 0 || headerCount > (recordEnd - pos) / 2) throw invalid(`record ${index} declares ${headerCount} headers`, index, start);
    this.headersStart = pos;
    this.headerCount = headerCount;
    if (headerCount > 0) {
      // Walk the headers now so a malformed one fails here, at its record, as readRecord does.
      for (let h = 0; h < headerCount; h++) {
        const kl = varintAt(buf, pos, recordEnd);
        pos = at.pos;
        if (kl < 0 || kl > recordEnd - pos) throw invalid(`record ${index} header ${h} has key length ${kl}`, index, start);
        pos += kl;
        const vl = varintAt(buf, pos, recordEnd);
        pos = at.pos;
        if (vl < -1 || vl > recordEnd - pos) throw invalid(`record ${index} header ${h} has value length ${vl}`, index, start);
        if (vl > 0) pos += vl;
      }
    }
    if (pos !== recordEnd) throw invalid(`record ${index} declares ${length} bytes but its fields take ${pos - start}`, index, start);
    this.pos = pos;
    this.offset = this.baseOffset + offsetDelta;
    this.nextOffsetDelta = offsetDelta + 1;
    this.timestamp = this.logAppendTime ? this.maxTimestamp : this.baseTimestamp + timestampDelta;
    this.index = index + 1;
    if (index + 1 === this.count && pos !== end) {
      throw invalid(`the batch holds ${end - pos} bytes after its last record`, index, pos);
    }
    return true;
  }
}

/**
 * The position after the varint that varintAt / varlongAt read last: their second result,
 * kept in the module so that a read allocates nothing and the common one- and two-byte
 * encodings (lengths under 64 / 8192, deltas) are decoded inline, without a cursor object.
 */
const at: Cursor = { pos: 0 };

/** readVarint at `pos` (same checks and errors), leaving the position after it in `at.pos`. */
function varintAt(buf: Uint8Array, pos: number, end: number): number {
  if (pos < end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      at.pos = pos + 1;
      return (b0 >>> 1) ^ -(b0 & 1);
    }
    if (pos + 1 < end) {
      const b1 = buf[pos + 1]!;
      if (b1 < 0x80) {
        at.pos = pos + 2;
        const u = (b0 & 0x7f) | (b1 << 7);
        return (u >>> 1) ^ -(u & 1);
      }
    }
  }
  at.pos = pos;
  return readVarint(buf, at, end);
}

/** readVarlong at `pos` (same checks and errors), leaving the position after it in `at.pos`. */
function varlongAt(buf: Uint8Array, pos: number, end: number): number {
  if (pos < end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      at.pos = pos + 1;
      return (b0 >>> 1) ^ -(b0 & 1);
    }
    if (pos + 1 < end) {
      const b1 = buf[pos + 1]!;
      if (b1 < 0x80) {
        at.pos = pos + 2;
        const u = (b0 & 0x7f) | (b1 << 7);
        return (u >>> 1) ^ -(u & 1);
      }
    }
  }
  at.pos = pos;
  return readVarlong(buf, at, end);
}

/** The headers at `start` (as RecordCursor left them), as views of `batch`. */
export function readHeadersAt(batch: Buffer, start: number, count: number): RecordHeaderView[] {
  const cursor: Cursor = { pos: start };
  const headers: RecordHeaderView[] = [];
  for (let h = 0; h < count; h++) {
    const kl = readVarint(batch, cursor, batch.length);
    const key = batch.toString('utf8', cursor.pos, cursor.pos + kl);
    cursor.pos += kl;
    const vl = readVarint(batch, cursor, batch.length);
    const value = vl < 0 ? null : batch.subarray(cursor.pos, cursor.pos + vl);
    if (vl > 0) cursor.pos += vl;
    headers.push({ key, value });
  }
  return headers;
}
