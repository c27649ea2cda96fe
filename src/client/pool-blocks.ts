/**
 * The event loop's side of the shared-memory blocks a pool's tasks take and give
 * (workers/shared-blocks.ts): per pool, blocks for the bytes handed to a lane (free again once
 * the task answered), and the lanes' output blocks the loop is done with, which go back to a
 * lane with its next task (any lane: they are shared memory). Used by the embedded consumer's
 * pooled decompression and the embedded producer's pooled compression. Event-loop thread.
 */
import type { WorkerPool } from '../workers/pool.js';
import { SharedBlocks } from '../workers/shared-blocks.js';

export interface PoolBlocks {
  inputs: SharedBlocks;
  returned: SharedArrayBuffer[];
}

const blocksByPool = new WeakMap<WorkerPool, PoolBlocks>();
/** Output blocks waiting to go back to a lane; more are dropped (a lane makes new ones). */
const MAX_RETURNED = 64;

export function poolBlocks(pool: WorkerPool): PoolBlocks {
  let blocks = blocksByPool.get(pool);
  if (blocks === undefined) blocksByPool.set(pool, (blocks = { inputs: new SharedBlocks(), returned: [] }));
  return blocks;
}

/** An output block the loop no longer reads: it goes back to a lane with the next task. */
export function giveBack(blocks: PoolBlocks, block: SharedArrayBuffer): void {
  if (blocks.returned.length < MAX_RETURNED) blocks.returned.push(block);
}

/** The output blocks to hand to a lane with a task now (undefined: none). */
export function takeReturned(blocks: PoolBlocks): SharedArrayBuffer[] | undefined {
  return blocks.returned.length > 0 ? blocks.returned.splice(0) : undefined;
}

/**
 * `bytes` as a task's input: copied into a block (`block` set, to give back with `answered`
 * once the task answered) or, over the largest block, into a buffer of its own to move.
 */
export function taskInput(blocks: PoolBlocks, bytes: Uint8Array): { data: Uint8Array; transfer: ArrayBuffer[] | undefined; answered: () => void } {
  const block = blocks.inputs.take(bytes.length);
  if (block === undefined) {
    const data = new Uint8Array(bytes);
    return { data, transfer: [data.buffer as ArrayBuffer], answered: () => undefined };
  }
  const data = new Uint8Array(block, 0, bytes.length);
  data.set(bytes);
  // The worker reads the input only while the task runs.
  return { data, transfer: undefined, answered: () => blocks.inputs.give(block) };
}
