/**
 * The embedded consumer's vocabulary: its options, the payloads handed to eachMessage and
 * eachBatch, its health report, and the per-partition cursor the fetch loop keeps. Types only;
 * consumer.ts re-exports the public ones.
 */
import type { TopicPartition } from '../../broker/types.js';
import type { KafkaMessage } from './consumed-message.js';

export interface EachMessagePayload {
  topic: string;
  partition: number;
  message: KafkaMessage;
  heartbeat(): Promise<void>;
  pause(): () => void;
}

export interface Batch {
  topic: string;
  partition: number;
  highWatermark: string;
  /** kafkajs's messages; made on first read (a handler that uses records() never pays for them). */
  readonly messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  offsetLag(): string;
  offsetLagLow(): string;
  /** Skein's own: the same records in place, nothing allocated per record (BatchRecords). */
  records(): BatchRecords;
}

/**
 * A cursor over the records of a Batch that allocates nothing per record: `next()` moves to
 * the next record (false after the last) and sets the fields below. Key and value are ranges
 * of `bytes`: `bytes.subarray(valueStart, valueStart + valueLength)` is the value (a length of
 * -1 is null). `bytes` may change from one record to the next (one buffer per record batch);
 * the bytes stay valid after the handler returns, like a message's value.
 */
export interface BatchRecords {
  next(): boolean;
  readonly offset: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  readonly attributes: number;
  readonly bytes: Buffer;
  readonly keyStart: number;
  readonly keyLength: number;
  readonly valueStart: number;
  readonly valueLength: number;
  /** Where the headers start in `bytes` and how many there are (read them through `messages` when needed). */
  readonly headersStart: number;
  readonly headerCount: number;
}

export interface EachBatchPayload {
  batch: Batch;
  /** Marks everything up to and including `offset` as processed. */
  resolveOffset(offset: string | number): void;
  heartbeat(): Promise<void>;
  commitOffsetsIfNecessary(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
  pause(): () => void;
}

export interface ConsumerOptions {
  groupId: string;
  clientId?: string;
  /** Static membership (group.instance.id). */
  groupInstanceId?: string;
  /** No heartbeat for this long and the member is removed. Default 30000. */
  sessionTimeout?: number;
  /** How long the group waits for members to rejoin. Default 60000. */
  rebalanceTimeout?: number;
  /** Default 3000. */
  heartbeatInterval?: number;
  /** Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Default 1. */
  minBytes?: number;
  /** Cap on the bytes fetched ahead: one fetch in flight, at most this big. Default 10 MiB. */
  maxBytes?: number;
  /** Long-poll wait. Default 5000. */
  maxWaitTimeInMs?: number;
  allowAutoTopicCreation?: boolean;
  /**
   * Assignor names in order of preference: 'cooperative-sticky' (default), 'range',
   * 'roundrobin', or kafkajs's 'RoundRobinAssigner' (to join groups of kafkajs consumers).
   */
  partitionAssigners?: string[];
  /** Where to start without a committed offset. Default 'latest' (Kafka), or earliest with fromBeginning. */
  autoOffsetReset?: 'earliest' | 'latest';
  /** A handler running longer than this raises 'consumer.stalled'. Default 60000. */
  handlerTimeoutMs?: number;
  /** Consecutive handler failures retried before the consumer gives up. Default 5. */
  maxRestarts?: number;
  /** First retry delay after a handler failure; doubles each time. Default 100. */
  retryBackoffMs?: number;
}

export interface RunOptions {
  eachMessage?: (payload: EachMessagePayload) => Promise<void> | void;
  eachBatch?: (payload: EachBatchPayload) => Promise<void> | void;
  /** Default true. */
  autoCommit?: boolean;
  /** Commit at most this often (ms). Default 5000. */
  autoCommitInterval?: number | null;
  /** Commit after this many processed messages. Default none. */
  autoCommitThreshold?: number | null;
  /** Default true: after eachBatch returns, the whole batch counts as processed. */
  eachBatchAutoResolve?: boolean;
  /** Partitions handled at the same time. Default 1. */
  partitionsConsumedConcurrently?: number;
}

export type ConsumerStatus = 'idle' | 'joining' | 'consuming' | 'stalled' | 'failed' | 'stopped';

export interface ConsumerHealth {
  status: ConsumerStatus;
  memberId: string;
  generationId: number;
  assignment: TopicPartition[];
  /** Set while a handler runs past handlerTimeoutMs. */
  stalledPartition?: TopicPartition & { offset: number; runningMs: number };
  lastError?: Error;
  restarts: number;
}

export interface PartitionCursor {
  topic: string;
  partition: number;
  key: string;
  /** Next offset to hand to the application. */
  position: number;
  /** Last committed position (-1: none). */
  committed: number;
  /** Bumped by seek, so a delivery in progress for an older position stops. */
  seekEpoch: number;
}

