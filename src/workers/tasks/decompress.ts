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
    const owned = ownsItsMemory(out) ? out : new Uint8Array(out);
    return move(owned) as unknown as Uint8Array;
  } catch (err) {
    return taskFailure(err);
  }
}

/**
 * Whether moving `out`'s ArrayBuffer takes nothing from other buffers: it spans it, or it is
 * at its start with a few unused bytes after (gzip inflates into one chunk one byte longer
 * than the output) and too large to be a slice of Node's small-buffer pool (only buffers
 * under Buffer.poolSize / 2 are cut from it).
 */
function ownsItsMemory(out: Uint8Array): boolean {
  if (out.byteOffset !== 0) return false;
  const slack = out.buffer.byteLength - out.byteLength;
  return slack === 0 || (slack <= 4096 && out.byteLength >= Buffer.poolSize);
}
