/**
 * The module every pool worker loads: piscina calls its `dispatch` export, which runs the task
 * named in the message (dispatch.ts). One task per file under tasks/; this file only lists
 * them. Runs on worker threads only.
 */
import { workerData } from 'piscina';
import { dispatcher } from './dispatch.js';
import { applyLanePriority, threadPriority } from './lane-priority.js';
import { summarize } from './tasks/summarize.js';
import { validateCompressed } from './tasks/validate-compressed.js';
import { decompress } from './tasks/decompress.js';
import { outputBlocks } from './tasks/output-blocks.js';
import { compress } from './tasks/compress.js';
import { recoverSegment } from './tasks/recover-segment.js';
import { producerHeaders } from './tasks/producer-headers.js';

applyLanePriority(workerData);

/** Answers once the worker has loaded this module (WorkerPool's lane gate and warmUp). */
function ready(): boolean {
  return true;
}

export const dispatch = dispatcher({ summarize, validateCompressed, decompress, outputBlocks, compress, recoverSegment, producerHeaders, threadPriority, ready });
