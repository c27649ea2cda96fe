/**
 * Long-poll fetches waiting for data (Kafka's DelayedFetch purgatory, reduced to what one
 * broker needs): a fetch that found fewer than minBytes parks here, keyed by the partitions
 * it reads, and is woken by the first append to any of them, by its maxWaitMs, or by its
 * AbortSignal. Nothing polls: a waiting consumer costs one timer and a set entry.
 */
export class FetchWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Resolves on the next append to any of `keys`, after `timeoutMs`, or on abort. */
  wait(keys: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const wake = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        for (const key of keys) {
          const set = this.waiting.get(key);
          if (!set) continue;
          set.delete(wake);
          if (set.size === 0) this.waiting.delete(key);
        }
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, timeoutMs));
      if (signal) {
        if (signal.aborted) {
          wake();
          return;
        }
        signal.addEventListener('abort', wake, { once: true });
      }
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
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  /** Wakes everyone (broker closing). */
  wakeAll(): void {
    for (const set of [...this.waiting.values()]) for (const wake of [...set]) wake();
  }
}
