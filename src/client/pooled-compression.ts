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
import type { CompressInput } from '../workers/tasks/compress.js';
import type { BlockResult } from '../workers/tasks/output-blocks.js';
import { giveBack, poolBlocks, takeReturned, taskInput } from './pool-blocks.js';

export const PRODUCER_POOL_THRESHOLD = { records: 1000, bytes: 64 * 1024 };

export function isLargeBatch(records: number, bytes: number): boolean {
  return records >= PRODUCER_POOL_THRESHOLD.records || bytes >= PRODUCER_POOL_THRESHOLD.bytes;
}

export interface CompressedRecords {
  /** The uncompressed batch's 61-byte header (producer id and epoch set, sequence not yet). */
  header: Buffer;
  codec: number;
  /** The compressed records: a view of a shared block until `release`, read once to seal the batch. */
  records: Uint8Array;
  /** Gives the block the records are in back for reuse: call once the batch is sealed (or dropped). */
  release: () => void;
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
  const blocks = poolBlocks(pool);
  const { data, transfer, answered } = taskInput(blocks, plain.subarray(HEADER_SIZE));
  const input: CompressInput = { codec, data, returned: takeReturned(blocks) };
  const work = pool.run<BlockResult | Uint8Array | TaskOutcome<never>>(key, 'compress', input, transfer).then(
    (out): CompressedRecords => {
      answered();
      if (out instanceof Uint8Array) return { header, codec, records: out, release: () => undefined };
      if ('block' in out) {
        let released = false;
        const release = () => {
          if (!released) giveBack(blocks, out.block);
          released = true;
        };
        return { header, codec, records: new Uint8Array(out.block, 0, out.length), release };
      }
      return unwrapOutcome(out);
    },
    (err: unknown) => {
      answered();
      throw err;
    },
  );
  work.catch(() => undefined);
  return work;
}
