/**
 * A worker thread's free list of output blocks (workers/shared-blocks.ts), shared by its tasks
 * that hand bytes back to the event loop (decompress, compress): a result goes into a block,
 * and the blocks the loop is done with come back with later tasks (`returned`). One lane's
 * thread runs one task at a time, so one list per thread needs no lock. Worker threads only.
 */
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

/** `out` copied into a block; undefined when it is larger than the largest block. */
export function intoBlock(out: Uint8Array): BlockResult | undefined {
  const block = blocks.take(out.length);
  if (block === undefined) return undefined;
  new Uint8Array(block, 0, out.length).set(out);
  return { block, length: out.length };
}

/** Output blocks this thread made and keeps free (for tests: reuse means few are made). */
export function outputBlocks(): { allocated: number; kept: number } {
  return { allocated: blocks.allocated, kept: blocks.kept };
}
