/**
 * What a broker must check inside a compressed RecordBatch v2 before appending it, without
 * touching storage: the records decompress (within a cap), there are exactly recordsCount of
 * them, their offset deltas run 0..n-1 in order, and each record parses. The batch itself
 * is stored and served as it arrived; the decompressed bytes are dropped after the check.
 *
 * Owns: the validation pass and its summary. Pure (no state, no I/O); synchronous, safe on a
 * worker thread. Knows nothing of partitions, topics or configs: the caller passes the cap
 * (the topic's max.message.bytes today).
 *
 * Checks and codes, in order (framing, magic and CRC come from checkBatch):
 *   CRC-32C of bytes 21..end wrong (verifyCrc, default true) ...... SKEIN_CORRUPT_MESSAGE
 *   codec id 5-7 (not defined by Kafka) ............................ SKEIN_UNSUPPORTED_COMPRESSION
 *   records do not decompress ...................................... SKEIN_CORRUPT_MESSAGE
 *   decompressed size > maxDecompressedBytes (refused before
 *   inflating past it: a zip bomb costs at most the cap) ........... SKEIN_MESSAGE_TOO_LARGE
 *   fewer or more records than recordsCount, an offsetDelta out of
 *   order, a record that does not parse ............................ SKEIN_INVALID_RECORD
 *     (Kafka answers a wrong inner count with InvalidRecordException too: INVALID_RECORD)
 */
import { SkeinError } from '../errors.js';
import {
  COMPRESSION_CODEC_MASK,
  COMPRESSION_NAMES,
  CURRENT_MAGIC,
  readAttributes,
  readMagic,
  type CompressionName,
} from './batch-header.js';
import { asBuffer, checkBatch, checkRecordsEnd, readRecord, recordContextOf, recordsOf } from './decode-record-batch.js';
import { iterateBatches } from './record-iterator.js';
import type { Cursor } from './varint.js';

export interface CompressedBatchOptions {
  /** Refuse records that decompress to more than this many bytes (required: there is no safe default). */
  maxDecompressedBytes: number;
  /** Check the CRC first (default true). Pass false only when a native scan already checked it. */
  verifyCrc?: boolean;
}

export interface BatchSummary {
  /** Position of the batch in the buffer it was validated in (0 for a single batch). */
  position: number;
  compression: CompressionName;
  recordCount: number;
  /** Size of the batch as stored (header + compressed records). */
  batchBytes: number;
  /** Size of the records section once decompressed (equal to its stored size when uncompressed). */
  recordBytes: number;
}

/**
 * Validates one compressed (or uncompressed) RecordBatch v2 occupying all of `batch` and
 * returns its summary; throws a SkeinError (table above) and changes nothing otherwise.
 */
export function validateCompressedBatch(batch: Uint8Array, options: CompressedBatchOptions): BatchSummary {
  const maxDecompressedBytes = options?.maxDecompressedBytes;
  if (typeof maxDecompressedBytes !== 'number' || !(maxDecompressedBytes >= 0)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `options.maxDecompressedBytes must be a number >= 0, got ${String(maxDecompressedBytes)}`);
  }
  checkBatch(batch, options.verifyCrc ?? true);
  const view = asBuffer(batch);
  const section = recordsOf(view, maxDecompressedBytes);
  const context = recordContextOf(view);
  const cursor: Cursor = { pos: section.start };
  // readRecord checks offsetDelta === index and every field; checkRecordsEnd that nothing
  // follows the last announced record (more records than recordsCount).
  for (let i = 0; i < section.count; i++) readRecord(section.bytes, cursor, section.end, context, i);
  checkRecordsEnd(cursor.pos, section.end);
  return {
    position: 0,
    compression: COMPRESSION_NAMES[readAttributes(view, 0) & COMPRESSION_CODEC_MASK],
    recordCount: section.count,
    batchBytes: view.length,
    recordBytes: section.end - section.start,
  };
}

/**
 * Validates every compressed v2 batch among the batches of a produce request (back to back,
 * as `iterateBatches` splits them) and returns their summaries. Uncompressed batches and
 * other magics are left to the append path's own checks (the native scan), which would only
 * repeat work here. An incomplete tail is left to it as well.
 */
export function validateCompressedBatches(batches: Uint8Array, options: CompressedBatchOptions): BatchSummary[] {
  const summaries: BatchSummary[] = [];
  const iterator = iterateBatches(batches);
  let position = 0;
  for (const batch of iterator) {
    if (readMagic(batch, 0) === CURRENT_MAGIC && (readAttributes(batch, 0) & COMPRESSION_CODEC_MASK) !== 0) {
      const summary = validateCompressedBatch(batch, options);
      summary.position = position;
      summaries.push(summary);
    }
    position = iterator.position;
  }
  return summaries;
}

/** True when any v2 batch in `batches` has codec bits set: the cheap test before validating. */
export function hasCompressedBatch(batches: Uint8Array): boolean {
  for (const batch of iterateBatches(batches)) {
    if (readMagic(batch, 0) === CURRENT_MAGIC && (readAttributes(batch, 0) & COMPRESSION_CODEC_MASK) !== 0) return true;
  }
  return false;
}
