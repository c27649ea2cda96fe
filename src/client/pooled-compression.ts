/**
 * The embedded producer's large compressed batches, compressed on the partition's worker
 * (task compress) instead of on the calling thread: the batch is encoded uncompressed here,
 * its records section goes to the pool, and the producer seals the header (codec, length,
 * sequence, CRC) when the batch's turn to append comes. Small batches (below 1000 records and
 * 64 KiB, as for validation: docs/compression.md, Pools) are compressed inline.
 */
import { encodeRecordBatch, type RecordInput } from '../records/encode-record-batch.js';
import { COMPRESSION_NAMES, HEADER_SIZE, type CompressionName } from '../records/batch-header.js';
import type { WorkerPool } from '../workers/pool.js';
import { unwrapOutcome, type TaskOutcome } from '../workers/tasks/task-errors.js';

export const PRODUCER_POOL_THRESHOLD = { records: 1000, bytes: 64 * 1024 };

export function isLargeBatch(records: number, bytes: number): boolean {
  return records >= PRODUCER_POOL_THRESHOLD.records || bytes >= PRODUCER_POOL_THRESHOLD.bytes;
}

export interface CompressedRecords {
  /** The uncompressed batch's 61-byte header (producer id and epoch set, sequence not yet). */
  header: Buffer;
  codec: number;
  records: Uint8Array;
}

/** Encodes `records` uncompressed now (throws for bad input) and compresses their section on the pool. */
export function compressOnPool(
  pool: WorkerPool,
  key: string,
  records: RecordInput[],
  compression: CompressionName,
  producerId: number,
  producerEpoch: number,
): Promise<CompressedRecords> {
  const plain = encodeRecordBatch(records, { producerId, producerEpoch, baseSequence: producerId >= 0 ? 0 : -1 });
  const codec = (COMPRESSION_NAMES as readonly string[]).indexOf(compression);
  const header = Buffer.from(plain.subarray(0, HEADER_SIZE));
  const data = new Uint8Array(plain.subarray(HEADER_SIZE));
  const work = pool
    .run<Uint8Array | TaskOutcome<never>>(key, 'compress', { codec, data }, [data.buffer as ArrayBuffer])
    .then((out) => ({ header, codec, records: out instanceof Uint8Array ? out : unwrapOutcome(out) }));
  work.catch(() => undefined);
  return work;
}
