/**
 * Opening a partition off the event loop: the segments' scans and index walks
 * (storage/segment-recovery.ts) and the producer-state rebuild run on the partition's worker
 * lane, in order with the rest of its work, and only their small results (valid end, index
 * entries, producer headers) come back to the event loop. So a broker opening many partitions
 * after an unclean stop keeps its event loop for the partitions already open (measured in
 * bench/recovery-pool.bench.ts; docs/partition.md, Opening).
 *
 * Runs on the event loop; the tasks are src/workers/tasks/recover-segment.ts and
 * producer-headers.ts.
 */
import type { SegmentScanRequest, SegmentScanResult, SegmentScanner } from '../storage/segment-recovery.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { WorkerPool } from '../workers/pool.js';
import { unwrapOutcome, type TaskOutcome } from '../workers/tasks/task-errors.js';
import { PRODUCER_HEADER_FIELDS, type ProducerHeadersRequest } from '../workers/tasks/producer-headers.js';
import { REBUILD_RECORDS, type ProducerStateTable } from './producer-state.js';

/** The key a partition's work goes under (one lane per key): the same as Partition.key. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** A SegmentScanner that runs the scans of `key`'s segments on its lane of `pool`. */
export function poolScanner(pool: WorkerPool, key: string): SegmentScanner {
  return async (request: SegmentScanRequest) => unwrapOutcome(await pool.run<TaskOutcome<SegmentScanResult>>(key, 'recoverSegment', request));
}

/**
 * Rebuilds `table` from the headers of the log's most recent batches (the last REBUILD_RECORDS
 * records of the active segment, see producer-state.ts), read and CRC-checked on the lane.
 */
export async function rebuildProducerStateOnPool(pool: WorkerPool, key: string, log: PartitionLog, table: ProducerStateTable): Promise<void> {
  const from = Math.max(log.activeSegmentBaseOffset, log.logEndOffset - REBUILD_RECORDS);
  if (from >= log.logEndOffset) return;
  const request: ProducerHeadersRequest = { ...log.activeSegmentTail(from), fromOffset: from };
  const fields = unwrapOutcome(await pool.run<TaskOutcome<number[]>>(key, 'producerHeaders', request));
  for (let i = 0; i < fields.length; i += PRODUCER_HEADER_FIELDS) {
    const baseOffset = fields[i]!;
    const lastOffsetDelta = fields[i + 4]!;
    table.record({ producerId: fields[i + 1]!, producerEpoch: fields[i + 2]!, baseSequence: fields[i + 3]!, lastOffsetDelta }, baseOffset, baseOffset + lastOffsetDelta);
  }
}
