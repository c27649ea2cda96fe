/**
 * Hands a fetch's records to the application: per partition (up to
 * partitionsConsumedConcurrently at once), in offset order, to eachMessage one message at a
 * time or to eachBatch in slices (delivered-batch.ts), and moves each partition's position as
 * they are processed (eachMessage: after each message; eachBatch: resolveOffset, or the whole
 * slice with eachBatchAutoResolve). A delivery stops as soon as its partition is revoked,
 * paused or seeked. Large compressed batches are decompressed on the partition's worker
 * (pooled-decompression.ts). Runs on the event loop; knows nothing of the group protocol.
 */
import type { FetchPartitionResult } from '../../broker/types.js';
import { iterateBatches } from '../../records/record-iterator.js';
import { readBaseOffset, readLastOffsetDelta } from '../../records/batch-header.js';
import { PooledDecompressions } from '../pooled-decompression.js';
import { BatchMessages } from './consumed-message.js';
import { batchEntry, deliverableRecords, DeliveredBatch, lastRecordOffset, type BatchEntry } from './delivered-batch.js';
import type { OffsetCommits } from './commits.js';
import type { HandlerRunner } from './handler-runner.js';
import type { GroupMembership } from './membership.js';
import type { Positions } from './positions.js';
import { LoopTurns } from './loop-turns.js';
import { partitionKey, type ConsumerState } from './state.js';
import type { EachBatchPayload, PartitionCursor } from './types.js';

/**
 * The most messages one eachBatch call gets, unless one record batch alone holds more (record
 * batches are not split). A slice runs in one go on the event loop (a handler that touches
 * every message and never waits on I/O resolves in a microtask): 2048 messages of 100 B cost
 * 1-4 ms with messages built and every value touched, where the former 4096 (which let slices
 * grow to 6000 with 2000-record batches) cost 5-12 ms under load, the event-loop delay's p99.
 */
const MAX_BATCH_MESSAGES = 2048;

export class Delivery {
  private readonly state: ConsumerState;
  private readonly runner: HandlerRunner;
  private readonly commits: OffsetCommits;
  private readonly membership: GroupMembership;
  private readonly positions: Positions;
  private readonly turns = new LoopTurns();

  constructor(state: ConsumerState, runner: HandlerRunner, commits: OffsetCommits, membership: GroupMembership, positions: Positions) {
    this.state = state;
    this.runner = runner;
    this.commits = commits;
    this.membership = membership;
    this.positions = positions;
  }

