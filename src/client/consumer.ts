/**
 * The embedded consumer, shaped like kafkajs's: `subscribe`, `run({ eachMessage | eachBatch })`,
 * `commitOffsets`, `seek`, `pause`/`resume`, `stop`, `disconnect`, and also
 * `for await (const batch of consumer)`.
 *
 * It is a member of a consumer group run by the broker's GroupCoordinator with Kafka's classic
 * protocol: join, sync (this member computes the assignment when it is the leader, with the
 * assignor the group chose), heartbeats on a timer of their own so a slow handler does not
 * cost the membership, and a rejoin whenever the coordinator answers REBALANCE_IN_PROGRESS.
 * The default assignor is cooperative-sticky: a rebalance does not stop the world, members keep
 * the partitions they are not asked to give up and go on consuming them while the group
 * rebalances; a partition that moves is first revoked (its position committed), then assigned.
 *
 * What Kafka users in Node complain about, handled here:
 *  - a consumer never stalls silently: a handler that runs past `handlerTimeoutMs` raises a
 *    'consumer.stalled' event and `health()` says so; a handler that throws is retried from
 *    the same offset with backoff at most `maxRestarts` times in a row, then the consumer
 *    stops with status 'failed' and a 'consumer.crash' event;
 *  - memory is bounded: one fetch is in flight at a time and it carries at most `maxBytes`;
 *  - lag per partition is one call away: `lag()`.
 *
 * One fetch loop per consumer on the event loop; long polls wait in the broker without polling.
 *
 * This class is the public face and the lifecycle (run, stop, disconnect, failure); the work is
 * done by the parts in consumer/, which share one ConsumerState:
 *   membership.ts      join, sync, assignment, heartbeats, group errors
 *   fetch-loop.ts      the loop: join when needed, fetch, deliver, auto-commit
 *   delivery.ts        records to eachMessage / eachBatch, positions moved as they are processed
 *   delivered-batch.ts eachBatch's batch: lazy messages and records() in place
 *   handler-runner.ts  retries with backoff and the stall watchdog
 *   commits.ts         auto-commit, commits on revoke, commitOffsets
 *   positions.ts       seek, pause, resume
 *   iterator.ts        `for await (const batch of consumer)`
 *   options.ts         option checks and defaults; types.ts the public types
 */
import { EventEmitter } from 'node:events';
import { SkeinError } from '../errors.js';
import type { Broker } from '../broker/broker.js';
import type { TopicPartition } from '../broker/types.js';
import { array, integer, nonEmptyString, object, offset as checkOffset, optionalBoolean } from './arguments.js';
import { batchIterator } from './consumer/iterator.js';
import { OffsetCommits } from './consumer/commits.js';
import { Delivery } from './consumer/delivery.js';
import { FetchLoop } from './consumer/fetch-loop.js';
import { HandlerRunner } from './consumer/handler-runner.js';
import { GroupMembership } from './consumer/membership.js';
import { checkTopicPartitionsList, resolveConsumerOptions, resolveRunOptions } from './consumer/options.js';
import { Positions } from './consumer/positions.js';
import { ConsumerState, partitionKey } from './consumer/state.js';
import type { Batch, ConsumerHealth, ConsumerOptions, RunOptions } from './consumer/types.js';

export type { KafkaMessage } from './consumer/consumed-message.js';
export type { Batch, BatchRecords, ConsumerHealth, ConsumerOptions, ConsumerStatus, EachBatchPayload, EachMessagePayload, RunOptions } from './consumer/types.js';

export class Consumer extends EventEmitter {
  private readonly state: ConsumerState;
  private readonly membership: GroupMembership;
  private readonly commits: OffsetCommits;
  private readonly runner: HandlerRunner;
  private readonly positions: Positions;
  private readonly fetchLoop: FetchLoop;
  private loop: Promise<void> | undefined;

