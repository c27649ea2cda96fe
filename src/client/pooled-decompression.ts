/**
 * The embedded consumer's large compressed batches, decompressed on the partition's worker
 * (src/workers, task decompress) instead of on the event loop. Small batches stay inline,
 * below a threshold per codec where the hop costs the event loop about as much as the work it
 * moves (docs/compression.md, Pools; bench/pool-threshold.bench.ts).
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

/**
 * From this many records or compressed bytes a batch is decompressed on the pool, by codec id
 * (1 gzip, 2 snappy, 3 lz4, 4 zstd). Measured (bench/pool-threshold.bench.ts, 100-byte
 * records): a pooled task costs the event loop 20-70 us (submit, copy of the compressed
 * bytes, settle) and adds 50-100 us of latency. gzip and our JavaScript lz4 decoder take
 * 0.15-0.3 us per record inline, so a 1000-record batch (150-300 us) is worth moving; the
 * native snappy and zstd decoders take 0.04-0.06 us per record, so below ~4000 records
 * (160-240 us) the pool saved the loop little and cost throughput (snappy consume 0.82x,
 * zstd 0.84x with a 1000-record threshold): they stay inline up to there.
 */
export const CONSUMER_POOL_THRESHOLDS: Readonly<Record<number, { records: number; bytes: number }>> = {
  1: { records: 1000, bytes: 64 * 1024 },
  2: { records: 4000, bytes: 256 * 1024 },
  3: { records: 1000, bytes: 64 * 1024 },
  4: { records: 4000, bytes: 256 * 1024 },
};

/** Whether a compressed batch of `codec` with `records` records and `bytes` bytes is decompressed on the pool. */
export function decompressesOnPool(codec: number, records: number, bytes: number): boolean {
  const threshold = CONSUMER_POOL_THRESHOLDS[codec];
  return threshold !== undefined && (records >= threshold.records || bytes >= threshold.bytes);
}

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
      if (!decompressesOnPool(codec, count, batch.length)) continue;
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
