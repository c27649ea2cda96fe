/**
 * The leader epochs of one partition's log and the offset each starts at (Kafka's
 * LeaderEpochFileCache, KIP-101 / KIP-279): what a replica answers OffsetForLeaderEpoch from,
 * and how a follower finds where its log diverged from its leader's.
 *
 * Entries (epoch, startOffset) grow strictly in epoch and never decrease in start offset.
 * `assign` adds one when a batch of a new epoch is appended (or a leader takes over at its log
 * end), dropping any entry it contradicts; `truncateFromEnd` follows a log truncation;
 * `truncateFromStart` follows the log start moving (retention, DeleteRecords).
 *
 * Persistence: every change rewrites the `leader-epoch-checkpoint` file (storage/
 * leader-epoch-file.ts) durably; changes are rare (one per leader change). A missing or
 * damaged file is rebuilt at open from the partitionLeaderEpoch field of the log's batches,
 * with a warning; entries past the log (a crash between a truncation and this file's
 * rewrite) are dropped at open.
 *
 * Lifecycle: made by the Partition over its open log. Event loop only. Knows nothing of
 * sockets, the protocol or the cluster.
 */
import type { PartitionLog } from '../storage/partition-log.js';
import { readLeaderEpochFile, writeLeaderEpochFile, type EpochEntry } from '../storage/leader-epoch-file.js';
import { readPartitionLeaderEpoch, readBaseOffset } from '../records/batch-header.js';

export type { EpochEntry };

/** Kafka's "no epoch" (RecordBatch.NO_PARTITION_LEADER_EPOCH, UNDEFINED_EPOCH). */
export const UNDEFINED_EPOCH = -1;
/** Kafka's UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH_OFFSET = -1;

/** An OffsetForLeaderEpoch answer: the largest epoch <= the one asked, and where it ends. */
export interface EpochEndOffset {
  leaderEpoch: number;
  endOffset: number;
}

export class LeaderEpochCache {
  private readonly dir: string;
  private epochs: EpochEntry[];

  private constructor(dir: string, entries: EpochEntry[]) {
    this.dir = dir;
    this.epochs = entries;
  }

  /**
   * The cache of `log`'s folder: from its checkpoint file, or rebuilt from the batches when
   * the file is missing or damaged (`warn` says which, when the log holds records), then
   * fitted to the log's bounds.
   */
  static open(log: PartitionLog, warn: (message: string) => void = () => {}): LeaderEpochCache {
    const read = readLeaderEpochFile(log.dir);
    let cache: LeaderEpochCache;
    if (read.state === 'ok') {
      cache = new LeaderEpochCache(log.dir, read.entries);
    } else {
      cache = new LeaderEpochCache(log.dir, []);
      if (log.logEndOffset > log.logStartOffset) {
        const why = read.state === 'missing' ? 'is missing' : read.reason;
        cache.rebuildFrom(log);
        warn(`the leader-epoch-checkpoint of ${log.dir} ${why}; rebuilt from the batches: ${cache.describe()}`);
      }
      // Nothing to record for a new log (or one whose batches were never stamped): the first
      // append writes the file. Creating a topic of many partitions costs no fsync per partition.
      if (read.state === 'corrupt' || cache.epochs.length > 0) cache.persist();
    }
    cache.fitTo(log.logStartOffset, log.logEndOffset);
    if (read.state === 'ok' && !cache.coversLastBatch(log)) {
      // A crash between an append of a new epoch's first batch and the checkpoint's rewrite
      // (or after truncateFullyAndStartAt emptied it) leaves a well-formed file that lacks
      // the epoch the log ends in: the batches are the truth, as Kafka's recovery makes them.
      const rebuilt = new LeaderEpochCache(log.dir, []);
      rebuilt.rebuildFrom(log);
      rebuilt.fitTo(log.logStartOffset, log.logEndOffset);
      warn(`the leader-epoch-checkpoint of ${log.dir} lacks the epoch of its last batch; rebuilt from the batches: ${rebuilt.describe()}`);
      rebuilt.persist();
      return rebuilt;
    }
    return cache;
  }

  /** Whether the entries name the epoch stamped in the log's last batch, from at most its offset (one batch read). */
  private coversLastBatch(log: PartitionLog): boolean {
    const last = batchAt(log, log.logEndOffset - 1);
    if (!last || last.epoch < 0) return true;
    const entry = this.epochs.find((e) => e.epoch === last.epoch);
    return entry !== undefined && entry.startOffset <= last.baseOffset;
  }

  /**
   * Entries from the epochs stamped in the batches (epoch -1, never stamped: skipped). Epochs
   * never decrease along a log (leaders stamp increasing epochs, followers copy them, and a
   * truncation removes a tail), so each epoch's first batch is found by a binary search over
   * offsets: O(epochs x log(records)) single-batch reads, not a read of the whole log (a data
   * folder of an older Skein, stamped -1 or 0 throughout, costs two reads per partition).
   */
  private rebuildFrom(log: PartitionLog): void {
    const end = log.logEndOffset;
    let current = batchAt(log, log.logStartOffset);
    const last = batchAt(log, end - 1);
    if (!current || !last) return;
    for (;;) {
      if (current.epoch >= 0) this.assignInMemory(current.epoch, current.baseOffset);
      if (current.epoch >= last.epoch) return;
      // The first offset after `current` whose batch has a larger epoch.
      let lo = current.lastOffset + 1;
      let hi = last.baseOffset;
      while (lo < hi) {
        const mid = lo + Math.floor((hi - lo) / 2);
        const at = batchAt(log, mid);
        if (at && at.epoch > current.epoch) hi = at.baseOffset;
        else lo = at ? Math.max(mid + 1, at.lastOffset + 1) : mid + 1;
      }
      const next = batchAt(log, lo);
      if (!next || next.epoch <= current.epoch) return;
      current = next;
    }
  }

