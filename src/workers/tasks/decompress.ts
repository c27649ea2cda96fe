/**
 * Worker task: the records section of a compressed batch, decompressed (capped), for the
 * embedded consumer's large batches. The result is handed back without a copy when it owns
 * its memory; a view into shared memory (Node's small-buffer pool) is copied first, since
 * moving it would detach memory other buffers use.
 *
 * With a claim slot (client/pooled-decompression.ts) the task first claims the batch, and
 * answers null without work when the event loop claimed it first (it decompressed it itself).
 */
import { move } from 'piscina';
import { decompress as decompressCodec } from '../../records/compression/index.js';
import { taskFailure, type TaskOutcome } from './task-errors.js';

/** Claim slot states: nobody yet, this task, the event loop (client/pooled-decompression.ts). */
export const UNCLAIMED = 0;
export const CLAIMED_BY_WORKER = 1;
export const CLAIMED_BY_LOOP = 2;

/** The decompressed bytes (moved, not copied, to the caller), or the failure as a TaskOutcome. */
export function decompress(input: { codec: number; data: Uint8Array; maxBytes: number; claims?: Int32Array; slot?: number }): Uint8Array | null | TaskOutcome<never> {
  if (input.claims !== undefined && Atomics.compareExchange(input.claims, input.slot!, UNCLAIMED, CLAIMED_BY_WORKER) !== UNCLAIMED) return null;
  try {
    const out = decompressCodec(input.codec, input.data, { maxBytes: input.maxBytes });
    const owned = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
    return move(owned) as unknown as Uint8Array;
  } catch (err) {
    return taskFailure(err);
  }
}
