/**
 * Worker module for test/client/pooled-decompression.test.ts: the real decompress task, a
 * task that holds its lane until the test releases it, and a decompress that holds its lane
 * after it claimed its batch, so "the lane has not begun this batch" and "the lane is on this
 * batch" are states the test sets, not races it hopes to win.
 */
import { dispatcher } from '../../src/workers/dispatch.js';
import { decompress } from '../../src/workers/tasks/decompress.js';

/** Blocks this thread until gate[0] is set (Atomics.notify from the test's thread). */
export function hold(input: { gate: Int32Array }): true {
  while (Atomics.load(input.gate, 0) === 0) Atomics.wait(input.gate, 0, 0, 1000);
  return true;
}

/** gate[0]: released; gate[1]: set by a held decompression once it has claimed its batch. */
let decompressGate: Int32Array | undefined;

/** Later `decompressThenHold` tasks wait on this gate after they claimed their batch. */
export function setDecompressGate(input: { gate: Int32Array }): true {
  decompressGate = input.gate;
  return true;
}

/** The real task (which claims the batch first), then held until the test releases the gate. */
export function decompressThenHold(input: Parameters<typeof decompress>[0]): ReturnType<typeof decompress> {
  const out = decompress(input);
  if (decompressGate !== undefined && out !== null) {
    Atomics.store(decompressGate, 1, 1);
    hold({ gate: decompressGate });
  }
  return out;
}

// decompress is the real task until setDecompressGate is run on the thread.
export const dispatch = dispatcher({ decompress: decompressThenHold, hold, setDecompressGate, ready: () => true });
