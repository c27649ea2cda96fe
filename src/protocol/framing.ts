/**
 * Kafka frames over a byte stream: cutting socket chunks into frames, and building the
 * chunk list of an outgoing frame.
 *
 *   Frame => size INT32, size bytes (the header and body; size excludes itself)
 *
 * Owns: the size prefix, the maximum frame size and the buffering of partial frames. Knows
 * nothing of headers or messages, nor of sockets: the connection feeds `push` whatever its
 * socket emitted and gets complete frames back. One FrameDecoder per connection.
 *
 * Zero copy: a frame lying inside one chunk comes back as a view of that chunk; only a
 * frame split across chunks is copied, once, into a Buffer of its own. Bytes of an
 * unfinished frame are held as the views they arrived in until the frame completes, so
 * memory grows with the bytes actually received, never with a size a peer merely claims.
 *
 * A size above the maximum (Java's socket.request.max.bytes defaults to 100 MiB) or below
 * zero throws SKEIN_INVALID_REQUEST, with `frameSize` and `maxFrameBytes`: the connection
 * is to be closed, as Java's broker does. The decoder is unusable after that.
 */
import { SkeinError } from '../errors.js';
import { Writer } from './codec/writer.js';

/** Java's default for socket.request.max.bytes. */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024;

const SIZE_BYTES = 4;

export interface FrameDecoderOptions {
  /** Largest frame accepted (the size prefix's value). Default 100 MiB. */
  maxFrameBytes?: number;
}

export class FrameDecoder {
  private maxFrameBytesNow: number;
  /** Bytes received but not yet part of a returned frame, as the chunks (views) they came in. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled, once its 4 size bytes have arrived; else -1. */
  private frameSize = -1;
  private failed = false;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 0 || max > 0x7fffffff) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `maxFrameBytes must be an integer in [0, 2^31 - 1], got ${max}`);
    }
    this.maxFrameBytesNow = max;
  }

  /** Largest frame accepted from the next size prefix on. */
  get maxFrameBytes(): number {
    return this.maxFrameBytesNow;
  }

  /** Changes the maximum for frames whose size prefix has not arrived yet (e.g. raised after authentication). */
  set maxFrameBytes(max: number) {
    if (!Number.isInteger(max) || max < 0 || max > 0x7fffffff) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `maxFrameBytes must be an integer in [0, 2^31 - 1], got ${max}`);
    }
    this.maxFrameBytesNow = max;
  }

  /** The announced size of the frame being assembled, or -1 when none is (or its size prefix is still incomplete). */
  get incompleteFrameSize(): number {
    return this.frameSize;
  }

  /** Drops the bytes held for an incomplete frame (the stream is over); the decoder is unusable after. */
  release(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.frameSize = -1;
    this.failed = true;
  }

  /** Bytes held for a frame not complete yet. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Takes the next chunk of the stream; returns the frames it completes (payloads, without size), in order. */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw new SkeinError('SKEIN_INVALID_REQUEST', 'the frame decoder already failed on this stream');
    const frames: Buffer[] = [];
    let pos = 0;
    if (this.pendingBytes > 0 || this.frameSize >= 0) {
      pos = this.continuePending(chunk, frames);
      if (pos < 0) return frames; // the whole chunk went into the pending frame
    }
    // Fast path: frames wholly inside this chunk are views of it.
    while (chunk.length - pos >= SIZE_BYTES) {
      const size = this.checkSize(chunk.readInt32BE(pos));
      if (chunk.length - pos - SIZE_BYTES < size) {
        this.frameSize = size;
        this.hold(chunk.subarray(pos + SIZE_BYTES));
        return frames;
      }
      frames.push(chunk.subarray(pos + SIZE_BYTES, pos + SIZE_BYTES + size));
      pos += SIZE_BYTES + size;
    }
    this.hold(chunk.subarray(pos)); // fewer than 4 bytes: part of the next size prefix
    return frames;
  }

  /**
   * Feeds `chunk` to the frame being assembled. Returns the position in `chunk` after the
   * frame it completed (the frame is pushed to `frames`), or -1 if it completed none.
   */
  private continuePending(chunk: Buffer, frames: Buffer[]): number {
    if (this.frameSize < 0) {
      // The size prefix itself is split: take just enough bytes to complete it.
      const missing = SIZE_BYTES - this.pendingBytes;
      if (chunk.length < missing) {
        this.hold(chunk);
        return -1;
      }
      const prefix = Buffer.concat([...this.pending, chunk.subarray(0, missing)], SIZE_BYTES);
      this.frameSize = this.checkSize(prefix.readInt32BE(0));
      this.pending = [];
      this.pendingBytes = 0;
      chunk = chunk.subarray(missing);
      const used = this.completeFrame(chunk, frames);
      return used < 0 ? -1 : used + missing;
    }
    return this.completeFrame(chunk, frames);
  }

  /** With the size known, adds `chunk`'s bytes to the frame body; -1 if still incomplete. */
  private completeFrame(chunk: Buffer, frames: Buffer[]): number {
    const missing = this.frameSize - this.pendingBytes;
    if (chunk.length < missing) {
      this.hold(chunk);
      return -1;
    }
    const body = this.pendingBytes === 0 ? chunk.subarray(0, missing) : Buffer.concat([...this.pending, chunk.subarray(0, missing)], this.frameSize);
    frames.push(body);
    this.pending = [];
    this.pendingBytes = 0;
    this.frameSize = -1;
    return missing;
  }

  private hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  private checkSize(size: number): number {
    if (size < 0 || size > this.maxFrameBytesNow) {
      this.failed = true;
      throw new SkeinError(
        'SKEIN_INVALID_REQUEST',
        size < 0 ? `negative frame size ${size}` : `frame of ${size} bytes is larger than the maximum of ${this.maxFrameBytes}`,
        { frameSize: size, maxFrameBytes: this.maxFrameBytesNow },
      );
    }
    return size;
  }
}

/**
 * Builds one outgoing frame: reserves the size prefix, lets `writeFrame` write the header
 * and body, then fills in the size. Returns the chunk list for socket.writev.
 */
export function encodeFrame(writeFrame: (w: Writer) => void, initialBytes?: number): Buffer[] {
  const w = new Writer(initialBytes);
  const size = w.reserveInt32();
  writeFrame(w);
  w.fillInt32(size, w.length - SIZE_BYTES);
  return w.finish();
}
