/**
 * The module every pool worker loads (piscina calls its named exports by task name). One task
 * per file under tasks/; this file only lists them. Runs on worker threads only.
 */
export { summarize } from './tasks/summarize.js';
export { validateCompressed } from './tasks/validate-compressed.js';
export { decompress } from './tasks/decompress.js';
export { compress } from './tasks/compress.js';
export { recoverSegment } from './tasks/recover-segment.js';
export { producerHeaders } from './tasks/producer-headers.js';

/** Answers once the worker has loaded this module (WorkerPool.warmUp). */
export function ready(): boolean {
  return true;
}
