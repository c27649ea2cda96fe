/**
 * Reused blocks of shared memory (SharedArrayBuffer) for bytes that cross between the event
 * loop and a worker: a pooled decompression's (or compression's) input and its output.
 *
 * Why not ArrayBuffers moved with postMessage, as before: the thread that receives moved
 * ArrayBuffers gets their memory back in mark-compacts, not in scavenges (measured here: 2000
 * buffers of 200 KB moved from a worker and dropped at once cost the event loop 6 mark-compacts;
 * the same allocated on the event loop and dropped, 1). The pooled consumer takes ~230 MB of
 * decompressed batches a second from its lane, and ran 3-5 mark-compacts per 2.3 M records
 * (100 B, gzip), none inline: each a 2-10 ms pause plus ~35 ms of marking on V8's GC threads,
 * which on two cores took the time the lane and the loop needed (0.78-0.92x of inline records/s
 * in 0.4 s windows). A result copied by postMessage instead of moved still waits a round of the
 * partitions' delivery slices for its turn, long enough to be promoted: mark-compacts again.
 *
 * A block is not counted against the isolate by V8 (shared memory is not; measured: no
 * mark-compact over the same traffic), which is why it must not be left to the garbage
 * collector either: blocks are taken from this free list and given back explicitly, and what
 * is not given back (a delivery that stopped before it took its batches) is bounded by the
 * batches handed ahead. The bytes a consumer hands to the application are copied out of the
 * block first (client/pooled-decompression.ts): a block is reused, a message's value must
 * stay as it was.
 *
 * Sizes are powers of two from 64 KiB (a block fits any length up to twice its need); lengths
 * over MAX_BLOCK_BYTES get no block (the caller moves an ArrayBuffer as before). Single
 * thread: each thread keeps its own SharedBlocks.
 */

/** The largest block; a larger length takes the ArrayBuffer path. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;
const MIN_BLOCK_BYTES = 64 * 1024;
/** Free bytes kept per size class; blocks given back beyond it are dropped. */
const KEPT_BYTES_PER_CLASS = 8 * 1024 * 1024;

export class SharedBlocks {
  /** Free blocks by size class (log2 of the block size). */
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  /** Blocks made so far (for tests and metrics: a steady state makes none). */
  allocated = 0;

  /** A block of at least `length` bytes, reused when one is free; undefined over MAX_BLOCK_BYTES. */
  take(length: number): SharedArrayBuffer | undefined {
    if (length > MAX_BLOCK_BYTES) return undefined;
    const size = blockSize(length);
    const block = this.free.get(size)?.pop();
    if (block !== undefined) return block;
    this.allocated += 1;
    return new SharedArrayBuffer(size);
  }

  /** Gives a block back for reuse (one this class or another SharedBlocks made). */
  give(block: SharedArrayBuffer): void {
    const size = block.byteLength;
    if (size !== blockSize(size)) return;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    if ((list.length + 1) * size <= KEPT_BYTES_PER_CLASS || list.length === 0) list.push(block);
  }

  /** Free blocks kept (for tests). */
  get kept(): number {
    let n = 0;
    for (const list of this.free.values()) n += list.length;
    return n;
  }
}

function blockSize(length: number): number {
  let size = MIN_BLOCK_BYTES;
  while (size < length) size *= 2;
  return size;
}
