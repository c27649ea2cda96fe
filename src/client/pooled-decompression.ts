/**
 * The embedded consumer's large compressed batches, decompressed on the partition's worker
 * (src/workers, task decompress) instead of on the event loop. Small batches stay inline:
 * below ~1000 records or 64 KiB the hop costs more than the work (docs/compression.md, Pools).
 * Runs on the event loop; a failed decompression rejects its promise with the SkeinError the
 * inline path would have thrown.
 */
import {
  ATTRIBUTES,
  COMPRESSION_CODEC_MASK,
  HEADER_SIZE,
  RECORDS_COUNT,
  readBaseOffset,
  readInt16BE,
  readInt32BE,
  readLastOffsetDelta,
} from '../records/batch-header.js';
import { iterateBatches } from '../records/record-iterator.js';
import type { RecordBytes } from '../records/record-cursor.js';
import type { WorkerPool } from '../workers/pool.js';
import { unwrapOutcome, type TaskOutcome } from '../workers/tasks/task-errors.js';

/** From this many records or compressed bytes a batch is decompressed on the pool (measured, see the header). */
export const CONSUMER_POOL_THRESHOLD = { records: 1000, bytes: 64 * 1024 };

/** The largest decompressed records section accepted (as the inline decoder, no cap beyond memory). */
const MAX_DECOMPRESSED = 2 ** 31 - 1;

/**
 * Starts decompressing every large compressed batch of `views` that ends at or after
 * `fromOffset`, keyed by the batch's base offset (unique within a partition). Undefined when
 * nothing goes to the pool.
 */
export function startDecompressions(pool: WorkerPool | undefined, key: string, views: Buffer[], fromOffset: number): Map<number, Promise<RecordBytes>> | undefined {
  if (!pool) return undefined;
  let started: Map<number, Promise<RecordBytes>> | undefined;
  for (const view of views) {
    for (const batch of iterateBatches(view)) {
      const codec = readInt16BE(batch, ATTRIBUTES) & COMPRESSION_CODEC_MASK;
      if (codec === 0) continue;
      const count = readInt32BE(batch, RECORDS_COUNT);
      if (count < CONSUMER_POOL_THRESHOLD.records && batch.length < CONSUMER_POOL_THRESHOLD.bytes) continue;
      const baseOffset = readBaseOffset(batch, 0);
      if (baseOffset + readLastOffsetDelta(batch, 0) < fromOffset) continue;
      const data = new Uint8Array(batch.subarray(HEADER_SIZE));
      const work = pool
        .run<Uint8Array | TaskOutcome<never>>(key, 'decompress', { codec, data, maxBytes: MAX_DECOMPRESSED }, [data.buffer as ArrayBuffer])
        .then((out): RecordBytes => {
          const bytes = out instanceof Uint8Array ? Buffer.from(out.buffer, out.byteOffset, out.byteLength) : unwrapOutcome(out);
          return { bytes, start: 0, end: bytes.length, count };
        });
      // Delivery may stop before it reaches a batch (rebalance, seek): its failure is not unhandled.
      work.catch(() => undefined);
      (started ??= new Map()).set(baseOffset, work);
    }
  }
  return started;
}
