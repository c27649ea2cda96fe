/**
 * The partition layer's vocabulary: what a produce returns, the acks it takes, and the events a
 * Partition publishes. Types only; the broker re-exports the ones its front doors use.
 */

/** -1 = all in-sync replicas (here: durable under the topic's flush policy), 0 = none, 1 = leader append. */
export type Acks = -1 | 0 | 1;

export interface ProduceResult {
  baseOffset: number;
  lastOffset: number;
  /** -1 unless the topic uses LogAppendTime. */
  logAppendTime: number;
  logStartOffset: number;
}

/** What each event of a Partition carries (see docs/partition.md). */
export interface PartitionEventMap {
  /** Batches were appended (readable up to the high watermark; not yet flushed). */
  appended: { baseOffset: number; lastOffset: number; records: number; bytes: number };
  /** Everything appended before the flush began is on disk; `seconds` the flush took (start to done). */
  flushed: { logEndOffset: number; seconds: number };
  /** The high watermark moved (forward, or back to the log start after a truncation). */
  highWatermark: { highWatermark: number; previous: number };
  /** The active segment was sealed and a new one starts at baseOffset. */
  segmentRolled: { baseOffset: number };
  /** The log lost its tail (truncateTo) or was emptied (truncateFullyAndStartAt); readers past the end must restart. */
  truncated: { logEndOffset: number; previousLogEndOffset: number; logStartOffset: number };
  /** Whole segments were deleted (retention, or a snapshot made them redundant). */
  segmentsDeleted: { deletedSegments: number; deletedBytes: number; logStartOffset: number };
}

export type PartitionEventName = keyof PartitionEventMap;
export type PartitionListener<E extends PartitionEventName> = (event: PartitionEventMap[E]) => void;

/** ListOffsets special timestamps, as Kafka's. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** One partition's part of a fetch answer, before the broker adds names and errors. */
export interface PartitionRead {
  /** Whole RecordBatch v2 batches as zero-copy views; the first may start before the fetch offset. */
  records: Buffer[];
  bytes: number;
  highWatermark: number;
  logStartOffset: number;
}