  constructor(broker: Broker, options: ConsumerOptions) {
    super();
    const config = resolveConsumerOptions(options);
    const state = (this.state = new ConsumerState(broker, config, options.autoOffsetReset ?? 'latest', this));
    this.membership = new GroupMembership(state);
    this.commits = new OffsetCommits(state, (err) => this.membership.handleGroupError(err));
    this.membership.useCommits(this.commits);
    this.runner = new HandlerRunner(state);
    this.positions = new Positions(state);
    const delivery = new Delivery(state, this.runner, this.commits, this.membership, this.positions);
    this.fetchLoop = new FetchLoop(state, this.membership, delivery, this.commits);
  }

  /** Nothing to connect in process; kept so kafkajs code runs unchanged. */
  async connect(): Promise<void> {
    this.ensureUsable();
  }

  /** Adds topics (names or a RegExp matched against existing topics at each rebalance). */
  async subscribe(options: { topics?: Array<string | RegExp>; topic?: string | RegExp; fromBeginning?: boolean }): Promise<void> {
    this.ensureUsable();
    const state = this.state;
    if (state.running) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'subscribe before run (or stop the consumer first)');
    object(options, 'subscribe options');
    optionalBoolean(options.fromBeginning, 'fromBeginning');
    // A string is not a list of one-letter topics.
    if (options.topics !== undefined) array(options.topics, 'topics');
    const topics = options.topics ?? (options.topic !== undefined ? [options.topic] : []);
    topics.forEach((topic, i) => {
      if (!(topic instanceof RegExp)) nonEmptyString(topic, options.topics ? `topics[${i}]` : 'topic');
    });
    if (topics.length === 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'subscribe needs topic or topics');
    for (const topic of topics) {
      if (typeof topic === 'string') await state.broker.ensureTopic(topic, state.config.allowAutoTopicCreation);
      else if (!(topic instanceof RegExp)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'a subscription is a topic name or a RegExp');
      state.subscriptions.push(topic);
    }
    if (options.fromBeginning) state.autoOffsetReset = 'earliest';
  }

  /**
   * Starts consuming in the background; resolves once this member has joined the group and
   * holds its assignment (as kafkajs's run), so what follows sees the group Stable. Rejects if
   * the consumer fails before that; resolves early if it is stopped meanwhile.
   */
  async run(options: RunOptions = {}): Promise<void> {
    this.ensureUsable();
    const state = this.state;
    if (state.running) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'the consumer is already running');
    const runOptions = resolveRunOptions(options);
    if (state.subscriptions.length === 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'subscribe before run');
    state.runOptions = runOptions;
    state.running = true;
    state.needsJoin = true;
    state.status = 'joining';
    state.restarts = 0;
    this.runner.startWatchdog();
    const joined = new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown) => {
        this.off('consumer.group_join', onJoin);
        this.off('consumer.crash', onCrash);
        this.off('consumer.stop', onStop);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onJoin = () => settle();
      const onStop = () => settle();
      const onCrash = (event: { error: unknown; restart: boolean }) => {
        if (!event.restart) settle(event.error);
      };
      this.on('consumer.group_join', onJoin);
      this.on('consumer.crash', onCrash);
      this.on('consumer.stop', onStop);
    });
    this.loop = this.fetchLoop.run().catch((err) => this.fail(err));
    await joined;
  }

  /** Batches as an async iterator; the next batch is fetched when the loop asks for it (consumer/iterator.ts). */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return batchIterator(this, () => this.state.running);
  }

  /** Commits the given offsets (the next offset to consume, as Kafka). Errors reach the caller. */
  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string | number }>): Promise<void> {
    this.ensureUsable();
    const checked = array(offsets, 'offsets').map((o, i) => {
      object(o, `offsets[${i}]`);
      return { topic: nonEmptyString(o.topic, `offsets[${i}].topic`), partition: integer(o.partition, `offsets[${i}].partition`), offset: checkOffset(o.offset, `offsets[${i}].offset`) };
    });
    await this.commits.commitOffsets(checked);
    for (const o of offsets) {
      const c = this.state.cursors.get(partitionKey(o.topic, o.partition));
      if (c) c.committed = Number(o.offset);
    }
  }

  /** Moves the position of an assigned partition (or of one assigned later). */
  seek(options: { topic: string; partition: number; offset: string | number }): void {
    this.ensureUsable();
    const { topic, partition, offset } = object(options, 'seek options');
    nonEmptyString(topic, 'topic');
    integer(partition, 'partition');
    const target = checkOffset(offset, 'offset');
    const broker = this.state.broker;
    if (!broker.hasTopic(topic) || partition >= broker.partitionCount(topic)) {
      throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    this.positions.seek(topic, partition, target);
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    checkTopicPartitionsList(topics);
    this.positions.pause(topics);
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    checkTopicPartitionsList(topics);
    this.positions.resume(topics);
  }

  paused(): Array<{ topic: string; partitions: number[] }> {
    return this.positions.paused();
  }

  /** Partitions assigned to this member now. */
  assignment(): TopicPartition[] {
    return this.membership.assignment();
  }

  /** Per assigned partition: position, log end and the records still to consume. */
  lag(): Array<TopicPartition & { position: number; logEndOffset: number; lag: number }> {
    const broker = this.state.broker;
    return [...this.state.cursors.values()].map((c) => {
      const { highWatermark } = broker.offsets(c.topic, c.partition);
      return { topic: c.topic, partition: c.partition, position: c.position, logEndOffset: highWatermark, lag: Math.max(0, highWatermark - c.position) };
    });
  }

  health(): ConsumerHealth {
    const state = this.state;
    return {
      status: state.status,
      memberId: state.memberId,
      generationId: state.generationId,
      assignment: this.assignment(),
      stalledPartition: state.stalled ? { ...state.stalled } : undefined,
      lastError: state.lastError,
      restarts: state.restarts,
    };
  }

  /** Stops consuming: commits positions (auto-commit), leaves the group. The consumer can run again. */
  async stop(): Promise<void> {
    const state = this.state;
    if (!state.running) return;
    state.running = false;
    this.membership.stopHeartbeats();
    this.runner.stopWatchdog();
    state.wakeLoop();
    // The loop may be parked in a join whose timers are unref()'d: keep the process alive
    // until it returns, or a script ending with `await skein.close()` would exit mid-stop.
    const keepAlive = setInterval(() => undefined, 1_000);
    try {
      await this.loop?.catch(() => undefined);
    } finally {
      clearInterval(keepAlive);
    }
    if (!state.broker.closed) {
      if (state.runOptions?.autoCommit) await this.commits.commitCursors([...state.cursors.values()]).catch(() => undefined);
      if (state.memberId) await this.membership.leave(true).catch(() => undefined);
    }
    state.cursors.clear();
    state.memberId = '';
    state.generationId = -1;
    if (state.status !== 'failed') state.status = 'stopped';
    this.emit('consumer.stop');
  }

  async disconnect(): Promise<void> {
    const state = this.state;
    if (state.disconnected) return;
    await this.stop();
    state.disconnected = true;
    this.emit('consumer.disconnect');
  }

  private fail(err: unknown): void {
    const state = this.state;
    state.lastError = err as Error;
    state.status = 'failed';
    state.running = false;
    this.membership.stopHeartbeats();
    this.runner.stopWatchdog();
    // Leave so the group reassigns this member's partitions at once instead of after the session timeout.
    if (!state.broker.closed && state.memberId) this.membership.leave(false).catch(() => undefined);
    this.emit('consumer.crash', { error: err, groupId: state.config.groupId, restart: false, restarts: state.restarts });
  }

  private ensureUsable(): void {
    if (this.state.disconnected) throw new SkeinError('SKEIN_DISCONNECTED', 'the consumer is disconnected');
    if (this.state.broker.closed) throw new SkeinError('SKEIN_DISCONNECTED', 'the broker is closed');
  }
}
