/**
 * Writing validated batches into the active segment: the bytes copied into the mapping (or
 * written with pwrite in copy mode), each batch's baseOffset patched to the offset the log
 * assigned, and, on a leader's append, its partitionLeaderEpoch patched to the leader's epoch.
 * Both fields lie outside the CRC, so stored batches keep the producer's CRC and nothing is
 * copied twice.
 *
 * A stateless function called by Segment.append on the event loop, after the disk for the
 * bytes was reserved; the segment does the bookkeeping (size, offsets, indexes) after it.
 * Knows nothing of the indexes, of the log or of where the offsets come from.
 */
import { BATCH_LENGTH, PARTITION_LEADER_EPOCH, writeBaseOffset, writeInt32BE } from '../records/batch-header.js';
import { S, SUMMARY_FIELDS, type BatchSummaries } from '../records/batch-summary.js';
import type { NativeMappedFile } from '../native/binding.js';

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

/** partitionLeaderEpoch as 4 big-endian bytes, for writes through pwrite (copy mode). */
function epochBytes(epoch: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeInt32BE(epoch, 0);
  return bytes;
}
