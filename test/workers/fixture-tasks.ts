/**
 * Worker module for test/workers/pool.test.ts: tasks that report which thread ran them, keep
 * a thread busy, and kill their worker, so affinity, order and worker exit can be observed.
 */
import { threadId } from 'node:worker_threads';
import { dispatcher } from '../../src/workers/dispatch.js';

let ran = 0;

/** Which thread ran it, and how many tasks this thread ran before (order within a lane). */
export function whoami(input: { key: string; seq: number }): { key: string; seq: number; threadId: number; ranBefore: number } {
  return { ...input, threadId, ranBefore: ran++ };
}

/** Keeps this thread busy for `ms` (a long compressed burst stands in here). */
export function spin(input: { ms: number }): number {
  const until = Date.now() + input.ms;
  let n = 0;
  while (Date.now() < until) n++;
  return n;
}

/** Ends its worker thread in the middle of the task. */
export function die(): never {
  process.exit(7);
}

export const dispatch = dispatcher({ whoami, spin, die, ready: () => true });