  private fitTo(logStartOffset: number, logEndOffset: number): void {
    const before = this.describe();
    this.dropFromEnd(logEndOffset);
    this.dropFromStart(logStartOffset);
    if (this.describe() !== before) this.persist();
  }

  /** A copy of the entries, oldest first. */
  get entries(): EpochEntry[] {
    return this.epochs.map((e) => ({ ...e }));
  }

  /** The latest epoch, or -1 when there is none. */
  get latestEpoch(): number {
    return this.epochs.length === 0 ? UNDEFINED_EPOCH : this.epochs[this.epochs.length - 1]!.epoch;
  }

  /** Start offset of `epoch`, or -1 when not in the cache. */
  startOffsetOf(epoch: number): number {
    return this.epochs.find((e) => e.epoch === epoch)?.startOffset ?? UNDEFINED_EPOCH_OFFSET;
  }

  /**
   * Records that `epoch` starts at `startOffset` (Kafka's assign). Nothing changes when it is
   * the latest epoch already starting at or before that offset. Otherwise every entry with an
   * epoch >= `epoch` or a start >= `startOffset` goes (they contradict the new one: a log
   * truncated and rewritten by a newer leader), and the entry is appended. Returns whether
   * the cache changed (then the file was rewritten). Negative epochs (unstamped) are ignored.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (!this.assignInMemory(epoch, startOffset)) return false;
    this.persist();
    return true;
  }

  private assignInMemory(epoch: number, startOffset: number): boolean {
    if (!Number.isSafeInteger(epoch) || epoch < 0 || !Number.isSafeInteger(startOffset) || startOffset < 0) return false;
    const latest = this.epochs[this.epochs.length - 1];
    if (latest && latest.epoch === epoch && latest.startOffset <= startOffset) return false;
    this.epochs = this.epochs.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
    this.epochs.push({ epoch, startOffset });
    return true;
  }

  /**
   * Kafka's endOffsetFor: for `requestedEpoch`, the largest epoch <= it that this log knows
   * and the offset where that epoch ends: the start of the next epoch, or `logEndOffset` for
   * the latest. A requested epoch below every known one gets (requestedEpoch, start of the
   * first known epoch): that history was removed from the log, and the follower must not keep
   * anything past where this log's history begins. Undefined (-1, -1) for epoch -1, an empty
   * cache, or an epoch above the latest.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEndOffset {
    const undefinedAnswer = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === UNDEFINED_EPOCH || this.epochs.length === 0) return undefinedAnswer;
    const latest = this.epochs[this.epochs.length - 1]!;
    if (requestedEpoch === latest.epoch) return { leaderEpoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.epochs.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return undefinedAnswer;
    if (higher === 0) return { leaderEpoch: requestedEpoch, endOffset: this.epochs[0]!.startOffset };
    return { leaderEpoch: this.epochs[higher - 1]!.epoch, endOffset: this.epochs[higher]!.startOffset };
  }

  /** The epoch of the record at `offset` (the entry whose range holds it), or -1. */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.epochs) {
      if (e.startOffset > offset) break;
      epoch = e.epoch;
    }
    return epoch;
  }

  /** The log was truncated to end at `endOffset`: epochs starting at or after it go. */
  truncateFromEnd(endOffset: number): void {
    if (this.dropFromEnd(endOffset)) this.persist();
  }

  private dropFromEnd(endOffset: number): boolean {
    const kept = this.epochs.filter((e) => e.startOffset < endOffset);
    if (kept.length === this.epochs.length) return false;
    this.epochs = kept;
    return true;
  }

  /**
   * The log now starts at `startOffset`: epochs that start before it go, except the last of
   * them, which now starts there (its records from there on are still in the log).
   */
  truncateFromStart(startOffset: number): void {
    if (this.dropFromStart(startOffset)) this.persist();
  }

  private dropFromStart(startOffset: number): boolean {
    let lastBefore = -1;
    for (let i = 0; i < this.epochs.length && this.epochs[i]!.startOffset <= startOffset; i++) lastBefore = i;
    if (lastBefore < 0 || (lastBefore === 0 && this.epochs[0]!.startOffset === startOffset)) return false;
    const moved = { epoch: this.epochs[lastBefore]!.epoch, startOffset };
    this.epochs = [moved, ...this.epochs.slice(lastBefore + 1)];
    return true;
  }

  /** Drops every entry (the log was emptied and restarts elsewhere). */
  clear(): void {
    if (this.epochs.length === 0) return;
    this.epochs = [];
    this.persist();
  }

  /** `epoch@start, ...` for logs and warnings. */
  describe(): string {
    return this.epochs.length === 0 ? '(none)' : this.epochs.map((e) => `${e.epoch}@${e.startOffset}`).join(', ');
  }

  private persist(): void {
    writeLeaderEpochFile(this.dir, this.epochs);
  }
}

/** Base offset, last offset and epoch of the batch holding `offset` (or the first after it), read alone. */
function batchAt(log: PartitionLog, offset: number): { baseOffset: number; lastOffset: number; epoch: number } | undefined {
  if (offset < log.logStartOffset || offset >= log.logEndOffset) return undefined;
  const read = log.read(offset, { maxBytes: 1, minOneBatch: true });
  const view = read.views[0];
  if (!view) return undefined;
  return { baseOffset: readBaseOffset(view, 0), lastOffset: read.nextOffset - 1, epoch: readPartitionLeaderEpoch(view, 0) };
}
