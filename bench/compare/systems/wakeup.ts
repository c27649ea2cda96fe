/**
 * For the in-process peers (SQLite, LMDB, the array), which have no way to block a reader:
 * "a consumer waits" means what an application would write, a reader parked on a promise that
 * the writer resolves after its commit. The reader then reads the new record from the store.
 */
export class Wakeup {
  private waiting: (() => void) | undefined;

  /** Resolves at the next notify(). */
  wait(): Promise<void> {
    return new Promise((resolve) => (this.waiting = resolve));
  }

  notify(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

/**
 * Runs the latency loop shared by the in-process peers: `write` commits one record, `read`
 * fetches it on the consumer side; the time from before the write to after the read is a sample.
 */
export async function inProcessLatency(
  samples: number,
  write: () => void,
  read: () => void,
  sample: (micros: number) => void,
): Promise<void> {
  const wakeup = new Wakeup();
  let arrived: ((at: bigint) => void) | undefined;
  let stopping = false;
  const consumer = (async () => {
    while (!stopping) {
      await wakeup.wait();
      if (stopping) break;
      read();
      const done = arrived;
      arrived = undefined;
      done?.(process.hrtime.bigint());
    }
  })();
  for (let i = 0; i < samples; i++) {
    const wait = new Promise<bigint>((resolve) => (arrived = resolve));
    const started = process.hrtime.bigint();
    write();
    wakeup.notify();
    sample(Number((await wait) - started) / 1000);
  }
  stopping = true;
  wakeup.notify();
  await consumer;
}
