/**
 * Worker module for test/client/pooled-decompression.test.ts: the real decompress task, and a
 * task that holds its lane until the test releases it, so "the lane has not begun this batch"
 * is a state the test sets, not a race it hopes to win.
 */
import { dispatcher } from '../../src/workers/dispatch.js';
import { decompress } from '../../src/workers/tasks/decompress.js';

/** Blocks this thread until gate[0] is set (Atomics.notify from the test's thread). */
export function hold(input: { gate: Int32Array }): true {
  while (Atomics.load(input.gate, 0) === 0) Atomics.wait(input.gate, 0, 0, 1000);
  return true;
}

export const dispatch = dispatcher({ decompress, hold, ready: () => true });
