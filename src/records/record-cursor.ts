/**
 * A cursor over the records of one RecordBatch v2 that allocates nothing per record: `next()`
 * moves to the next record and leaves its fields as numbers (offset, timestamp, attributes,
 * and the positions and lengths of key, value and headers in `bytes`: the batch itself, or
 * the decompressed records section of a compressed batch, given by the caller). Callers build what they need lazily (a consumer's message makes its value view when
 * the handler reads it). Same record grammar, bounds checks and SKEIN_INVALID_RECORD errors as
 * readRecord in decode-record-batch.ts; the batch header is not checked here.
 *
 * For batches already verified (CRC at append or at recovery, header by the scan): the
 * embedded consumer's read path.
 * Synchronous, single-use, no I/O.
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

export class RecordCursor {
  /** The bytes the record positions refer to (the batch, or its decompressed records). */
  readonly bytes: Buffer;
  readonly count: number;
  readonly baseOffset: number;
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
  private readonly cursor: Cursor;
  private readonly end: number;
  private readonly baseTimestamp: number;
  private readonly logAppendTime: boolean;
  private readonly maxTimestamp: number;
  private index = 0;
  private nextOffsetDelta = 0;

  /** `section`: where the records are when not in `batch` itself (a compressed batch's, decompressed). */
  constructor(batch: Buffer, section?: RecordBytes) {
    this.bytes = section ? section.bytes : batch;
    this.cursor = { pos: section ? section.start : HEADER_SIZE };
    this.end = section ? section.end : LOG_OVERHEAD + readInt32BE(batch, BATCH_LENGTH);
    this.count = section ? section.count : readInt32BE(batch, RECORDS_COUNT);
    this.baseOffset = readInt64BE(batch, BASE_OFFSET);
    this.baseTimestamp = readInt64BE(batch, BASE_TIMESTAMP);
    this.logAppendTime = (readInt16BE(batch, ATTRIBUTES) & TIMESTAMP_TYPE_MASK) !== 0;
    this.maxTimestamp = readInt64BE(batch, MAX_TIMESTAMP);
  }

  /** Moves to the next record; false after the last. */
  next(): boolean {
    const index = this.index;
    if (index >= this.count) return false;
    const buf = this.bytes;
    const cursor = this.cursor;
    const end = this.end;
    const start = cursor.pos;
    const length = readVarint(buf, cursor, end);
    let pos = cursor.pos;
    if (length < MIN_RECORD_BODY || length > end - pos) {
      throw invalid(`record ${index} declares ${length} bytes but ${end - pos} remain in the batch`, index, start);
    }
    const recordEnd = pos + length;
    this.attributes = (buf[pos]! << 24) >> 24;
    cursor.pos = pos + 1;
    const timestampDelta = readVarlong(buf, cursor, recordEnd);
    const offsetDelta = readVarint(buf, cursor, recordEnd);
    // Offset deltas increase; a batch rewritten by the log cleaner may skip some (gaps), and a
    // producer's batch runs 0, 1, 2, ... (checked at append).
    if (offsetDelta < this.nextOffsetDelta) throw invalid(`record ${index} has offsetDelta ${offsetDelta}: offset deltas must increase`, index, start);
    const keyLength = readVarint(buf, cursor, recordEnd);
    pos = cursor.pos;
    if (keyLength < -1 || keyLength > recordEnd - pos) throw invalid(`record ${index} has key length ${keyLength}`, index, start);
    this.keyStart = pos;
    this.keyLength = keyLength;
    if (keyLength > 0) cursor.pos = pos + keyLength;
    const valueLength = readVarint(buf, cursor, recordEnd);
    pos = cursor.pos;
    if (valueLength < -1 || valueLength > recordEnd - pos) throw invalid(`record ${index} has value length ${valueLength}`, index, start);
    this.valueStart = pos;
    this.valueLength = valueLength;
    if (valueLength > 0) cursor.pos = pos + valueLength;
    const headerCount = readVarint(buf, cursor, recordEnd);
    if (headerCount < 0 || headerCount > (recordEnd - cursor.pos) / 2) throw invalid(`record ${index} declares ${headerCount} headers`, index, start);
    this.headersStart = cursor.pos;
    this.headerCount = headerCount;
    if (headerCount > 0) {
      // Walk the headers now so a malformed one fails here, at its record, as readRecord does.
      for (let h = 0; h < headerCount; h++) {
        const kl = readVarint(buf, cursor, recordEnd);
        if (kl < 0 || kl > recordEnd - cursor.pos) throw invalid(`record ${index} header ${h} has key length ${kl}`, index, start);
        cursor.pos += kl;
        const vl = readVarint(buf, cursor, recordEnd);
        if (vl < -1 || vl > recordEnd - cursor.pos) throw invalid(`record ${index} header ${h} has value length ${vl}`, index, start);
        if (vl > 0) cursor.pos += vl;
      }
    }
    if (cursor.pos !== recordEnd) throw invalid(`record ${index} declares ${length} bytes but its fields take ${cursor.pos - start}`, index, start);
    this.offset = this.baseOffset + offsetDelta;
    this.nextOffsetDelta = offsetDelta + 1;
    this.timestamp = this.logAppendTime ? this.maxTimestamp : this.baseTimestamp + timestampDelta;
    this.index = index + 1;
    if (index + 1 === this.count && cursor.pos !== end) {
      throw invalid(`the batch holds ${end - cursor.pos} bytes after its last record`, index, cursor.pos);
    }
    return true;
  }
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
