/**
 * The memory budget for request frames still arriving, shared by every connection of one
 * server (Kafka's queued.max.request.bytes and its MemoryPool). A frame that does not arrive
 * in one socket chunk is held until complete; its announced size is reserved here first. When
 * the pool is used up, a connection that needs a reservation stops reading its socket (TCP
 * pushes back on the peer) until another frame completes or its connection closes. So eight
 * peers that each announce 100 MiB and send 95 cannot make the broker hold 760 MiB.
 *
 * Like Kafka's non-strict pool, a reservation is granted whenever anything is left, even if it
 * overshoots: one frame of any accepted size can always proceed, so a large request never
 * waits forever behind its own size. Frames up to `exemptBytes` need no reservation (a
 * connection holds at most that much unaccounted), so ordinary small requests keep flowing
 * while large ones wait. Event loop only.
 */
import { SkeinError } from '../../errors.js';

/** Frames up to this size are never held back (ordinary requests of every client). */
export const DEFAULT_EXEMPT_FRAME_BYTES = 1024 * 1024;

export class FrameMemoryPool {
  readonly capBytes: number;
  readonly exemptBytes: number;
  private usedBytes = 0;
  private readonly waiting = new Set<() => void>();

  constructor(capBytes: number, exemptBytes = DEFAULT_EXEMPT_FRAME_BYTES) {
    if (!Number.isSafeInteger(capBytes) || capBytes < 1) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `queuedMaxRequestBytes must be a positive integer, got ${String(capBytes)}`);
    }
    this.capBytes = capBytes;
    this.exemptBytes = exemptBytes;
  }

  /** Bytes reserved by frames being assembled. */
  get used(): number {
    return this.usedBytes;
  }

  /** Connections waiting for room. */
  get waiters(): number {
    return this.waiting.size;
  }

  /** Reserves `bytes` if anything is left; false means wait (see onRoom). */
  tryReserve(bytes: number): boolean {
    if (this.usedBytes >= this.capBytes) return false;
    this.usedBytes += bytes;
    return true;
  }

  release(bytes: number): void {
    this.usedBytes -= bytes;
    if (this.usedBytes < this.capBytes && this.waiting.size > 0) {
      // Everyone retries; those that lose the race wait again.
      const wake = [...this.waiting];
      this.waiting.clear();
      for (const retry of wake) retry();
    }
  }

  /** Calls `retry` once when room may be free; returns a function that cancels the wait. */
  onRoom(retry: () => void): () => void {
    this.waiting.add(retry);
    return () => this.waiting.delete(retry);
  }
}
