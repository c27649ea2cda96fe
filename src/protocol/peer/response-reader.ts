/**
 * Cuts a follower's incoming byte stream into frames without a copy or an allocation per
 * socket chunk: the socket reads (Node's `onread`) straight into buffers this reader hands
 * out, and a large frame (a Fetch response carrying megabytes of batches) is read directly
 * into one reusable frame buffer, at the place its bytes belong.
 *
 *   Frame => size INT32, size bytes (as framing.ts)
 *
 * Why: with the default 'data' events a 1 MB response arrived as sixteen fresh 64 KiB
 * Buffers that FrameDecoder then concatenated into a fresh 1 MB Buffer, about twice the
 * replicated bytes allocated outside the V8 heap; V8 answers that external memory with full
 * mark-compact collections, and those were the largest single cost of a follower.
 *
 * Ownership: a frame read into the reusable buffer is lent to the caller until `release()`,
 * which LeaderConnection calls when it sends its next request (one request at a time: the
 * fetcher has appended the previous answer's batches, copying them into its log, before it
 * asks again). A frame that arrives while the buffer is lent (a peer that sends unasked)
 * gets a buffer of its own. Small frames, and the size prefixes, land in a scratch buffer
 * and are copied out (they are a few bytes, and the scratch is overwritten by the next read).
 * Frames above 32 MiB get a buffer of their own and are not kept, so one huge answer does not
 * pin its size for the connection's life.
 *
 * A size above `maxFrameBytes` or below zero throws SKEIN_INVALID_REQUEST (the connection is
 * to be dropped); the reader is unusable after that. One reader per socket, event loop only;
 * knows frames, not sockets or messages.
 */
import { SkeinError } from '../../errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../framing.js';

const SIZE_BYTES = 4;
const SCRATCH_BYTES = 64 * 1024;
/** Largest frame buffer kept for reuse. */
const REUSE_MAX_BYTES = 32 * 1024 * 1024;

export class ResponseReader {
  private readonly maxFrameBytes: number;
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);
  /** Bytes of a size prefix split across reads (0-3 of them). */
  private readonly prefix = Buffer.alloc(SIZE_BYTES);
  private prefixBytes = 0;
  /** The buffer kept for large frames, and whether the caller still holds a frame in it. */
  private reusable: Buffer | undefined;
  private lent = false;
  /** The large frame being read: its buffer, size and bytes so far (target undefined: none). */
  private target: Buffer | undefined;
  private frameSize = 0;
  private filled = 0;
  private failed = false;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Where the socket's next read goes (Node's onread.buffer): the rest of a large frame, else the scratch. */
  nextBuffer(): Uint8Array {
    return this.target ? this.target.subarray(this.filled, this.frameSize) : this.scratch;
  }

  /** Frames lent from the reusable buffer may be overwritten from now on (the caller is done with them). */
  release(): void {
    this.lent = false;
  }

  /** The socket read `n` bytes into `buf` (the buffer nextBuffer gave); returns the frames completed, in order. */
  onRead(n: number, buf: Uint8Array): Buffer[] {
    if (this.failed) throw new SkeinError('SKEIN_INVALID_REQUEST', 'the response reader already failed on this stream');
    const frames: Buffer[] = [];
    if (this.target && buf.buffer === this.target.buffer) {
      this.filled += n;
      if (this.filled === this.frameSize) frames.push(this.finishTarget());
      return frames;
    }
    let pos = 0;
    while (pos < n) {
      if (this.prefixBytes < SIZE_BYTES) {
        const take = Math.min(SIZE_BYTES - this.prefixBytes, n - pos);
        this.prefix.set(buf.subarray(pos, pos + take), this.prefixBytes);
        this.prefixBytes += take;
        pos += take;
        if (this.prefixBytes < SIZE_BYTES) break;
      }
      const size = this.checkSize(this.prefix.readInt32BE(0));
      const available = n - pos;
      if (available >= size) {
        // Wholly in the scratch: a copy of its own (the scratch is overwritten by the next read).
        frames.push(Buffer.from(buf.subarray(pos, pos + size)));
        pos += size;
        this.prefixBytes = 0;
        continue;
      }
      // A frame longer than what arrived: the rest is read straight into its buffer.
      this.target = this.frameBuffer(size);
      this.frameSize = size;
      this.target.set(buf.subarray(pos, n), 0);
      this.filled = available;
      this.prefixBytes = 0;
      pos = n;
    }
    return frames;
  }

  private finishTarget(): Buffer {
    const target = this.target!;
    const frame = target.subarray(0, this.frameSize);
    if (target === this.reusable) this.lent = true;
    this.target = undefined;
    this.frameSize = 0;
    this.filled = 0;
    return frame;
  }

  /** The reusable buffer when it is free and big enough (grown when free and too small), else one for this frame alone. */
  private frameBuffer(size: number): Buffer {
    if (this.lent || size > REUSE_MAX_BYTES) return Buffer.allocUnsafeSlow(size);
    if (!this.reusable || this.reusable.length < size) this.reusable = Buffer.allocUnsafeSlow(Math.min(REUSE_MAX_BYTES, Math.max(size, 2 * (this.reusable?.length ?? 0))));
    return this.reusable;
  }

  private checkSize(size: number): number {
    if (size < 0 || size > this.maxFrameBytes) {
      this.failed = true;
      throw new SkeinError(
        'SKEIN_INVALID_REQUEST',
        size < 0 ? `negative frame size ${size}` : `frame of ${size} bytes is larger than the maximum of ${this.maxFrameBytes}`,
        { frameSize: size, maxFrameBytes: this.maxFrameBytes },
      );
    }
    return size;
  }
}
