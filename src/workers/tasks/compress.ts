/**
 * Worker task: a batch's records section compressed with a codec, for the embedded
 * producer's large batches. The result is written into a block of shared memory from this
 * thread's free list (output-blocks.ts; moved ArrayBuffers cost the event loop mark-compacts,
 * workers/shared-blocks.ts), which the event loop gives back with a later task once it has
 * sealed the batch. A result over the largest block is moved instead (output-blocks.ts,
 * handBack).
 */
import { compress as compressCodec } from '../../records/compression/index.js';
import { taskFailure, type TaskOutcome } from './task-errors.js';
import { acceptReturned, handBack, type BlockResult } from './output-blocks.js';

export interface CompressInput {
  codec: number;
  /** The uncompressed records section (a view of a shared block, or a moved buffer of its own). */
  data: Uint8Array;
  /** Output blocks the event loop is done with, for reuse. */
  returned?: SharedArrayBuffer[];
}

/** The compressed bytes (in a shared block, or moved to the caller), or the failure as a TaskOutcome. */
export function compress(input: CompressInput): BlockResult | Uint8Array | TaskOutcome<never> {
  acceptReturned(input.returned);
  try {
    const out = compressCodec(input.codec, input.data);
    return handBack(out);
  } catch (err) {
    return taskFailure(err);
  }
}
