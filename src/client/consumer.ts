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
 */
import { EventEmitter } from 'node:events';
import { SkeinError } from '../errors.js';
import type { Broker } from '../broker/broker.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type FetchPartitionResult, type TopicPartition } from '../broker/types.js';
import { iterateBatches } from '../records/record-iterator.js';
import { readBaseOffset, readLastOffsetDelta } from '../records/batch-header.js';
import { BatchMessages, type ConsumedMessage, type KafkaMessage } from './consumed-message.js';
import { startDecompressions } from './pooled-decompression.js';
import { batchIterator } from './consumer-iterator.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../broker/group/consumer-protocol.js';
import { assignorByName, type Assignor } from './assignors.js';
import { array, integer, nonEmptyString, object, offset as checkOffset, optionalBoolean, optionalFunction, optionalInteger, string, stringArray } from './arguments.js';

export type { KafkaMessage } from './consumed-message.js';
export type { Batch, BatchRecords, ConsumerHealth, ConsumerOptions, ConsumerStatus, EachBatchPayload, EachMessagePayload, RunOptions } from './consumer-types.js';
import type { Batch, ConsumerHealth, ConsumerOptions, ConsumerStatus, RunOptions, PartitionCursor } from './consumer-types.js';
import { batchEntry, deliverableRecords, DeliveredBatch, lastRecordOffset, type BatchEntry } from './delivered-batch.js';

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** The most messages one eachBatch call gets (see deliverPartition). */
const MAX_BATCH_MESSAGES = 4096;

export class Consumer extends EventEmitter {
  private readonly broker: Broker;
  private readonly groupId: string;
  private readonly clientId: string;
  private readonly groupInstanceId: string | null;
  private readonly sessionTimeout: number;
  private readonly rebalanceTimeout: number;
  private readonly heartbeatInterval: number;
  private readonly maxBytesPerPartition: number;
  private readonly minBytes: number;
  private readonly maxBytes: number;
  private readonly maxWaitTimeInMs: number;
  private readonly allowAutoTopicCreation: boolean;
  private readonly assignors: Assignor[];
  private readonly handlerTimeoutMs: number;
  private readonly maxRestarts: number;
  private readonly retryBackoffMs: number;
  private autoOffsetReset: 'earliest' | 'latest';

  private readonly subscriptions: Array<string | RegExp> = [];
  private readonly cursors = new Map<string, PartitionCursor>();
  private readonly pausedKeys = new Set<string>();
  private readonly pendingSeeks = new Map<string, number>();
  private memberId = '';
  private generationId = -1;
  private protocolName = '';
  private needsJoin = true;
  private running = false;
  private disconnected = false;
  private status: ConsumerStatus = 'idle';
  private restarts = 0;
  private lastError: Error | undefined;
  private stalled: ConsumerHealth['stalledPartition'];
  private loop: Promise<void> | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private fetchAbort: AbortController | undefined;
  /** Handler calls in progress, for the stall watchdog. */
  private readonly runningHandlers = new Map<PartitionCursor, { offset: number; started: number }>();
  private watchdog: NodeJS.Timeout | undefined;
  private runOptions: Required<Omit<RunOptions, 'eachMessage' | 'eachBatch'>> & Pick<RunOptions, 'eachMessage' | 'eachBatch'> | undefined;
  private processedSinceCommit = 0;
  private lastCommitAt = Date.now();

  constructor(broker: Broker, options: ConsumerOptions) {
    super();
    if (!options || typeof options.groupId !== 'string' || options.groupId.length === 0) {
      throw new SkeinError('SKEIN_INVALID_GROUP_ID', 'a consumer needs a non-empty groupId');
    }
    checkConsumerOptions(options);
    this.broker = broker;
    this.groupId = options.groupId;
    this.clientId = options.clientId ?? 'skein';
    this.groupInstanceId = options.groupInstanceId ?? null;
    this.sessionTimeout = options.sessionTimeout ?? 30_000;
    this.rebalanceTimeout = options.rebalanceTimeout ?? 60_000;
    this.heartbeatInterval = options.heartbeatInterval ?? 3_000;
    this.maxBytesPerPartition = options.maxBytesPerPartition ?? 1024 * 1024;
    this.minBytes = options.minBytes ?? 1;
    this.maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.maxWaitTimeInMs = options.maxWaitTimeInMs ?? 5_000;
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
    this.assignors = (options.partitionAssigners ?? ['cooperative-sticky']).map(assignorByName);
    if (this.assignors.length === 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'partitionAssigners cannot be empty');
    this.autoOffsetReset = options.autoOffsetReset ?? 'latest';
    this.handlerTimeoutMs = options.handlerTimeoutMs ?? 60_000;
    this.maxRestarts = options.maxRestarts ?? 5;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    for (const [name, value] of Object.entries({ sessionTimeout: this.sessionTimeout, heartbeatInterval: this.heartbeatInterval, maxBytes: this.maxBytes })) {
      if (!Number.isFinite(value) || value <= 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `${name} must be a positive number, got ${String(value)}`);
    }
  }

