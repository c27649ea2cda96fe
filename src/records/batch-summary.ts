/**
 * Per-batch summaries of a buffer of RecordBatch v2 batches, from ONE native walk of the
 * headers that also checks framing, magic and CRC-32C (native summarizeBuffer). The append
 * pipeline reads these (offset deltas, counts, producer id/epoch/sequence, codec, max
 * timestamp) instead of reading each header again in every step.
 *
 * Layout: `fields` holds SUMMARY_FIELDS doubles per batch, in the order of the S constants
 * (shared with native/batch_scan.h; checked at load). A summary of valid batches only: the
 * scan result says where and why it stopped. Pure data, any thread.
 */
import { native, ScanStop, type ScanResult } from '../native/binding.js';
import { SkeinError } from '../errors.js';
import { COMPRESSION_CODEC_MASK } from './batch-header.js';

/** Field indexes within one batch's summary. */
export const S = {
  POSITION: 0,
  SIZE: 1,
  LAST_OFFSET_DELTA: 2,
  RECORD_COUNT: 3,
  PRODUCER_ID: 4,
  PRODUCER_EPOCH: 5,
  BASE_SEQUENCE: 6,
  ATTRIBUTES: 7,
  MAX_TIMESTAMP: 8,
} as const;

export const SUMMARY_FIELDS = 9;

if (native.summaryFields !== SUMMARY_FIELDS) {
  throw new SkeinError('SKEIN_IO_ERROR', `native summaryFields is ${native.summaryFields}, expected ${SUMMARY_FIELDS}`);
}

export class BatchSummaries {
  /** Valid batches summarised. */
  readonly count: number;
  /** SUMMARY_FIELDS doubles per batch. */
  readonly fields: Float64Array;
  /** Where and why the scan stopped (stop END and validEnd = length: the whole buffer is valid). */
  readonly scan: ScanResult;
  /** Records over all valid batches (sum of recordCount). */
  readonly records: number;

  private constructor(fields: Float64Array, scan: ScanResult) {
    this.fields = fields;
    this.scan = scan;
    this.count = scan.batches;
    let records = 0;
    for (let i = 0; i < this.count; i++) records += fields[i * SUMMARY_FIELDS + S.RECORD_COUNT]!;
    this.records = records;
  }

  /** Scans `buf` once: framing, magic, CRC, and a summary of every valid batch. */
  static of(buf: Uint8Array): BatchSummaries {
    // Most produce requests carry one batch; grow only when the buffer holds more.
    let fields = new Float64Array(SUMMARY_FIELDS * 4);
    for (;;) {
      const scan = native.summarizeBuffer(buf, fields);
      if (scan.stop !== ScanStop.LIMIT) return new BatchSummaries(fields, scan);
      fields = new Float64Array(fields.length * 8);
    }
  }

  /** True when the whole buffer is valid batches. */
  get complete(): boolean {
    return this.scan.stop === ScanStop.END;
  }

  get(batch: number, field: number): number {
    return this.fields[batch * SUMMARY_FIELDS + field]!;
  }

  codec(batch: number): number {
    return this.get(batch, S.ATTRIBUTES) & COMPRESSION_CODEC_MASK;
  }

  /** True when any batch is compressed (codec != none). */
  get anyCompressed(): boolean {
    for (let i = 0; i < this.count; i++) if (this.codec(i) !== 0) return true;
    return false;
  }

  /** True when the first batch carries a producer id (the request is idempotent). */
  get idempotent(): boolean {
    return this.count > 0 && this.get(0, S.PRODUCER_ID) >= 0;
  }
}
