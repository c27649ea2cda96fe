/**
 * The worker thread that cleaning passes run on: one piscina pool of one thread for the
 * process, created on first use (a pass is long and sequential; several logs take turns).
 * Idle workers do not keep the process alive (piscina unrefs them), and the thread exits
 * after a minute without work.
 */
import { Piscina } from 'piscina';
import type { CleanOutcome, CleanPlan } from './cleaner.js';

let pool: Piscina | undefined;

export function runCleanTask(plan: CleanPlan): Promise<CleanOutcome> {
  pool ??= new Piscina({
    filename: new URL('./clean-task.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: 1,
    idleTimeout: 60_000,
  });
  return pool.run(plan) as Promise<CleanOutcome>;
}
