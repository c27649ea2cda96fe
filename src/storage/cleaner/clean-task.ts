/**
 * The piscina task that runs a cleaning pass's file work (cleaner.ts) on a worker thread, so
 * reading and rewriting segments never blocks the event loop. Self-contained: the worker
 * loads the addon for CRC-32C and nothing else; it reads segment files and writes
 * `.cleaned` files, and the event loop swaps them in afterwards.
 */
import { cleanSegments, type CleanOutcome, type CleanPlan } from './cleaner.js';

export default function cleanTask(plan: CleanPlan): CleanOutcome {
  return cleanSegments(plan);
}
