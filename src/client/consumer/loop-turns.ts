/**
 * Gives timers and I/O a turn while a consumer delivers a large fetch. eachMessage and eachBatch
 * handlers are awaited, but an async handler that never waits on I/O resolves in a microtask:
 * delivering a fetch of tens of thousands of records would hold the event loop for the whole
 * fetch (hundreds of ms under load), stalling heartbeats, other partitions' produce and every
 * timer in the process. After DELIVERY_SLICE_MS of delivery the next check yields with
 * setImmediate. The clock is read once every CHECK_EVERY calls, so a message costs a counter
 * increment, not a clock read.
 */
// 2 ms, not 5: a slice ends at the first check past the budget, so the loop is held for the
// budget plus one unit of work (an eachBatch slice of up to 2048 messages: 1-4 ms) plus any GC
// in it. Paired runs of the 8-partition pool bench's consume (load 10-12 on 2 cores), p99 with
// 5 ms -> 2 ms: gzip 25 -> 19, 76 -> 49, 239 -> 40 ms; zstd 28 -> 13, 16 -> 17, 22 -> 94 ms;
// records/s the same within the noise. A turn costs two setImmediate hops (microseconds).
const DELIVERY_SLICE_MS = 2;
const CHECK_EVERY = 64;

export class LoopTurns {
  private since = performance.now();
  private calls = 0;
  /** The turn being given now, shared by every delivery that finds the slice used up meanwhile. */
  private turn: Promise<void> | undefined;

  /** True when delivery has held the loop for a slice; the caller then awaits `yield()`. */
  due(): boolean {
    if (++this.calls % CHECK_EVERY !== 0) return false;
    return performance.now() - this.since >= DELIVERY_SLICE_MS;
  }

  /** The same after a large unit of work (an eachBatch slice): reads the clock every time. */
  dueNow(): boolean {
    return performance.now() - this.since >= DELIVERY_SLICE_MS;
  }

  /**
   * Lets timers and I/O run, then starts a new slice. Two setImmediate hops: from the poll
   * phase (delivery usually starts in an I/O callback) the first one runs in the same loop
   * iteration's check phase, before any timer; the second goes round through timers and poll.
   * Either costs microseconds, where a setTimeout(0) would cost a millisecond.
   *
   * One turn for all: partitions delivered concurrently share this object, and each used to
   * take its own turn and restart the slice when it resumed, so after one loop turn 8
   * partitions ran 8 slices of the budget back to back (40 ms and more without a timer: the pool
   * bench's consume delay p99). Now every delivery that finds the slice used up waits for the
   * same turn; when it ends they resume one after the other in microtasks, the first starts
   * the new slice, and the others find it used up once it is and wait for the next turn.
   */
  yield(): Promise<void> {
    this.turn ??= this.giveTurn();
    return this.turn;
  }

  private async giveTurn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
    this.turn = undefined;
  }

  /** A slice starts now (a fetch has just arrived after waiting for I/O). */
  reset(): void {
    this.since = performance.now();
  }
}
