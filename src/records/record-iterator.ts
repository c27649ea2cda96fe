/**
 * Streaming over record bytes without building arrays or copying: records of one batch,
 * and batches of a buffer that holds several back to back.
 *
 * Owns: iteration only. Validation and the record grammar come from decode-record-batch.ts
 * (the same checks and error codes as decodeRecordBatch). Knows nothing of files, topics
 * or sockets. Synchronous; iterators are plain classes (cheaper than generators on the hot
 * path) and are single-use, like any JS iterator.
 *
 * iterateRecords(batch): the batch header is validated when it is called (framing, magic,
 * CRC, compression, counts), and a compressed batch's records are decompressed then (one
 * allocation per batch), so corrupt bytes throw before any record is yielded. Records
 * are then parsed one per next(); a malformed record throws SKEIN_INVALID_RECORD at that
 * point, after the records before it were yielded. Trailing bytes after the last record
 * are reported by the next() that would return done. Yielded keys, values and header
 * values are views into `batch` (see the zero-copy rules in decode-record-batch.ts).
 *
 * iterateBatches(buf): splits concatenated batches on their 12-byte framing
 * (baseOffset:int64 batchLength:int32), yielding each complete batch as a view. An
 * incomplete batch at the end (a Fetch response cut at maxBytes, a log read that ends
 * mid-batch) is dropped silently, as Kafka clients do. Framing that cannot be a batch
 * (batchLength below 14, the smallest legacy message, or below 49 when magic is 2) throws
 * SKEIN_CORRUPT_MESSAGE. Yielded batches are not otherwise checked: pass them to
 * decodeRecordBatch or iterateRecords, which check magic and CRC.
 */
import { SkeinError } from '../errors.js';
import {
  BATCH_LENGTH,
  CURRENT_MAGIC,
  LOG_OVERHEAD,
  MAGIC,
  MIN_BATCH_LENGTH,
  readInt32BE,
} from './batch-header.js';
import {
  asBuffer,
  checkBatch,
  checkRecordsEnd,
  readRecord,
  recordContextOf,
  recordsOf,
  type RecordsSection,
  type DecodeOptions,
  type RecordContext,
  type DecodedRecord,
} from './decode-record-batch.js';
import type { Cursor } from './varint.js';

/** Kafka's LegacyRecord.RECORD_OVERHEAD_V0: no log entry of any magic has a shorter size field. */
const MIN_ENTRY_LENGTH = 14;

/** Yields the records of one batch in order. Created by iterateRecords. */
export class RecordIterator implements IterableIterator<DecodedRecord> {
  readonly #buf: Buffer;
  readonly #cursor: Cursor;
  readonly #end: number;
  readonly #context: RecordContext;
  readonly #count: number;
  #index = 0;
  #minOffsetDelta = 0;
  #finished = false;

  /** `batch` must already have passed checkBatch; `section` is recordsOf(batch). */
  constructor(batch: Buffer, section: RecordsSection = recordsOf(batch)) {
    this.#buf = section.bytes;
    this.#cursor = { pos: section.start };
    this.#end = section.end;
    this.#context = recordContextOf(batch);
    this.#count = section.count;
  }

  next(): IteratorResult<DecodedRecord, undefined> {
    const index = this.#index;
    if (index < this.#count) {
      const record = readRecord(this.#buf, this.#cursor, this.#end, this.#context, index, this.#minOffsetDelta);
      this.#index = index + 1;
      this.#minOffsetDelta = record.offsetDelta + 1;
      return { done: false, value: record };
    }
    if (!this.#finished) {
      checkRecordsEnd(this.#cursor.pos, this.#end);
      this.#finished = true;
    }
    return { done: true, value: undefined };
  }

  [Symbol.iterator](): RecordIterator {
    return this;
  }
}

/**
 * Validates the batch header of `batch` (exactly one batch) now, then yields its records
 * one by one, zero-copy. Same checks and codes as decodeRecordBatch.
 */
export function iterateRecords(batch: Uint8Array, options?: DecodeOptions): RecordIterator {
  checkBatch(batch, options?.verifyCrc ?? true);
  const view = asBuffer(batch);
  return new RecordIterator(view, recordsOf(view, options?.maxDecompressedBytes));
}

/** Yields each complete batch of a buffer of concatenated batches. Created by iterateBatches. */
export class BatchIterator<T extends Uint8Array> implements IterableIterator<T> {
  readonly #buf: T;
  #pos = 0;

  constructor(buf: T) {
    this.#buf = buf;
  }

  /** Position in the buffer just past the last batch yielded (where an incomplete tail, if any, starts). */
  get position(): number {
    return this.#pos;
  }

  next(): IteratorResult<T, undefined> {
    const buf = this.#buf;
    const pos = this.#pos;
    const remaining = buf.length - pos;
    if (remaining < LOG_OVERHEAD) return { done: true, value: undefined };
    const batchLength = readInt32BE(buf, pos + BATCH_LENGTH);
    if (batchLength < MIN_ENTRY_LENGTH) {
      throw new SkeinError('SKEIN_CORRUPT_MESSAGE', `batchLength ${batchLength} at position ${pos} is below any message format's minimum`, {
        position: pos,
        batchLength,
      });
    }
    if (batchLength < MIN_BATCH_LENGTH && remaining > MAGIC && buf[pos + MAGIC] === CURRENT_MAGIC) {
      throw new SkeinError('SKEIN_CORRUPT_MESSAGE', `batchLength ${batchLength} at position ${pos} is below the ${MIN_BATCH_LENGTH} bytes of a v2 header`, {
        position: pos,
        batchLength,
      });
    }
    const size = LOG_OVERHEAD + batchLength;
    if (remaining < size) return { done: true, value: undefined };
    this.#pos = pos + size;
    return { done: false, value: buf.subarray(pos, pos + size) as T };
  }

  [Symbol.iterator](): BatchIterator<T> {
    return this;
  }
}

/**
 * Yields each complete batch in `buf` (batches back to back, as a Fetch response or a log
 * read returns them) as a view of the same type as `buf`, dropping an incomplete tail.
 */
export function iterateBatches<T extends Uint8Array>(buf: T): BatchIterator<T> {
  if (!(buf instanceof Uint8Array)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `iterateBatches needs a Buffer or Uint8Array, got ${buf === null ? 'null' : typeof buf}`);
  }
  return new BatchIterator(buf);
}
