/**
 * Decides when a log flushes and lets many appends share one flush (group commit).
 *
 * Policy, as Kafka's topic configs: after `flushMessages` records (1 = every batch), and for
 * data older than `flushMs`; Infinity for both leaves flushing to the OS (Kafka's default),
 * and then an append is acknowledged once its bytes are in the page cache, which survives a
 * process crash but not a power loss.
 *
 * Group commit: at most one flush runs at a time. An append that needs a flush while one
 * is running waits for the *next* one (the running one may have started before its bytes
 * were written), and every append waiting then shares that one flush. So with flush.messages
 * = 1 under load, N concurrent appends cost about two flushes, not N.
 */
export class FlushScheduler {
  private readonly flushAll: () => Promise<void>;
  private flushMessages: number;
  private flushMs: number;
  private unflushedMessages = 0;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Flushes started since creation (tests and metrics: shows group commit at work). */
  flushCount = 0;

  constructor(flushAll: () => Promise<void>, flushMessages: number, flushMs: number) {
    this.flushAll = flushAll;
    this.flushMessages = flushMessages;
    this.flushMs = flushMs;
  }

  setPolicy(flushMessages: number, flushMs: number): void {
    this.flushMessages = flushMessages;
    this.flushMs = flushMs;
  }

  /**
   * Notes `records` appended. Returns a promise that settles once they are flushed when the
   * policy says this append must wait for a flush, or undefined when it need not.
   */
  appended(records: number): Promise<void> | undefined {
    this.unflushedMessages += records;
    if (this.unflushedMessages >= this.flushMessages) return this.flush();
    if (this.flushMs !== Infinity && !this.timer && !this.stopped) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush().catch(() => {
          // A failed timed flush is retried by the next append or at close, which report it.
        });
      }, this.flushMs);
      this.timer.unref();
    }
    return undefined;
  }

  /** Flushes everything appended so far, sharing a flush with other waiters when it can. */
  flush(): Promise<void> {
    if (!this.running) {
      this.running = this.start();
      return this.running;
    }
    if (!this.queued) {
      this.queued = this.running.then(
        () => this.afterRunning(),
        () => this.afterRunning(),
      );
    }
    return this.queued;
  }

  private afterRunning(): Promise<void> {
    this.queued = undefined;
    return this.flush();
  }

  private async start(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.unflushedMessages = 0;
    this.flushCount += 1;
    try {
      await this.flushAll();
    } finally {
      this.running = undefined;
    }
  }

  /** Stops the timer; flushes still running are awaited by `idle`. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when no flush is running or queued. */
  async idle(): Promise<void> {
    while (this.running || this.queued) {
      await (this.queued ?? this.running)!.catch(() => undefined);
    }
  }
}
