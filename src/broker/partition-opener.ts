/**
 * Makes the broker's Partitions: opens a topic-partition's log by name from the LogManager
 * (its segments scanned on the partition's worker lane, if there is a pool), wraps it in its
 * Partition (producer state rebuilt on that lane too) and hooks the long-poll wake-up on its
 * high watermark. Opens a topic's partitions all or none when creating them, and removes the
 * folders of partitions never committed.
 *
 * Lifecycle: the broker's; it holds no Partition itself (the TopicRegistry does). Event loop
 * only. Knows log folders only by name (storage owns the paths); nothing of the metadata log,
 * etcd or the protocol.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { SkeinError } from '../errors.js';
import type { LogManager } from '../storage/log-manager.js';
import type { LogConfig } from '../storage/log-config.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { SegmentScanner } from '../storage/segment-recovery.js';
import { Partition } from '../partition/partition.js';
import { partitionKey, poolScanner } from '../partition/pooled-recovery.js';
import type { WorkerPool } from '../workers/pool.js';
import { partitionLogName } from './topic-name.js';
import { logConfigOf, type TopicConfigValues } from './topic-config.js';

export interface PartitionOpenerOptions {
  logs: LogManager;
  pool: WorkerPool | undefined;
  topicDefaults: TopicConfigValues;
  /** Told when a partition's high watermark moves (long-poll fetches wake). */
  highWatermarkMoved: (partition: Partition) => void;
  closed: () => boolean;
  onWarning: ((message: string) => void) | undefined;
}

export class PartitionOpener {
  private readonly options: PartitionOpenerOptions;

  constructor(options: PartitionOpenerOptions) {
    this.options = options;
  }

  /**
   * Wraps a log in its Partition (its producer state rebuilt on the partition's worker lane);
   * long-poll fetches wake when its high watermark moves.
   */
  async wrap(topic: string, partition: number, log: PartitionLog): Promise<Partition> {
    const state = await Partition.open(topic, partition, log, { onWarning: this.options.onWarning, pool: this.options.pool });
    state.on('highWatermark', () => this.options.highWatermarkMoved(state));
    return state;
  }

  /** Opens (creating if need be) one topic-partition's log and wraps it; `topicId` is checked against (or adopted by) its folder. */
  async open(topic: string, partition: number, logConfig: Partial<LogConfig>, topicId?: string): Promise<Partition> {
    const log = await this.options.logs.open(partitionLogName(topic, partition), logConfig, topicId, this.scannerOf(topic, partition));
    return this.wrap(topic, partition, log);
  }

  /**
   * Opens partitions [from, to) of a topic incarnation. With `creating`, all or none: on a
   * failure (or close) half way the folders just created are removed again (a crash half way
   * leaves them to removeStrayFolders at the next open). Without it (committed partitions, at
   * open) nothing is ever removed: the error is thrown and the folders stay as they are.
   */
  async openTopic(name: string, topicId: string, configs: TopicConfigValues, from: number, to: number, creating: boolean): Promise<Partition[]> {
    const logConfig = logConfigOf(configs, this.options.topicDefaults);
    const opened: Partition[] = [];
    try {
      for (let partition = from; partition < to; partition++) {
        // Opening a log finishes without reaching the event loop: let sockets, timers and close() in.
        if ((partition - from) % 16 === 15) await nextTurn();
        if (this.options.closed()) throw new SkeinError('SKEIN_CLOSED', `the broker closed while opening topic ${name}`, { topic: name });
        opened.push(await this.open(name, partition, logConfig, topicId));
      }
      return opened;
    } catch (err) {
      if (creating) await this.removeUncommitted(opened);
      throw err;
    }
  }

  /** Removes the folders of partitions never committed; what cannot go now goes at the next open. */
  async removeUncommitted(partitions: Partition[]): Promise<void> {
    for (const p of partitions) await this.options.logs.delete(partitionLogName(p.topic, p.partition)).catch(() => undefined);
  }

  /** Deletes a partition's folder (its Partition detached first). */
  delete(topic: string, partition: number): Promise<void> {
    return this.options.logs.delete(partitionLogName(topic, partition));
  }

  /** Where the scans of a partition's segments run at open: its worker lane, if there is a pool. */
  private scannerOf(topic: string, partition: number): SegmentScanner | undefined {
    return this.options.pool ? poolScanner(this.options.pool, partitionKey(topic, partition)) : undefined;
  }
}
