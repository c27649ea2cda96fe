/**
 * The embedded consumer's options: their checks (types and ranges, SKEIN_INVALID_ARGUMENT
 * naming the option) and their defaults, resolved once into a ConsumerConfig that the other
 * parts of the consumer read. Also the checks of run() options and of pause/resume lists.
 * Pure functions; no state.
 */
import { SkeinError } from '../../errors.js';
import { array, integer, nonEmptyString, object, optionalBoolean, optionalFunction, optionalInteger, string, stringArray } from '../arguments.js';
import { assignorByName, type Assignor } from '../assignors.js';
import type { ConsumerOptions, RunOptions } from './types.js';

export interface ConsumerConfig {
  groupId: string;
  clientId: string;
  groupInstanceId: string | null;
  sessionTimeout: number;
  rebalanceTimeout: number;
  heartbeatInterval: number;
  maxBytesPerPartition: number;
  minBytes: number;
  maxBytes: number;
  maxWaitTimeInMs: number;
  allowAutoTopicCreation: boolean;
  assignors: Assignor[];
  handlerTimeoutMs: number;
  maxRestarts: number;
  retryBackoffMs: number;
}

/** run() options with their defaults. */
export type ResolvedRunOptions = Required<Omit<RunOptions, 'eachMessage' | 'eachBatch'>> & Pick<RunOptions, 'eachMessage' | 'eachBatch'>;

export function resolveConsumerOptions(options: ConsumerOptions): ConsumerConfig {
  if (!options || typeof options.groupId !== 'string' || options.groupId.length === 0) {
    throw new SkeinError('SKEIN_INVALID_GROUP_ID', 'a consumer needs a non-empty groupId');
  }
  checkConsumerOptions(options);
  const config: ConsumerConfig = {
    groupId: options.groupId,
    clientId: options.clientId ?? 'skein',
    groupInstanceId: options.groupInstanceId ?? null,
    sessionTimeout: options.sessionTimeout ?? 30_000,
    rebalanceTimeout: options.rebalanceTimeout ?? 60_000,
    heartbeatInterval: options.heartbeatInterval ?? 3_000,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
    minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 10 * 1024 * 1024,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 5_000,
    allowAutoTopicCreation: options.allowAutoTopicCreation ?? true,
    assignors: (options.partitionAssigners ?? ['cooperative-sticky']).map(assignorByName),
    handlerTimeoutMs: options.handlerTimeoutMs ?? 60_000,
    maxRestarts: options.maxRestarts ?? 5,
    retryBackoffMs: options.retryBackoffMs ?? 100,
  };
  if (config.assignors.length === 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'partitionAssigners cannot be empty');
  for (const [name, value] of Object.entries({ sessionTimeout: config.sessionTimeout, heartbeatInterval: config.heartbeatInterval, maxBytes: config.maxBytes })) {
    if (!Number.isFinite(value) || value <= 0) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `${name} must be a positive number, got ${String(value)}`);
  }
  return config;
}

/** Checks run()'s options and fills in their defaults. */
export function resolveRunOptions(options: RunOptions): ResolvedRunOptions {
  object(options, 'run options');
  optionalFunction(options.eachMessage, 'eachMessage');
  optionalFunction(options.eachBatch, 'eachBatch');
  optionalBoolean(options.autoCommit, 'autoCommit');
  optionalBoolean(options.eachBatchAutoResolve, 'eachBatchAutoResolve');
  if (options.autoCommitInterval !== null) optionalInteger(options.autoCommitInterval, 'autoCommitInterval');
  if (options.autoCommitThreshold !== null) optionalInteger(options.autoCommitThreshold, 'autoCommitThreshold', 1);
  optionalInteger(options.partitionsConsumedConcurrently, 'partitionsConsumedConcurrently', 1);
  if (!options.eachMessage && !options.eachBatch) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'run needs eachMessage or eachBatch');
  return {
    eachMessage: options.eachMessage,
    eachBatch: options.eachBatch,
    autoCommit: options.autoCommit ?? true,
    autoCommitInterval: options.autoCommitInterval === undefined ? 5_000 : options.autoCommitInterval,
    autoCommitThreshold: options.autoCommitThreshold ?? null,
    eachBatchAutoResolve: options.eachBatchAutoResolve ?? true,
    partitionsConsumedConcurrently: Math.max(1, options.partitionsConsumedConcurrently ?? 1),
  };
}

/** pause()/resume() take [{ topic, partitions? }]. */
export function checkTopicPartitionsList(topics: Array<{ topic: string; partitions?: number[] }>): void {
  array(topics, 'topics').forEach((t, i) => {
    object(t, `topics[${i}]`);
    nonEmptyString(t.topic, `topics[${i}].topic`);
    if (t.partitions !== undefined) array(t.partitions, `topics[${i}].partitions`).forEach((p, j) => integer(p, `topics[${i}].partitions[${j}]`));
  });
}

/** Types and ranges of the consumer options (groupId is checked by resolveConsumerOptions itself). */
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
