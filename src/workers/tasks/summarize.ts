/**
 * Worker task: the append pipeline's one scan (framing, magic, CRC-32C, per-batch summary) of
 * a buffer, on a worker thread. For very large buffers arriving on a busy broker; at CRC-32C
 * hardware speed (GB/s) the scan of a normal produce is cheaper inline than the hop here.
 */
import { BatchSummaries } from '../../records/batch-summary.js';
import type { ScanResult } from '../../native/binding.js';

export interface SummarizeOutput {
  fields: Float64Array;
  scan: ScanResult;
}

export function summarize(input: { buf: Uint8Array }): SummarizeOutput {
  const summaries = BatchSummaries.of(input.buf);
  return { fields: summaries.fields, scan: summaries.scan };
}
