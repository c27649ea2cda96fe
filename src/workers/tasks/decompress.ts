/**
 * Worker task: the records section of a compressed batch, decompressed (capped), for the
 * embedded consumer's large batches. The result is written into a block of shared memory from
 * this thread's free list (workers/shared-blocks.ts: moved ArrayBuffers cost the event loop
 * mark-compacts), which the event loop gives back with a later task (`returned`) once it has
 * copied the records out. A result over the largest block is moved instead (output-blocks.ts,
 * handBack).
 *
 * With a claim slot (client/pooled-decompression.ts) the task first claims the batch, and
 * answers null without work when the event loop claimed it first (it decompressed it itself).
 */
import { decompress as decompressCodec } from '../../records/compression/index.js';
import { taskFailure, type TaskOutcome } from './task-errors.js';
import { acceptReturned, handBack, type BlockResult } from './output-blocks.js';

/** Claim slot states: nobody yet, this task, the event loop (client/pooled-decompression.ts). */
export const UNCLAIMED = 0;
export const CLAIMED_BY_WORKER = 1;
export const CLAIMED_BY_LOOP = 2;

export interface DecompressInput {
  codec: number;
  /** The compressed records (a view of a shared block, or a moved buffer of its own). */
  data: Uint8Array;
  maxBytes: number;
  claims?: Int32Array;
  slot?: number;
  /** Output blocks the event loop is done with, for reuse. */
  returned?: SharedArrayBuffer[];
}

export type { BlockResult };

/**
 * The decompressed bytes (in a shared block, or moved to the caller when too large for one),
 * null when the event loop claimed the batch first, or the failure as a TaskOutcome.
 */
export function decompress(input: DecompressInput): BlockResult | Uint8Array | null | TaskOutcome<never> {
  acceptReturned(input.returned);
  if (input.claims !== undefined && Atomics.compareExchange(input.claims, input.slot!, UNCLAIMED, CLAIMED_BY_WORKER) !== UNCLAIMED) return null;
  try {
    const out = decompressCodec(input.codec, input.data, { maxBytes: input.maxBytes });
    return handBack(out);
  } catch (err) {
    return taskFailure(err);
  }
}
