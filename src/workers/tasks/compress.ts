/**
 * Worker task: a batch's records section compressed with a codec, for the embedded
 * producer's large batches. The result is moved back without a copy when it owns its memory
 * (a view into Node's shared small-buffer pool is copied first: moving it would detach memory
 * other buffers use).
 */
import { move } from 'piscina';
import { compress as compressCodec } from '../../records/compression/index.js';
import { taskFailure, type TaskOutcome } from './task-errors.js';

/** The compressed bytes (moved to the caller), or the failure as a TaskOutcome. */
export function compress(input: { codec: number; data: Uint8Array }): Uint8Array | TaskOutcome<never> {
  try {
    const out = compressCodec(input.codec, input.data);
    const owned = out.byteOffset === 0 && out.byteLength === out.buffer.byteLength ? out : new Uint8Array(out);
    return move(owned) as unknown as Uint8Array;
  } catch (err) {
    return taskFailure(err);
  }
}
