/**
 * Worker task: the idempotence headers of a segment's recent batches, for the producer-state
 * rebuild when a partition opens (partition/producer-state.ts). The worker reads the file
 * read-only through the addon from an index position, checks the CRCs there (up to the first
 * bad batch, where it stops), and answers five numbers per batch
 * of an idempotent producer whose last offset is at or after `fromOffset` (usually a few
 * hundred at most: the rebuild looks at the last REBUILD_RECORDS records).
 */
import { native } from '../../native/binding.js';
import { readBaseOffset, readBaseSequence, readLastOffsetDelta, readProducerEpoch, readProducerId } from '../../records/batch-header.js';
import { walkWithCopies } from '../../storage/segment-recovery.js';
import { taskFailure, type TaskOutcome } from './task-errors.js';

/** Numbers per batch in the result: baseOffset, producerId, producerEpoch, baseSequence, lastOffsetDelta. */
export const PRODUCER_HEADER_FIELDS = 5;

export interface ProducerHeadersRequest {
  path: string;
  /** Where the walk starts (a batch boundary: an offset index entry's position, or 0). */
  position: number;
  /** The end of the valid data (a batch boundary). */
  end: number;
  fromOffset: number;
}

export function producerHeaders(request: ProducerHeadersRequest): TaskOutcome<number[]> {
  try {
    const out: number[] = [];
    const file = new native.MappedFile(request.path, { create: false, writable: false });
    try {
      // The CRC too (the headers read below are trusted after it), as the read path would check.
      const end = Math.min(request.end, file.fileSize);
      if (end <= request.position) return { ok: true, value: out };
      file.map(end);
      let validEnd: number;
      try {
        validEnd = file.scan(request.position, end).validEnd;
      } finally {
        file.unmap();
      }
      walkWithCopies(file, request.position, validEnd, (buf, at) => {
        const producerId = readProducerId(buf, at);
        const baseOffset = readBaseOffset(buf, at);
        const lastOffsetDelta = readLastOffsetDelta(buf, at);
        if (producerId >= 0 && baseOffset + lastOffsetDelta >= request.fromOffset) {
          out.push(baseOffset, producerId, readProducerEpoch(buf, at), readBaseSequence(buf, at), lastOffsetDelta);
        }
        return true;
      });
    } finally {
      file.close();
    }
    return { ok: true, value: out };
  } catch (err) {
    return taskFailure(err);
  }
}