  /** Nothing to connect in process; kept so kafkajs code runs unchanged. */
  async connect(): Promise<void> {
    this.ensureUsable();
  }

  /** Adds topics (names or a RegExp matched against existing topics at each rebalance). */
  async subscribe(options: { topics?: Array<string | RegExp>; topic?: string | RegExp; fromBeginning?: boolean }): Promise<void> {
    this.ensureUsable();
    if (this.running) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'subscribe before run (or stop the consumer first)');
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
      if (typeof topic === 'string') await this.broker.ensureTopic(topic, this.allowAutoTopicCreation);
      else if (!(topic instanceof RegExp)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'a subscription is a topic name or a RegExp');
      this.subscriptions.push(topic);
    }
    if (options.fromBeginning) this.autoOffsetReset = 'earliest';
  }

  /**
   * Starts consuming in the background; resolves once this member has joined the group and
   * holds its assignment (as kafkajs's run), so what follows sees the group Stable. Rejects if
   * the consumer fails before that; resolves early if it is stopped meanwhile.
   */
  async run(options: RunOptions = {}): Promise<void> {
    this.ensureUsable();
    if (this.running) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'the consumer is already running');
    object(options, 'run options');
    optionalFunction(options.eachMessage, 'eachMessage');
    optionalFunction(options.eachBatch, 'eachBatch');
    optionalBoolean(options.autoCommit, 'autoCommit');
    optionalBoolean(options.eachBatchAutoResolve, 'eachBatchAutoResolve');
    if (options.autoCommitInterval !== null) optionalInteger(options.autoCommitInterval, 'autoCommitInterval');
    if (options.autoCommitThreshold !== null) optionalInteger(options.autoCommitThreshold, 'autoCommitThreshold', 1);
    optionalInteger(options.partitionsConsumedConcurrently, 'partitionsConsumedConcurrently', 1);
    if (!options.eachMessage && !options.eachBatch) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'run needs eachMessage or eachBatch');
    if (this.subscriptions.length === 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'subscribe before run');
    this.runOptions = {
      eachMessage: options.eachMessage,
      eachBatch: options.eachBatch,
      autoCommit: options.autoCommit ?? true,
      autoCommitInterval: options.autoCommitInterval === undefined ? 5_000 : options.autoCommitInterval,
      autoCommitThreshold: options.autoCommitThreshold ?? null,
      eachBatchAutoResolve: options.eachBatchAutoResolve ?? true,
      partitionsConsumedConcurrently: Math.max(1, options.partitionsConsumedConcurrently ?? 1),
    };
    this.running = true;
    this.needsJoin = true;
    this.status = 'joining';
    this.restarts = 0;
    this.startWatchdog();
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
    this.loop = this.mainLoop().catch((err) => this.fail(err));
    await joined;
  }

  /** Batches as an async iterator; the next batch is fetched when the loop asks for it (consumer-iterator.ts). */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return batchIterator(this, () => this.running);
  }

  /* ------------------------------ group membership ------------------------------ */

  private async mainLoop(): Promise<void> {
    this.startHeartbeats();
    while (this.running) {
      if (this.needsJoin) {
        try {
          await this.joinAndSync();
        } catch (err) {
          if (!this.running) break;
          this.handleGroupError(err);
          await sleep(this.retryBackoffMs);
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
      if (!this.fetchAbort || this.fetchAbort.signal.aborted) this.fetchAbort = new AbortController();
      let result;
      try {
        result = await this.broker.fetch({
          partitions: request,
          maxWaitMs: this.maxWaitTimeInMs,
          minBytes: this.minBytes,
          maxBytes: this.maxBytes,
          signal: this.fetchAbort.signal,
        });
      } catch (err) {
        if (!this.running || this.broker.closed) break;
        throw err;
      }
      await this.deliverAll(result.partitions);
      await this.maybeAutoCommit();
    }
  }

  private waitForWork(): Promise<void> {
    return new Promise((resolve) => {
      // One listener per wait, removed whichever way the wait ends (an idle member waits often).
      const wake = () => {
        clearTimeout(timer);
        this.off('skein.wake', wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.min(this.heartbeatInterval, 500));
      this.on('skein.wake', wake);
    });
  }

  private wakeLoop(): void {
    this.fetchAbort?.abort();
    this.emit('skein.wake');
  }

  private get rebalanceProtocol(): 'eager' | 'cooperative' {
    const chosen = this.assignors.find((a) => a.name === this.protocolName) ?? this.assignors[0]!;
    return chosen.rebalanceProtocol;
  }

  private async subscribedTopics(): Promise<string[]> {
    const all = this.broker.listTopics();
    const topics = new Set<string>();
    for (const s of this.subscriptions) {
      if (typeof s === 'string') {
        await this.broker.ensureTopic(s, this.allowAutoTopicCreation);
        topics.add(s);
      } else {
        for (const t of all) if (s.test(t)) topics.add(t);
      }
    }
    return [...topics].sort();
  }

  private async joinAndSync(): Promise<void> {
    this.status = 'joining';
    this.needsJoin = false;
    if (this.rebalanceProtocol === 'eager' && this.cursors.size > 0) {
      // Eager protocols give every partition back before rejoining.
      await this.revoke([...this.cursors.values()]);
    }
    const topics = await this.subscribedTopics();
    const owned = this.ownedPartitions();
    const protocols = this.assignors.map((assignor) => ({
      name: assignor.name,
      metadata: encodeSubscription({
        version: assignor.subscriptionVersion,
        topics,
        userData: null,
        ownedPartitions: assignor.rebalanceProtocol === 'cooperative' ? owned : [],
        generationId: this.generationId,
        rackId: null,
      }),
    }));
    const joined = await this.broker.groups.joinGroup({
      groupId: this.groupId,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      sessionTimeoutMs: this.sessionTimeout,
      rebalanceTimeoutMs: this.rebalanceTimeout,
      protocolType: 'consumer',
      protocols,
      requireKnownMemberId: false,
      clientId: this.clientId,
      clientHost: 'embedded',
    });
    this.memberId = joined.memberId;
    this.generationId = joined.generationId;
    this.protocolName = joined.protocolName;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (joined.leader === joined.memberId) assignments = this.computeAssignments(joined.protocolName, joined.members);
    const synced = await this.broker.groups.syncGroup({
      groupId: this.groupId,
      generationId: joined.generationId,
      memberId: joined.memberId,
      groupInstanceId: this.groupInstanceId,
      protocolType: 'consumer',
      protocolName: joined.protocolName,
      assignments,
    });
    const assigned = synced.assignment.length > 0 ? decodeAssignment(synced.assignment).assignedPartitions : [];
    await this.applyAssignment(assigned.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition }))));
    this.status = 'consuming';
    this.emit('consumer.group_join', {
      groupId: this.groupId,
      memberId: this.memberId,
      leaderId: joined.leader,
      isLeader: joined.leader === joined.memberId,
      generationId: this.generationId,
      groupProtocol: this.protocolName,
      memberAssignment: this.assignment(),
    });
  }

  /** The leader's job in Kafka's classic protocol: run the chosen assignor over every member's subscription. */
  private computeAssignments(protocolName: string, members: Array<{ memberId: string; metadata: Buffer }>) {
    const assignor = this.assignors.find((a) => a.name === protocolName);
    if (!assignor) throw new SkeinError('SKEIN_INCONSISTENT_GROUP_PROTOCOL', `this consumer has no assignor ${protocolName}`);
    const decoded = members.map((m) => ({ memberId: m.memberId, subscription: decodeSubscription(m.metadata) }));
    const partitionsPerTopic = new Map<string, number>();
    for (const { subscription } of decoded) {
      for (const topic of subscription.topics) {
        if (this.broker.hasTopic(topic)) partitionsPerTopic.set(topic, this.broker.partitionCount(topic));
      }
    }
    const plan = assignor.assign(decoded, partitionsPerTopic);
    return decoded.map((m) => ({
      memberId: m.memberId,
      assignment: encodeAssignment({ version: assignor.assignmentVersion, assignedPartitions: plan.get(m.memberId) ?? [], userData: null }),
    }));
  }

  private async applyAssignment(assigned: TopicPartition[]): Promise<void> {
    const wanted = new Set(assigned.map((tp) => key(tp.topic, tp.partition)));
    const revoked = [...this.cursors.values()].filter((c) => !wanted.has(c.key));
    if (revoked.length > 0) {
      await this.revoke(revoked);
      // Cooperative protocol: partitions given up are assigned to others in a follow-up rebalance.
      if (this.rebalanceProtocol === 'cooperative') this.needsJoin = true;
    }
    const added = assigned.filter((tp) => !this.cursors.has(key(tp.topic, tp.partition)));
    if (added.length > 0) {
      const committed = await this.broker.groups.fetchOffsets({ groupId: this.groupId, partitions: added });
      for (const tp of added) {
        const k = key(tp.topic, tp.partition);
        const c = committed.find((o) => o.topic === tp.topic && o.partition === tp.partition);
        const start = this.pendingSeeks.get(k) ?? (c && c.offset >= 0 ? c.offset : this.resetOffset(tp.topic, tp.partition));
        this.pendingSeeks.delete(k);
        this.cursors.set(k, { topic: tp.topic, partition: tp.partition, key: k, position: start, committed: c?.offset ?? -1, seekEpoch: 0 });
      }
      this.emit('consumer.assigned', added);
    }
  }

  private resetOffset(topic: string, partition: number): number {
    return this.broker.listOffsets(topic, partition, this.autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP).offset;
  }

  /** Commits the positions of partitions being given up (when auto-committing), then forgets them. */
  private async revoke(cursors: PartitionCursor[]): Promise<void> {
    if (this.runOptions?.autoCommit) {
      try {
        await this.commitCursors(cursors);
      } catch (err) {
        // The generation may be gone already; the next owner starts from the last commit.
        this.lastError = err as Error;
      }
    }
    for (const c of cursors) this.cursors.delete(c.key);
    this.emit('consumer.revoked', cursors.map((c) => ({ topic: c.topic, partition: c.partition })));
  }

  private ownedPartitions(): Array<{ topic: string; partitions: number[] }> {
    const byTopic = new Map<string, number[]>();
    for (const c of this.cursors.values()) {
      const list = byTopic.get(c.topic) ?? [];
      list.push(c.partition);
      byTopic.set(c.topic, list);
    }
    return [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  }

  private startHeartbeats(): void {
    const beat = async () => {
      if (!this.running) return;
      if (!this.needsJoin && this.generationId >= 0 && this.status !== 'joining') {
        try {
          await this.broker.groups.heartbeat({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId });
        } catch (err) {
          if (this.running) this.handleGroupError(err);
        }
      }
      if (this.running) this.heartbeatTimer = setTimeout(beat, this.heartbeatInterval);
    };
    this.heartbeatTimer = setTimeout(beat, this.heartbeatInterval);
  }

  /** Group errors that mean "rejoin" set the flag and wake the loop; others are recorded. */
  private handleGroupError(err: unknown): void {
    const code = err instanceof SkeinError ? err.code : undefined;
    if (code === 'SKEIN_UNKNOWN_MEMBER_ID' || code === 'SKEIN_FENCED_INSTANCE_ID') {
      this.memberId = '';
      this.generationId = -1;
    }
    if (code === 'SKEIN_REBALANCE_IN_PROGRESS' || code === 'SKEIN_UNKNOWN_MEMBER_ID' || code === 'SKEIN_ILLEGAL_GENERATION' || code === 'SKEIN_FENCED_INSTANCE_ID') {
      if (code !== 'SKEIN_REBALANCE_IN_PROGRESS' && this.rebalanceProtocol === 'cooperative') {
        // Lost membership: partitions may already belong to others; drop them without committing.
        this.cursors.clear();
      }
      this.needsJoin = true;
      this.emit('consumer.rebalancing', { groupId: this.groupId, memberId: this.memberId });
      this.wakeLoop();
      return;
    }
    if (code === 'SKEIN_CLOSED' || this.broker.closed) {
      this.running = false;
      this.status = 'stopped';
      this.wakeLoop();
      return;
    }
    this.lastError = err as Error;
    this.needsJoin = true;
  }

  /* ---------------------------------- fetching ---------------------------------- */

  private fetchablePartitions() {
    const out = [];
    for (const c of this.cursors.values()) {
      if (this.pausedKeys.has(c.key)) continue;
      out.push({ topic: c.topic, partition: c.partition, fetchOffset: c.position, maxBytes: this.maxBytesPerPartition });
    }
    return out;
  }

  private async deliverAll(results: FetchPartitionResult[]): Promise<void> {
    const work = results.filter((r) => r.bytes > 0 || r.error);
    const concurrency = this.runOptions!.partitionsConsumedConcurrently;
    let next = 0;
    const worker = async () => {
      while (next < work.length && this.running && !this.needsJoin) {
        const r = work[next++]!;
        await this.deliverPartition(r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  }

  private async deliverPartition(result: FetchPartitionResult): Promise<void> {
    const cursor = this.cursors.get(key(result.topic, result.partition));
    if (!cursor) return;
    if (result.error) {
      if (result.error.code === 'SKEIN_OFFSET_OUT_OF_RANGE') {
        cursor.position = this.resetOffset(cursor.topic, cursor.partition);
      } else if (result.error.code === 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION') {
        this.needsJoin = true;
      }
      return;
    }
    const epoch = cursor.seekEpoch;
    const options = this.runOptions!;
    const stillOwned = () => this.running && this.cursors.get(cursor.key) === cursor && cursor.seekEpoch === epoch && !this.pausedKeys.has(cursor.key);
    // eachBatch gets runs of record batches of at most about MAX_BATCH_MESSAGES records (a
    // fetch of megabytes would otherwise hand out tens of thousands of messages at once, which
    // outlive the young generation: GC-bound). Its messages are made only if it reads them.
    let slice: BatchEntry[] = [];
    let sliceCount = 0;
    // Large compressed batches are decompressed on the partition's worker, all of this fetch's
    // at once (the lane keeps their order) while the ones before them are delivered.
    const decompressed = startDecompressions(this.broker.workerPool, cursor.key, result.records, cursor.position);
    // A compacted log has batches whose last records (or all records) were cleaned away: the
    // batch still covers its offset range, and once every record handed out was consumed the
    // position moves past the range, or the next fetch would return the same batch forever.
    let batchesEnd = cursor.position;
    let recordsEnd = cursor.position;
    for (const view of result.records) {
      for (const batch of iterateBatches(view)) {
        const batchLast = readBaseOffset(batch, 0) + readLastOffsetDelta(batch, 0);
        if (batchLast < cursor.position) continue;
        batchesEnd = Math.max(batchesEnd, batchLast + 1);
        const pending = decompressed?.get(readBaseOffset(batch, 0));
        const entry = batchEntry(batch, cursor.position, pending ? await pending : undefined);
        if (options.eachBatch) {
          // Nothing runs between the batches of one slice, so ownership is checked per batch.
          if (!stillOwned()) return;
          const count = deliverableRecords(entry);
          if (count === 0) continue;
          slice.push(entry);
          sliceCount += count;
          recordsEnd = lastRecordOffset(entry) + 1;
          if (sliceCount >= MAX_BATCH_MESSAGES) {
            await this.deliverBatch(cursor, result, slice, sliceCount);
            slice = [];
            sliceCount = 0;
          }
          continue;
        }
        const messages = new BatchMessages(entry.batch, entry.fromOffset, entry.section);
        for (let message = messages.next(); message !== undefined; message = messages.next()) {
          recordsEnd = message.offsetNumber + 1;
          if (!stillOwned()) return;
          const offset = message.offsetNumber;
          await this.runHandler(cursor, offset, () =>
            options.eachMessage!({
              topic: cursor.topic,
              partition: cursor.partition,
              message,
              heartbeat: () => this.heartbeatNow(),
              pause: () => this.pauseOne(cursor),
            }),
          );
          if (cursor.seekEpoch !== epoch) return;
          cursor.position = offset + 1;
          this.processedSinceCommit += 1;
          await this.maybeAutoCommit();
        }
      }
    }
    if (slice.length > 0 && stillOwned()) await this.deliverBatch(cursor, result, slice, sliceCount);
    if (stillOwned() && cursor.position >= recordsEnd && batchesEnd > cursor.position) cursor.position = batchesEnd;
  }

  private async deliverBatch(cursor: PartitionCursor, result: FetchPartitionResult, entries: BatchEntry[], count: number): Promise<void> {
    const options = this.runOptions!;
    const epoch = cursor.seekEpoch;
    let resolved = cursor.position - 1;
    const batch = new DeliveredBatch(cursor.topic, cursor.partition, result.highWatermark, entries, count);
    const stillOwned = () => this.running && this.cursors.get(cursor.key) === cursor && cursor.seekEpoch === epoch && !this.pausedKeys.has(cursor.key);
    await this.runHandler(cursor, batch.firstOffsetNumber(), () =>
      options.eachBatch!({
        batch,
        resolveOffset: (offset) => {
          resolved = Math.max(resolved, Number(offset));
          if (cursor.seekEpoch === epoch) cursor.position = Math.max(cursor.position, resolved + 1);
        },
        heartbeat: () => this.heartbeatNow(),
        commitOffsetsIfNecessary: () => this.maybeAutoCommit(),
        isRunning: () => this.running,
        isStale: () => !stillOwned(),
        pause: () => this.pauseOne(cursor),
      }),
    );
    if (cursor.seekEpoch !== epoch) return;
    if (options.eachBatchAutoResolve) cursor.position = Math.max(cursor.position, lastRecordOffset(entries[entries.length - 1]!) + 1);
    this.processedSinceCommit += count;
  }

  /**
   * Runs one handler call: watches for a stall, and on a throw retries the same call with
   * backoff up to maxRestarts times in a row before failing the consumer.
   */
  private async runHandler(cursor: PartitionCursor, offset: number, call: () => Promise<void> | void): Promise<void> {
    for (;;) {
      this.runningHandlers.set(cursor, { offset, started: Date.now() });
      try {
        await call();
        this.restarts = 0;
        return;
      } catch (err) {
        this.lastError = err as Error;
        this.restarts += 1;
        const giveUp = this.restarts > this.maxRestarts;
        // The last failure is reported by fail(), once the status says 'failed'.
        if (!giveUp) this.emit('consumer.crash', { error: err, groupId: this.groupId, topic: cursor.topic, partition: cursor.partition, offset, restart: true, restarts: this.restarts });
        if (giveUp) throw new SkeinError('SKEIN_CONSUMER_STALLED', `the handler failed ${this.restarts} times in a row at ${cursor.topic}[${cursor.partition}] offset ${offset}`, { cause: err, topic: cursor.topic, partition: cursor.partition, offset });
        await sleep(this.retryBackoffMs * 2 ** Math.min(this.restarts - 1, 10));
        if (!this.running || this.cursors.get(cursor.key) !== cursor) return;
      } finally {
        this.runningHandlers.delete(cursor);
        if (this.status === 'stalled' && !this.anyHandlerStalled()) {
          this.status = 'consuming';
          this.stalled = undefined;
        }
      }
    }
  }

  /**
   * One timer per running consumer watches every handler call in progress (a timer per call
   * cost about a microsecond per message in eachMessage mode).
   */
  private startWatchdog(): void {
    this.watchdog = setInterval(() => {
      const now = Date.now();
      for (const [cursor, { offset, started }] of this.runningHandlers) {
        const runningMs = now - started;
        if (runningMs < this.handlerTimeoutMs) continue;
        this.stalled = { topic: cursor.topic, partition: cursor.partition, offset, runningMs };
        if (this.status !== 'stalled') {
          this.status = 'stalled';
          this.emit('consumer.stalled', { ...this.stalled });
        }
        return;
      }
    }, Math.max(10, Math.min(1000, this.handlerTimeoutMs / 2)));
    this.watchdog.unref();
  }

  private anyHandlerStalled(): boolean {
    const now = Date.now();
    for (const { started } of this.runningHandlers.values()) if (now - started >= this.handlerTimeoutMs) return true;
    return false;
  }

  private async heartbeatNow(): Promise<void> {
    if (this.generationId < 0 || this.needsJoin) return;
    try {
      await this.broker.groups.heartbeat({ groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId });
    } catch (err) {
      this.handleGroupError(err);
    }
  }

  /* ---------------------------------- offsets ---------------------------------- */

  private async maybeAutoCommit(): Promise<void> {
    const options = this.runOptions;
    if (!options?.autoCommit) return;
    const byThreshold = options.autoCommitThreshold !== null && this.processedSinceCommit >= options.autoCommitThreshold;
    const byInterval = options.autoCommitInterval !== null && Date.now() - this.lastCommitAt >= options.autoCommitInterval;
    if (!byThreshold && !byInterval) return;
    try {
      await this.commitCursors([...this.cursors.values()]);
    } catch (err) {
      this.handleGroupError(err);
    }
  }

  private async commitCursors(cursors: PartitionCursor[]): Promise<void> {
    const changed = cursors.filter((c) => c.position !== c.committed);
    this.lastCommitAt = Date.now();
    this.processedSinceCommit = 0;
    if (changed.length === 0 || this.generationId < 0) return;
    const positions = changed.map((c) => c.position);
    await this.broker.groups.commitOffsets({
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      offsets: changed.map((c, i) => ({ topic: c.topic, partition: c.partition, offset: positions[i]! })),
    });
    changed.forEach((c, i) => (c.committed = positions[i]!));
    this.emit('consumer.commit_offsets', { groupId: this.groupId, topics: changed.map((c, i) => ({ topic: c.topic, partition: c.partition, offset: String(positions[i]) })) });
  }

  /** Commits the given offsets (the next offset to consume, as Kafka). Errors reach the caller. */
  async commitOffsets(offsets: Array<{ topic: string; partition: number; offset: string | number }>): Promise<void> {
    this.ensureUsable();
    const checked = array(offsets, 'offsets').map((o, i) => {
      object(o, `offsets[${i}]`);
      return { topic: nonEmptyString(o.topic, `offsets[${i}].topic`), partition: integer(o.partition, `offsets[${i}].partition`), offset: checkOffset(o.offset, `offsets[${i}].offset`) };
    });
    await this.broker.groups.commitOffsets({
      groupId: this.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      offsets: checked,
    });
    for (const o of offsets) {
      const c = this.cursors.get(key(o.topic, o.partition));
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
    if (!this.broker.hasTopic(topic) || partition >= this.broker.partitionCount(topic)) {
      throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${partition}`, { topic, partition });
    }
    const c = this.cursors.get(key(topic, partition));
    if (!c) {
      this.pendingSeeks.set(key(topic, partition), target);
      return;
    }
    c.position = target;
    c.seekEpoch += 1;
    this.wakeLoop();
  }

  pause(topics: Array<{ topic: string; partitions?: number[] }>): void {
    checkTopicPartitionsList(topics);
    for (const { topic, partitions } of topics) {
      const list = partitions ?? [...this.cursors.values()].filter((c) => c.topic === topic).map((c) => c.partition);
      for (const p of list) this.pausedKeys.add(key(topic, p));
    }
    this.wakeLoop();
  }

  resume(topics: Array<{ topic: string; partitions?: number[] }>): void {
    checkTopicPartitionsList(topics);
    for (const { topic, partitions } of topics) {
      for (const k of [...this.pausedKeys]) {
        const [t, p] = k.split('\u0000');
        if (t === topic && (!partitions || partitions.includes(Number(p)))) this.pausedKeys.delete(k);
      }
    }
    this.wakeLoop();
  }

  paused(): Array<{ topic: string; partitions: number[] }> {
    const byTopic = new Map<string, number[]>();
    for (const k of this.pausedKeys) {
      const [t, p] = k.split('\u0000') as [string, string];
      byTopic.set(t, [...(byTopic.get(t) ?? []), Number(p)]);
    }
    return [...byTopic.entries()].map(([topic, partitions]) => ({ topic, partitions }));
  }

  private pauseOne(cursor: PartitionCursor): () => void {
    this.pausedKeys.add(cursor.key);
    return () => this.resume([{ topic: cursor.topic, partitions: [cursor.partition] }]);
  }

  /** Partitions assigned to this member now. */
  assignment(): TopicPartition[] {
    return [...this.cursors.values()].map((c) => ({ topic: c.topic, partition: c.partition }));
  }

  /** Per assigned partition: position, log end and the records still to consume. */
  lag(): Array<TopicPartition & { position: number; logEndOffset: number; lag: number }> {
    return [...this.cursors.values()].map((c) => {
      const { highWatermark } = this.broker.offsets(c.topic, c.partition);
      return { topic: c.topic, partition: c.partition, position: c.position, logEndOffset: highWatermark, lag: Math.max(0, highWatermark - c.position) };
    });
  }

  health(): ConsumerHealth {
    return {
      status: this.status,
      memberId: this.memberId,
      generationId: this.generationId,
      assignment: this.assignment(),
      stalledPartition: this.stalled ? { ...this.stalled } : undefined,
      lastError: this.lastError,
      restarts: this.restarts,
    };
  }

  /** Stops consuming: commits positions (auto-commit), leaves the group. The consumer can run again. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    this.wakeLoop();
    // The loop may be parked in a join whose timers are unref()'d: keep the process alive
    // until it returns, or a script ending with `await skein.close()` would exit mid-stop.
    const keepAlive = setInterval(() => undefined, 1_000);
    try {
      await this.loop?.catch(() => undefined);
    } finally {
      clearInterval(keepAlive);
    }
    if (!this.broker.closed) {
      if (this.runOptions?.autoCommit) await this.commitCursors([...this.cursors.values()]).catch(() => undefined);
      if (this.memberId) {
        await this.broker.groups
          .leaveGroup({ groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: this.groupInstanceId }] })
          .catch(() => undefined);
      }
    }
    this.cursors.clear();
    this.memberId = '';
    this.generationId = -1;
    if (this.status !== 'failed') this.status = 'stopped';
    this.emit('consumer.stop');
  }

  async disconnect(): Promise<void> {
    if (this.disconnected) return;
    await this.stop();
    this.disconnected = true;
    this.emit('consumer.disconnect');
  }

  private fail(err: unknown): void {
    this.lastError = err as Error;
    this.status = 'failed';
    this.running = false;
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    if (!this.broker.closed && this.memberId) {
      // Leave so the group reassigns this member's partitions at once instead of after the session timeout.
      this.broker.groups.leaveGroup({ groupId: this.groupId, members: [{ memberId: this.memberId }] }).catch(() => undefined);
    }
    this.emit('consumer.crash', { error: err, groupId: this.groupId, restart: false, restarts: this.restarts });
  }

  private ensureUsable(): void {
    if (this.disconnected) throw new SkeinError('SKEIN_DISCONNECTED', 'the consumer is disconnected');
    if (this.broker.closed) throw new SkeinError('SKEIN_DISCONNECTED', 'the broker is closed');
  }
}

/**
 * A consumed record in kafkajs's shape. Offsets and timestamps are decimal strings there, and
 * headers an object: building those for every record cost more than decoding it, so they are
 * computed when first read (most handlers read value and maybe key only).
 */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** pause()/resume() take [{ topic, partitions? }]. */
function checkTopicPartitionsList(topics: Array<{ topic: string; partitions?: number[] }>): void {
  array(topics, 'topics').forEach((t, i) => {
    object(t, `topics[${i}]`);
    nonEmptyString(t.topic, `topics[${i}].topic`);
    if (t.partitions !== undefined) array(t.partitions, `topics[${i}].partitions`).forEach((p, j) => integer(p, `topics[${i}].partitions[${j}]`));
  });
}

/** Types and ranges of the consumer options (groupId is checked by the constructor itself). */
function checkConsumerOptions(options: ConsumerOptions): void {
  if (options.clientId !== undefined) string(options.clientId, 'clientId');
  if (options.groupInstanceId !== undefined) nonEmptyString(options.groupInstanceId, 'groupInstanceId');
  for (const name of ['sessionTimeout', 'rebalanceTimeout', 'heartbeatInterval', 'maxBytesPerPartition', 'minBytes', 'maxBytes', 'handlerTimeoutMs'] as const) {
    optionalInteger(options[name], name, 1);
  }
  for (const name of ['maxWaitTimeInMs', 'maxRestarts', 'retryBackoffMs'] as const) optionalInteger(options[name], name, 0);
  optionalBoolean(options.allowAutoTopicCreation, 'allowAutoTopicCreation');
  if (options.partitionAssigners !== undefined) stringArray(options.partitionAssigners, 'partitionAssigners');
  if (options.autoOffsetReset !== undefined && options.autoOffsetReset !== 'earliest' && options.autoOffsetReset !== 'latest') {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `autoOffsetReset must be 'earliest' or 'latest', got ${String(options.autoOffsetReset)}`, { argument: 'autoOffsetReset' });
  }
}
