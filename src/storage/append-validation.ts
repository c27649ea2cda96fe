/**
 * The checks every append passes before anything is written: framing, magic and CRC from one
 * native scan (BatchSummaries), then per batch its size against max.message.bytes, a
 * compression codec Kafka defines, and a record count that matches lastOffsetDelta. Invalid
 * input is refused with a coded SkeinError and changes nothing.
 *
 * A stateless function on the append path (PartitionLog.appendNow, appendAsFollower), on the
 * event loop. Knows nothing of segments or offsets; what is inside compressed batches is
 * checked above this layer (records/validate-compressed-batch.ts).
 */
import { ScanStop } from '../native/binding.js';
import { SkeinError, type ErrorCode } from '../errors.js';
import { CompressionCodec, compressionCodecOf } from '../records/batch-header.js';
import { BatchSummaries, S, SUMMARY_FIELDS } from '../records/batch-summary.js';

const SCAN_ERRORS: Record<number, { code: ErrorCode; what: string }> = {
  [ScanStop.TRUNCATED]: { code: 'SKEIN_CORRUPT_MESSAGE', what: 'ends inside a batch' },
  [ScanStop.BAD_LENGTH]: { code: 'SKEIN_CORRUPT_MESSAGE', what: 'has a batch with an impossible length' },
  [ScanStop.BAD_MAGIC]: { code: 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT', what: 'has a batch whose magic is not 2' },
  [ScanStop.BAD_CRC]: { code: 'SKEIN_CORRUPT_MESSAGE', what: 'has a batch whose CRC-32C does not match' },
};

/**
 * Checks every batch of an append from one scan's summaries (framing, magic, CRC, size,
 * counts); returns them. `given`: summaries the caller already made of these very bytes (the
 * partition pipeline), so the headers are walked once per append. Throws before any write.
 */
export function validateBatches(batches: Uint8Array, given: BatchSummaries | undefined, maxMessageBytes: number): BatchSummaries {
  if (!(batches instanceof Uint8Array)) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'append takes a Buffer or Uint8Array of record batches');
  }
  const summaries = given ?? BatchSummaries.of(batches);
  const scan = summaries.scan;
  if (scan.batches === 0 && batches.length === 0) {
    throw new SkeinError('SKEIN_INVALID_RECORD', 'append of an empty buffer');
  }
  if (scan.stop !== ScanStop.END || scan.validEnd !== batches.length) {
    const error = SCAN_ERRORS[scan.stop] ?? SCAN_ERRORS[ScanStop.TRUNCATED]!;
    throw new SkeinError(error.code, `append ${error.what} (at byte ${scan.validEnd})`, { position: scan.validEnd });
  }
  const fields = summaries.fields;
  for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
    const size = fields[f + S.SIZE]!;
    if (size > maxMessageBytes) {
      throw new SkeinError(
        'SKEIN_MESSAGE_TOO_LARGE',
        `a batch of ${size} bytes exceeds max.message.bytes (${maxMessageBytes})`,
        { batchBytes: size, maxMessageBytes },
      );
    }
    // Compressed batches are stored as they arrived (their CRC was checked by the scan);
    // what is inside them is checked above this layer (records/validate-compressed-batch.ts).
    const codec = compressionCodecOf(fields[f + S.ATTRIBUTES]!);
    if (codec > CompressionCodec.ZSTD) {
      throw new SkeinError('SKEIN_UNSUPPORTED_COMPRESSION', `compression codec id ${codec} is not defined by Kafka`, { codec });
    }
    const count = fields[f + S.RECORD_COUNT]!;
    const lastOffsetDelta = fields[f + S.LAST_OFFSET_DELTA]!;
    if (count <= 0 || lastOffsetDelta !== count - 1) {
      throw new SkeinError(
        'SKEIN_INVALID_RECORD',
        `a batch declares ${count} records but lastOffsetDelta ${lastOffsetDelta}`,
        { position: fields[f + S.POSITION]! },
      );
    }
  }
  return summaries;
}