  async deliverAll(results: FetchPartitionResult[]): Promise<void> {
    const state = this.state;
    const work = results.filter((r) => r.bytes > 0 || r.error);
    this.turns.reset();
    const concurrency = state.runOptions!.partitionsConsumedConcurrently;
    if (concurrency === 1 || work.length <= 1) {
      // One at a time: no workers, no Promise.all (a tail consumer comes here once per record).
      for (const r of work) {
        if (!state.running || state.needsJoin) return;
        await this.deliverPartition(r);
      }
      return;
    }
    let next = 0;
    const worker = async () => {
      while (next < work.length && state.running && !state.needsJoin) {
        const r = work[next++]!;
        await this.deliverPartition(r);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, work.length) }, worker));
  }

  private async deliverPartition(result: FetchPartitionResult): Promise<void> {
    const state = this.state;
    const cursor = state.cursors.get(partitionKey(result.topic, result.partition));
    if (!cursor) return;
    if (result.error) {
      if (result.error.code === 'SKEIN_OFFSET_OUT_OF_RANGE') {
        cursor.position = this.membership.resetOffset(cursor.topic, cursor.partition);
      } else if (result.error.code === 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION') {
        state.needsJoin = true;
      }
      return;
    }
    const epoch = cursor.seekEpoch;
    const options = state.runOptions!;
    const stillOwned = () => state.running && state.cursors.get(cursor.key) === cursor && cursor.seekEpoch === epoch && !state.pausedKeys.has(cursor.key);
    // eachBatch gets runs of record batches of at most about MAX_BATCH_MESSAGES records (a
    // fetch of megabytes would otherwise hand out tens of thousands of messages at once, which
    // outlive the young generation: GC-bound). Its messages are made only if it reads them.
    let slice: BatchEntry[] = [];
    let sliceCount = 0;
    // Large compressed batches are decompressed on the partition's worker, a few ahead of
    // delivery (the lane keeps their order) while the ones before them are delivered.
    const decompressed = PooledDecompressions.of(state.broker.workerPool, cursor.key, result.records, cursor.position);
    // A compacted log has batches whose last records (or all records) were cleaned away: the
    // batch still covers its offset range, and once every record handed out was consumed the
    // position moves past the range, or the next fetch would return the same batch forever.
    let batchesEnd = cursor.position;
    let recordsEnd = cursor.position;
    // eachMessage's payload functions, made once per partition and fetch, not per message.
    const heartbeat = () => this.membership.heartbeatNow();
    const pause = () => this.positions.pauseOne(cursor);
    for (const view of result.records) {
      for (const batch of iterateBatches(view)) {
        const batchLast = readBaseOffset(batch, 0) + readLastOffsetDelta(batch, 0);
        if (batchLast < cursor.position) continue;
        batchesEnd = Math.max(batchesEnd, batchLast + 1);
        // A turn first if the slice is used up: taking a batch may decompress one or two on the
        // loop (inline, or taken back from the lane), and the one before may have been too.
        // Results of the lane arrive many to a turn (it is handed 32 tasks ahead), each resuming
        // a delivery: unchecked, those decompressions added up to 10-15 ms between two timer runs.
        if (this.turns.dueNow()) {
          await this.turns.yield();
          if (!stillOwned()) return;
        }
        const pending = decompressed?.take(readBaseOffset(batch, 0));
        const entry = batchEntry(batch, cursor.position, pending instanceof Promise ? await pending : pending);
        if (options.eachBatch) {
          // Nothing runs between the batches of one slice, so ownership is checked per batch.
          if (!stillOwned()) return;
          const count = deliverableRecords(entry);
          if (count === 0) continue;
          // A slice ends before the batch that would take it past MAX_BATCH_MESSAGES (a batch
          // larger than that is a slice of its own: record batches are not split).
          if (sliceCount > 0 && sliceCount + count > MAX_BATCH_MESSAGES) {
            if (!(await this.deliverSlice(cursor, result, slice, sliceCount, stillOwned))) return;
            slice = [];
            sliceCount = 0;
          }
          slice.push(entry);
          sliceCount += count;
          recordsEnd = lastRecordOffset(entry) + 1;
          continue;
        }
        const messages = new BatchMessages(entry.batch, entry.fromOffset, entry.section);
        for (let message = messages.next(); message !== undefined; message = messages.next()) {
          recordsEnd = message.offsetNumber + 1;
          if (!stillOwned()) return;
          const offset = message.offsetNumber;
          await this.runner.run(cursor, offset, () =>
            options.eachMessage!({
              topic: cursor.topic,
              partition: cursor.partition,
              message,
              heartbeat,
              pause,
            }),
          );
          if (cursor.seekEpoch !== epoch) return;
          cursor.position = offset + 1;
          state.processedSinceCommit += 1;
          const committing = this.commits.maybeAutoCommit();
          if (committing) await committing;
          if (this.turns.due()) await this.turns.yield();
        }
      }
    }
    if (slice.length > 0 && stillOwned() && !(await this.deliverSlice(cursor, result, slice, sliceCount, stillOwned))) return;
    if (stillOwned() && cursor.position >= recordsEnd && batchesEnd > cursor.position) cursor.position = batchesEnd;
  }

  /**
   * One eachBatch slice, after a turn of the event loop if the delivery slice is used up;
   * false when the partition was lost meanwhile (nothing delivered). Checked right before the
   * handler runs, not only after this partition's previous slice: with several partitions
   * delivered at once their slices follow each other in microtasks, and each partition that had
   * passed its check before another's slice ran went on to run its own (4 partitions: 3-4
   * slices back to back with no timer between them; 8 partitions, 20-60 ms under load).
   */
  private async deliverSlice(cursor: PartitionCursor, result: FetchPartitionResult, entries: BatchEntry[], count: number, stillOwned: () => boolean): Promise<boolean> {
    if (this.turns.dueNow()) {
      await this.turns.yield();
      if (!stillOwned()) return false;
    }
    await this.deliverBatch(cursor, result, entries, count);
    return true;
  }

  private async deliverBatch(cursor: PartitionCursor, result: FetchPartitionResult, entries: BatchEntry[], count: number): Promise<void> {
    const state = this.state;
    const options = state.runOptions!;
    const epoch = cursor.seekEpoch;
    let resolved = cursor.position - 1;
    const batch = new DeliveredBatch(cursor.topic, cursor.partition, result.highWatermark, entries, count);
    const stillOwned = () => state.running && state.cursors.get(cursor.key) === cursor && cursor.seekEpoch === epoch && !state.pausedKeys.has(cursor.key);
    const payload: EachBatchPayload = {
      batch,
      resolveOffset: (offset) => {
        resolved = Math.max(resolved, Number(offset));
        if (cursor.seekEpoch === epoch) cursor.position = Math.max(cursor.position, resolved + 1);
      },
      heartbeat: () => this.membership.heartbeatNow(),
      commitOffsetsIfNecessary: () => this.commits.maybeAutoCommit() ?? Promise.resolve(),
      isRunning: () => state.running,
      isStale: () => !stillOwned(),
      pause: () => this.positions.pauseOne(cursor),
    };
    // The slice's messages are let go as soon as the handler is done, not when this delivery
    // resumes: with several partitions delivered at once that resumption waits behind their
    // slices, so every one of them kept its 2000 messages alive across scavenges and enough
    // were promoted to force a mark-compact (3-10 ms) every few hundred thousand records.
    await this.runner.run(cursor, batch.firstOffsetNumber(), async () => {
      try {
        await options.eachBatch!(payload);
      } finally {
        batch.releaseMessages();
      }
    });
    if (cursor.seekEpoch !== epoch) return;
    if (options.eachBatchAutoResolve) cursor.position = Math.max(cursor.position, lastRecordOffset(entries[entries.length - 1]!) + 1);
    state.processedSinceCommit += count;
  }
}
