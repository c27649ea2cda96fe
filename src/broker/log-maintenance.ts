/**
 * The broker's schedule of log upkeep: retention (log.retention.check.interval.ms) for every
 * topic whose cleanup.policy includes delete, and the log cleaner (log.cleaner.backoff.ms) for
 * every topic whose policy includes compact, __consumer_offsets among them. What retention and
 * compaction do to a log is the partition's and storage's (Partition.applyRetention,
 * PartitionLog.compact); this file only decides which logs and when.
 *
 * Lifecycle: the timers start with the broker (unref'd: they never keep a process alive) and
 * stop at `close`, which hands back the cleaner round still running so the broker closes its
 * logs only after it. Event loop only (the cleaner's file work runs on its worker thread).
 * Reads topics through the registry; knows nothing of how they are created, etcd or the protocol.
 */
import { CONSUMER_OFFSETS_TOPIC } from './topic-name.js';
import type { TopicConfigValues } from './topic-config.js';
import type { TopicRegistry } from './topic-registry.js';

/** What one round of the log cleaner did. */
export interface LogCleanerRound {
  partitionsCleaned: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface LogMaintenanceOptions {
  topics: TopicRegistry;
  /** The broker-wide topic config defaults (cleanup.policy when a topic sets none). */
  topicDefaults: TopicConfigValues;
  /** log.retention.check.interval.ms; 0 or less: never on a timer. */
  retentionCheckIntervalMs: number;
  /** log.cleaner.backoff.ms; 0 or less: the cleaner never runs on a timer. */
  logCleanerIntervalMs: number;
  closed: () => boolean;
  warn: (message: string) => void;
}

export class LogMaintenance {
  private readonly options: LogMaintenanceOptions;
  private readonly retentionTimer: NodeJS.Timeout | undefined;
  private readonly cleanerTimer: NodeJS.Timeout | undefined;
  private cleanerRun: Promise<LogCleanerRound> | undefined;

  constructor(options: LogMaintenanceOptions) {
    this.options = options;
    if (options.retentionCheckIntervalMs > 0) {
      this.retentionTimer = setInterval(() => this.applyRetention(), options.retentionCheckIntervalMs);
      this.retentionTimer.unref();
    }
    if (options.logCleanerIntervalMs > 0) {
      this.cleanerTimer = setInterval(() => void this.runLogCleaner().catch(() => undefined), options.logCleanerIntervalMs);
      this.cleanerTimer.unref();
    }
  }

  /** Applies retention to every partition whose cleanup.policy includes delete. */
  applyRetention(now: number = Date.now()): number {
    if (this.options.closed()) return 0;
    let deleted = 0;
    for (const topic of this.options.topics.values()) {
      if (topic.internal) continue;
      if (!this.policyOf(topic.configs).split(',').includes('delete')) continue;
      for (const p of topic.partitions) {
        // A cluster topic's array has holes where other brokers hold the replicas.
        if (!p) continue;
        try {
          deleted += p.applyRetention(now);
        } catch {
          // A partition that cannot apply retention now (closed during deletion) is retried next round.
        }
      }
    }
    return deleted;
  }

  /**
   * One round of the log cleaner: every partition of a topic whose cleanup.policy includes
   * compact, and __consumer_offsets, is compacted if its dirty ratio asks for it (the file
   * work runs on the cleaner's worker thread). One round at a time; partitions in turn.
   */
  runLogCleaner(now: number = Date.now()): Promise<LogCleanerRound> {
    if (this.cleanerRun) return this.cleanerRun;
    const run = (async () => {
      const round: LogCleanerRound = { partitionsCleaned: 0, bytesBefore: 0, bytesAfter: 0 };
      for (const topic of [...this.options.topics.values()]) {
        const policy = topic.name === CONSUMER_OFFSETS_TOPIC ? 'compact' : this.policyOf(topic.configs);
        if (!policy.split(',').includes('compact')) continue;
        for (const p of topic.partitions) {
          // A cluster topic's array has holes where other brokers hold the replicas.
          if (!p || this.options.closed() || p.log.closed) continue;
          try {
            const result = await p.log.compact({ now });
            if (!result.cleaned) continue;
            round.partitionsCleaned += 1;
            round.bytesBefore += result.bytesBefore;
            round.bytesAfter += result.bytesAfter;
          } catch (err) {
            // A partition deleted or closed during its pass; a failing disk is reported by appends.
            this.options.warn(`log cleaner: ${topic.name}-${p.partition}: ${(err as Error).message}`);
          }
        }
      }
      return round;
    })();
    this.cleanerRun = run.finally(() => {
      this.cleanerRun = undefined;
    });
    return this.cleanerRun;
  }

  /** Stops the timers; resolves once a cleaner round still running has ended (never rejects). */
  close(): Promise<unknown> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.cleanerTimer) clearInterval(this.cleanerTimer);
    return this.cleanerRun?.catch(() => undefined) ?? Promise.resolve();
  }

  private policyOf(configs: TopicConfigValues): string {
    return configs['cleanup.policy'] ?? this.options.topicDefaults['cleanup.policy'] ?? 'delete';
  }
}
