/**
 * Worker task: checks what is inside the compressed batches of one produce request
 * (records/validate-compressed-batch.ts: decompress within the cap, count, offset deltas,
 * every record parses), for requests large enough that doing it inline would hold the event
 * loop (see docs/compression.md, Pools). The bytes come as a copy; nothing is returned but
 * the verdict. A SkeinError does not survive the trip between threads with its code, so it
 * travels as a plain object and the caller rebuilds it (task-errors.ts).
 */
import { validateCompressedBatches } from '../../records/validate-compressed-batch.js';
import { taskFailure, type TaskOutcome } from './task-errors.js';

export function validateCompressed(input: { batches: Uint8Array; maxDecompressedBytes: number }): TaskOutcome<number> {
  try {
    // The CRC was checked by the native scan on the event loop before this task was queued.
    const summaries = validateCompressedBatches(input.batches, { maxDecompressedBytes: input.maxDecompressedBytes, verifyCrc: false });
    return { ok: true, value: summaries.length };
  } catch (err) {
    return taskFailure(err);
  }
}
