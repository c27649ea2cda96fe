/**
 * The append path of the active segment: validated batches written into the mapping (or with
 * pwrite in copy mode), each batch's baseOffset patched to the offset the log assigned and, on
 * a leader's append, its partitionLeaderEpoch patched to the leader's epoch (both lie outside
 * the CRC, so stored batches keep the producer's CRC and nothing is copied twice); then the
 * index bookkeeping of the appended batches, from the caller's summaries, never the headers.
 *
 * Stateless functions called by Segment.append on the event loop, after the disk for the
 * bytes was reserved; the segment then moves its size and next offset. Knows nothing of the
 * log or of where the offsets come from.
 */
import { BATCH_LENGTH, PARTITION_LEADER_EPOCH, readBaseOffset, writeBaseOffset, writeInt32BE } from '../records/batch-header.js';
import { S, SUMMARY_FIELDS, type BatchSummaries } from '../records/batch-summary.js';
import type { NativeMappedFile } from '../native/binding.js';
import type { SegmentIndexes } from './segment-indexes.js';

/** What appending one validated buffer of batches did to the segment. */
export interface SegmentAppend {
  /** Position of the first byte written. */
  position: number;
  lastOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
}

/**
 * Writes `src` (batches described by `summaries`) at `position`: through `mapping`, or
 * through `file` when the runtime refuses external buffers (mapping null).
 *
 * `firstOffset` 'kept': the batches keep the base offsets they carry (a follower's copy).
 * Otherwise each assigned baseOffset is written before the rest of its batch: in a segment
 * that allows gaps, recovery takes a batch whose offset skips ahead as a gap, so a kill
 * between copying a batch and patching its offset must leave a batch that fails its scan
 * (zeros) rather than one that passes with the producer's offset.
 *
 * `leaderEpoch` (>= 0) is written into every batch after its bytes; undefined keeps the epochs
 * the batches carry.
 */
export function writeBatches(
  mapping: Buffer | null | undefined,
  file: NativeMappedFile,
  src: Uint8Array,
  position: number,
  firstOffset: number | 'kept',
  summaries: BatchSummaries,
  leaderEpoch: number | undefined,
): void {
  const fields = summaries.fields;
  const count = summaries.count;
  if (firstOffset === 'kept') {
    if (mapping) mapping.set(src, position);
    else file.write(src, position);
  } else {
    // Offsets first, then each batch's bytes after its baseOffset field (see above).
    let offset = firstOffset;
    for (let i = 0, f = 0; i < count; i++, f += SUMMARY_FIELDS) {
      const at = fields[f + S.POSITION]!;
      if (mapping) writeBaseOffset(mapping, position + at, offset);
      else file.writeInt64BE(position + at, offset);
      offset += fields[f + S.LAST_OFFSET_DELTA]! + 1;
    }
    for (let i = 0, f = 0; i < count; i++, f += SUMMARY_FIELDS) {
      const from = fields[f + S.POSITION]! + BATCH_LENGTH; // the bytes after baseOffset
      const to = i + 1 < count ? fields[f + SUMMARY_FIELDS + S.POSITION]! : src.length;
      const bytes = src.subarray(from, to);
      if (mapping) mapping.set(bytes, position + from);
      else file.write(bytes, position + from);
    }
  }
  if (leaderEpoch === undefined) return;
  for (let i = 0, f = 0; i < count; i++, f += SUMMARY_FIELDS) {
    const at = position + fields[f + S.POSITION]! + PARTITION_LEADER_EPOCH;
    if (mapping) writeInt32BE(mapping, at, leaderEpoch);
    else file.write(epochBytes(leaderEpoch), at);
  }
}

/**
 * Index bookkeeping for the batches just written at `position` (SegmentIndexes.noteBatch per
 * batch), and what the append did: its last offset and largest timestamp. `firstOffset`
 * 'kept': the offsets are read from the batches.
 */
export function noteAppended(
  indexes: SegmentIndexes,
  src: Uint8Array,
  position: number,
  firstOffset: number | 'kept',
  summaries: BatchSummaries,
): SegmentAppend {
  const kept = firstOffset === 'kept';
  const fields = summaries.fields;
  let offset = kept ? -1 : firstOffset;
  let maxTimestamp = -1;
  let offsetOfMaxTimestamp = -1;
  for (let i = 0, f = 0; i < summaries.count; i++, f += SUMMARY_FIELDS) {
    const at = fields[f + S.POSITION]!;
    if (kept) offset = readBaseOffset(src, at);
    const lastOffset = offset + fields[f + S.LAST_OFFSET_DELTA]!;
    const batchMaxTimestamp = fields[f + S.MAX_TIMESTAMP]!;
    if (batchMaxTimestamp > maxTimestamp) {
      maxTimestamp = batchMaxTimestamp;
      offsetOfMaxTimestamp = lastOffset;
    }
    indexes.noteBatch(position + at, fields[f + S.SIZE]!, lastOffset, batchMaxTimestamp);
    offset = lastOffset + 1;
  }
  indexes.dirty = true;
  return { position, lastOffset: offset - 1, maxTimestamp, offsetOfMaxTimestamp };
}

/** partitionLeaderEpoch as 4 big-endian bytes, for writes through pwrite (copy mode). */
function epochBytes(epoch: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeInt32BE(epoch, 0);
  return bytes;
}
