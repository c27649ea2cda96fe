/**
 * Long-poll fetches waiting for data (Kafka's DelayedFetch purgatory, reduced to what one
 * broker needs): a fetch that found fewer than minBytes parks here, keyed by the partitions
 * it reads, and is woken by the first append to any of them, by its maxWaitMs, or by its
 * AbortSignal. Nothing polls: a waiting consumer costs one timer and a set entry.
 *
 * A tail consumer waits once per record it reads, so a wait allocates as little as it can
 * (end-to-end latency: every allocation brings the next scavenge closer): the set of waiters
 * of a partition stays once made (empty sets of deleted partitions are a few bytes each, and
 * wakeAll drops them), and an AbortSignal gets one 'abort' listener for its whole life, which
 * ends the waits it is given (the embedded consumer reuses one signal for fetch after fetch;
 * a listener added and removed per wait cost more than the rest of the wait).
 */
export class FetchWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();
  /** Per signal, the waits it ends when aborted. */
  private readonly bySignal = new WeakMap<AbortSignal, Set<() => void>>();

  /** Resolves on the next append to any of `keys`, after `timeoutMs`, or on abort. */
  wait(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let done = false;
      const aborts = signal ? this.abortsOf(signal) : undefined;
      const wake = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        aborts?.delete(wake);
        for (const key of keys) this.waiting.get(key)?.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, timeoutMs));
      aborts?.add(wake);
      for (const key of keys) {
        let set = this.waiting.get(key);
        if (!set) {
          set = new Set();
          this.waiting.set(key, set);
        }
        set.add(wake);
      }
    });
  }

  /** Wakes every fetch waiting on `key`. */
  notify(key: string): void {
    const set = this.waiting.get(key);
    if (!set || set.size === 0) return;
    for (const wake of [...set]) wake();
  }

  /** Wakes everyone (broker closing). */
  wakeAll(): void {
    for (const set of [...this.waiting.values()]) for (const wake of [...set]) wake();
    this.waiting.clear();
  }

  private abortsOf(signal: AbortSignal): Set<() => void> {
    let set = this.bySignal.get(signal);
    if (!set) {
      const waits = (set = new Set());
      this.bySignal.set(signal, waits);
      signal.addEventListener('abort', () => {
        for (const wake of [...waits]) wake();
      }, { once: true });
    }
    return set;
  }
}
