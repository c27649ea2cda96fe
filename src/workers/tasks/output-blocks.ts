/**
 * A worker thread's free list of output blocks (workers/shared-blocks.ts), shared by its tasks
 * that hand bytes back to the event loop (decompress, compress): a result goes into a block,
 * and the blocks the loop is done with come back with later tasks (`returned`). One lane's
 * thread runs one task at a time, so one list per thread needs no lock. Worker threads only.
 */
import { move } from 'piscina';
import { SharedBlocks } from '../shared-blocks.js';

/** Bytes in a shared block: the first `length` bytes of `block`. */
export interface BlockResult {
  block: SharedArrayBuffer;
  length: number;
}

const blocks = new SharedBlocks();

/** Takes back the blocks a task brought (the event loop is done with them). */
export function acceptReturned(returned: SharedArrayBuffer[] | undefined): void {
  if (returned !== undefined) for (const block of returned) blocks.give(block);
}

/**
 * A task's result as it goes back: copied into a block, or, larger than the largest block,
 * moved (without a copy when moving its ArrayBuffer takes nothing from other buffers).
 */
export function handBack(out: Uint8Array): BlockResult | Uint8Array {
  const block = blocks.take(out.length);
  if (block !== undefined) {
    new Uint8Array(block, 0, out.length).set(out);
    return { block, length: out.length };
  }
  return move(ownsItsMemory(out) ? out : new Uint8Array(out)) as unknown as Uint8Array;
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

/** Output blocks this thread made and keeps free (for tests: reuse means few are made). */
export function outputBlocks(): { allocated: number; kept: number } {
  return { allocated: blocks.allocated, kept: blocks.kept };
}
