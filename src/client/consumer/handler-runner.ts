/**
 * Runs the application's handlers (eachMessage, eachBatch) for the consumer: a handler that
 * throws is retried from the same offset with exponential backoff at most `maxRestarts` times
 * in a row, then the consumer fails (SKEIN_CONSUMER_STALLED, 'consumer.crash'); a handler that
 * runs past `handlerTimeoutMs` is reported by the stall watchdog ('consumer.stalled', status
 * 'stalled' in health()) and the status goes back to 'consuming' when it returns.
 *
 * One watchdog timer per running consumer watches every handler call in progress (a timer per
 * call cost about a microsecond per message in eachMessage mode). Event-loop thread only.
 */
import { SkeinError } from '../../errors.js';
import type { ConsumerState } from './state.js';
import type { PartitionCursor } from './types.js';

export class HandlerRunner {
  private readonly state: ConsumerState;
  /**
   * Per cursor, the handler call in progress (started -1: none), for the stall watchdog. An
   * entry stays while its cursor is assigned and is reused call after call: a Map entry added
   * and removed per call was garbage per message. The watchdog drops entries of cursors gone.
   */
  private readonly running = new Map<PartitionCursor, { offset: number; started: number }>();
  private watchdog: NodeJS.Timeout | undefined;

  constructor(state: ConsumerState) {
    this.state = state;
  }

  /**
   * Runs one handler call: watches for a stall, and on a throw retries the same call with
   * backoff up to maxRestarts times in a row before failing the consumer.
   */
  async run(cursor: PartitionCursor, offset: number, call: () => Promise<void> | void): Promise<void> {
    const state = this.state;
    const { maxRestarts, retryBackoffMs } = state.config;
    let entry = this.running.get(cursor);
    if (entry === undefined) this.running.set(cursor, (entry = { offset, started: -1 }));
    const current = entry;
    for (;;) {
      current.offset = offset;
      current.started = Date.now();
      try {
        await call();
        state.restarts = 0;
        return;
      } catch (err) {
        state.lastError = err as Error;
        state.restarts += 1;
        const giveUp = state.restarts > maxRestarts;
        // The last failure is reported by fail(), once the status says 'failed'.
        if (!giveUp) {
          state.emit('consumer.crash', { error: err, groupId: state.config.groupId, topic: cursor.topic, partition: cursor.partition, offset, restart: true, restarts: state.restarts });
        }
        if (giveUp) {
          throw new SkeinError('SKEIN_CONSUMER_STALLED', `the handler failed ${state.restarts} times in a row at ${cursor.topic}[${cursor.partition}] offset ${offset}`, {
            cause: err,
            topic: cursor.topic,
            partition: cursor.partition,
            offset,
          });
        }
        await sleep(retryBackoffMs * 2 ** Math.min(state.restarts - 1, 10));
        if (!state.running || state.cursors.get(cursor.key) !== cursor) return;
      } finally {
        current.started = -1;
        if (state.status === 'stalled' && !this.anyStalled()) {
          state.status = 'consuming';
          state.stalled = undefined;
        }
      }
    }
  }

  startWatchdog(): void {
    const state = this.state;
    const { handlerTimeoutMs } = state.config;
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const [cursor, { offset, started }] of this.running) {
        if (started < 0) {
          if (state.cursors.get(cursor.key) !== cursor) this.running.delete(cursor);
          continue;
        }
        const runningMs = now - started;
        if (runningMs < handlerTimeoutMs) continue;
        state.stalled = { topic: cursor.topic, partition: cursor.partition, offset, runningMs };
        if (state.status !== 'stalled') {
          state.status = 'stalled';
          state.emit('consumer.stalled', { ...state.stalled });
        }
        return;
      }
    }, Math.max(10, Math.min(1000, handlerTimeoutMs / 2)));
    this.watchdog.unref();
  }

  stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
  }

  private anyStalled(): boolean {
    const now = Date.now();
    for (const { started } of this.running.values()) if (started >= 0 && now - started >= this.state.config.handlerTimeoutMs) return true;
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
