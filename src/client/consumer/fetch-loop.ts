/**
 * The consumer's one loop: (re)join the group when needed, fetch from the broker what the
 * assigned, unpaused partitions hold past their positions (a long poll that waits in the
 * broker, woken by appends, never by polling), hand it to delivery, auto-commit, and again.
 * One fetch is in flight at a time and it carries at most `maxBytes`, so memory is bounded.
 * A member with nothing to fetch waits for a wake-up (seek, resume, rebalance) or a short
 * timer. Ends when the consumer stops or the broker closes. Event-loop thread only.
 */
import type { OffsetCommits } from './commits.js';
import type { Delivery } from './delivery.js';
import { sleep } from './handler-runner.js';
import type { GroupMembership } from './membership.js';
import type { ConsumerState } from './state.js';

export class FetchLoop {
  private readonly state: ConsumerState;
  private readonly membership: GroupMembership;
  private readonly delivery: Delivery;
  private readonly commits: OffsetCommits;

  constructor(state: ConsumerState, membership: GroupMembership, delivery: Delivery, commits: OffsetCommits) {
    this.state = state;
    this.membership = membership;
    this.delivery = delivery;
    this.commits = commits;
  }

  async run(): Promise<void> {
    const state = this.state;
    const config = state.config;
    this.membership.startHeartbeats();
    while (state.running) {
      if (state.needsJoin) {
        try {
          await this.membership.joinAndSync();
        } catch (err) {
          if (!state.running) break;
          this.membership.handleGroupError(err);
          await sleep(config.retryBackoffMs);
          continue;
        }
      }
      const request = this.fetchablePartitions();
      if (request.length === 0) {
        await this.waitForWork();
        continue;
      }
      // One controller serves fetch after fetch until something aborts it (a controller, its
      // signal and the waiter's listener per fetch were a good part of what an idle tail
      // consumer allocated per record).
      if (!state.fetchAbort || state.fetchAbort.signal.aborted) state.fetchAbort = new AbortController();
      let result;
      try {
        result = await state.broker.fetch({
          partitions: request,
          maxWaitMs: config.maxWaitTimeInMs,
          minBytes: config.minBytes,
          maxBytes: config.maxBytes,
          signal: state.fetchAbort.signal,
        });
      } catch (err) {
        if (!state.running || state.broker.closed) break;
        throw err;
      }
      await this.delivery.deliverAll(result.partitions);
      const committing = this.commits.maybeAutoCommit();
      if (committing) await committing;
    }
  }

  private fetchablePartitions() {
    const state = this.state;
    const out = [];
    for (const c of state.cursors.values()) {
      if (state.pausedKeys.has(c.key)) continue;
      out.push({ topic: c.topic, partition: c.partition, fetchOffset: c.position, maxBytes: state.config.maxBytesPerPartition });
    }
    return out;
  }

  private waitForWork(): Promise<void> {
    const events = this.state.events;
    return new Promise((resolve) => {
      // One listener per wait, removed whichever way the wait ends (an idle member waits often).
      const wake = () => {
        clearTimeout(timer);
        events.off('skein.wake', wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.min(this.state.config.heartbeatInterval, 500));
      events.on('skein.wake', wake);
    });
  }
}
