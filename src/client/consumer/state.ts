/**
 * The mutable state one embedded consumer's parts share: its place in the group (member id,
 * generation, whether it must rejoin), the cursors of its assigned partitions, pauses and
 * seeks waiting for an assignment, its status and last error, and the run options. Each part
 * of the consumer (membership.ts, fetch-loop.ts, delivery.ts, handler-runner.ts, commits.ts,
 * positions.ts) reads and writes it; the Consumer class creates it and owns its lifetime.
 *
 * Events go out through `events` (the Consumer itself, an EventEmitter). Event-loop thread only.
 */
import type { EventEmitter } from 'node:events';
import type { Broker } from '../../broker/broker.js';
import type { ConsumerConfig, ResolvedRunOptions } from './options.js';
import type { ConsumerHealth, ConsumerStatus, PartitionCursor } from './types.js';

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ConsumerState {
  readonly broker: Broker;
  readonly config: ConsumerConfig;
  /** The Consumer: its events are the consumer's events. */
  readonly events: EventEmitter;
  autoOffsetReset: 'earliest' | 'latest';

  readonly subscriptions: Array<string | RegExp> = [];
  readonly cursors = new Map<string, PartitionCursor>();
  readonly pausedKeys = new Set<string>();
  readonly pendingSeeks = new Map<string, number>();
  memberId = '';
  generationId = -1;
  protocolName = '';
  needsJoin = true;
  running = false;
  disconnected = false;
  status: ConsumerStatus = 'idle';
  restarts = 0;
  lastError: Error | undefined;
  stalled: ConsumerHealth['stalledPartition'];
  /** The fetch in flight is aborted through this (seek, pause, a rebalance, stop). */
  fetchAbort: AbortController | undefined;
  runOptions: ResolvedRunOptions | undefined;
  processedSinceCommit = 0;
  lastCommitAt = Date.now();

  constructor(broker: Broker, config: ConsumerConfig, autoOffsetReset: 'earliest' | 'latest', events: EventEmitter) {
    this.broker = broker;
    this.config = config;
    this.autoOffsetReset = autoOffsetReset;
    this.events = events;
  }

  emit(event: string, ...args: unknown[]): boolean {
    return this.events.emit(event, ...args);
  }

  /** Ends the fetch in flight and wakes a loop waiting for work. */
  wakeLoop(): void {
    this.fetchAbort?.abort();
    this.emit('skein.wake');
  }
}
