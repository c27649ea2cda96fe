/**
 * Gives a lane's thread the nice value its pool asked for (pool.ts, DEFAULT_LANE_NICENESS), when
 * the thread starts. Linux only: there setpriority(PRIO_PROCESS, 0) changes the calling thread
 * alone; elsewhere it would change the whole process, event loop included, so nothing is done.
 * Runs on worker threads only.
 */
import { getPriority, setPriority } from 'node:os';

export function applyLanePriority(workerData: unknown): void {
  const niceness = (workerData as { niceness?: unknown } | undefined)?.niceness;
  if (process.platform !== 'linux' || typeof niceness !== 'number' || niceness <= 0) return;
  try {
    // setPriority takes the value to set; never lower a thread that already runs nicer.
    if (getPriority(0) < niceness) setPriority(0, niceness);
  } catch {
    // A sandbox that refuses it leaves the thread at the process's priority: slower to yield, not wrong.
  }
}

/** This thread's nice value (for tests). */
export function threadPriority(): number {
  return getPriority(0);
}
