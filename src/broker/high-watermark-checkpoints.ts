/**
 * The `replication-offset-checkpoint` file of a broker's data folder (Kafka's, one per log
 * dir): the high watermark of every partition this broker holds, so a restarted broker's
 * replicas start with the HW they had rather than at their log end. Without it a broker that
 * came back and then led would serve records beyond the cluster's HW (never known to be on the
 * ISR) before its followers had them.
 *
 * Lifecycle: `open` reads the file once (a damaged one is ignored with a warning: every
 * replica then starts at its log start, as Kafka does); the broker asks `highWatermarkOf` for
 * each replica it opens; the file is rewritten every `intervalMs`
 * (replica.high.watermark.checkpoint.interval.ms) when a HW changed, and by `close` (clean
 * shutdown). Writes are atomic (temp + fsync + rename + folder fsync). Event loop only.
 * Knows partitions only through the `partitions` callback; nothing of etcd or the protocol.
 */
import { join } from 'node:path';
import { readOffsetCheckpointFile, writeOffsetCheckpointFile, type PartitionOffset } from './offset-checkpoint-file.js';
import type { Partition } from '../partition/partition.js';

export const REPLICATION_OFFSET_CHECKPOINT_FILE = 'replication-offset-checkpoint';

export interface HighWatermarkCheckpointsOptions {
  /** The broker's data folder (the LogManager's). */
  dir: string;
  /** replica.high.watermark.checkpoint.interval.ms; 0 writes only at close. */
  intervalMs: number;
  /** Every partition whose HW the file holds. */
  partitions: () => Iterable<Partition>;
  warn: (message: string) => void;
}

export class HighWatermarkCheckpoints {
  readonly path: string;
  private readonly restored = new Map<string, number>();
  private readonly timer: NodeJS.Timeout | undefined;
  /** The text last written, so an idle broker does not fsync every interval. */
  private lastWritten = '';
  private closed = false;

  private constructor(private readonly options: HighWatermarkCheckpointsOptions) {
    this.path = join(options.dir, REPLICATION_OFFSET_CHECKPOINT_FILE);
    const read = readOffsetCheckpointFile(this.path);
    if (read.state === 'ok') {
      for (const e of read.entries) this.restored.set(keyOf(e.topic, e.partition), e.offset);
    } else if (read.state === 'corrupt') {
      options.warn(`${this.path} ${read.reason}: ignored; every replica starts with its high watermark at its log start`);
    }
    if (options.intervalMs > 0) {
      this.timer = setInterval(() => this.writeQuietly(), options.intervalMs);
      this.timer.unref();
    }
  }

  static open(options: HighWatermarkCheckpointsOptions): HighWatermarkCheckpoints {
    return new HighWatermarkCheckpoints(options);
  }

  /** The checkpointed HW of a partition, or undefined (start at the log start). */
  highWatermarkOf(topic: string, partition: number): number | undefined {
    return this.restored.get(keyOf(topic, partition));
  }

  /** Writes every partition's HW now (unchanged content is not rewritten). Throws on I/O errors. */
  write(): void {
    const entries: PartitionOffset[] = [];
    for (const p of this.options.partitions()) {
      if (!p.log.closed) entries.push({ topic: p.topic, partition: p.partition, offset: p.highWatermark });
    }
    entries.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    const text = entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`).join('\n');
    if (text === this.lastWritten) return;
    writeOffsetCheckpointFile(this.path, entries);
    this.lastWritten = text;
  }

  /** Stops the timer and writes a last time (clean shutdown). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.writeQuietly();
  }

  private writeQuietly(): void {
    try {
      this.write();
    } catch (err) {
      // The previous file stays (atomic replace); the next write tries again.
      this.options.warn(`cannot checkpoint high watermarks: ${(err as Error).message}`);
    }
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic} ${partition}`;
}
