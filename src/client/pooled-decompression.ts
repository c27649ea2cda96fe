/**
 * The embedded consumer's large compressed batches, decompressed on the partition's worker
 * (src/workers, task decompress) instead of on the event loop. Small batches stay inline,
 * below a threshold per codec where the hop costs the event loop about as much as the work it
 * moves (docs/compression.md, Pools; bench/pool-threshold.bench.ts).
 * Runs on the event loop; a failed decompression rejects its promise with the SkeinError the
 * inline path would have thrown.
 *
 * Work sharing: a batch handed to the lane and not yet begun there is taken back by the event
 * loop when delivery reaches it (`take` returns undefined, and delivery decompresses it inline
 * as it does a small batch). Each handed-out batch has a claim slot in a SharedArrayBuffer; the
 * worker claims it before it starts (and skips a batch the loop claimed first), the loop
 * claims it instead of waiting; and while it waits for a batch the lane is on, it decompresses
 * the next one the lane has not begun (takeBackAhead). With one lane on two cores the lane alone decompressed slower
 * than delivery took batches (gzip: the worker at ~0.2 us a record, the loop idle meanwhile),
 * so a consumer with the pool ran at 0.82-0.85x of inline; now neither thread waits for a batch
 * the other has not started.
 *
 * Memory: the compressed bytes go to the lane, and the decompressed ones come back, in reused
 * blocks of shared memory (workers/shared-blocks.ts), not in moved ArrayBuffers, whose memory
 * the event loop gets back only in mark-compacts (3-5 per 2.3 M records at full load, with the
 * GC threads' marking competing with the lane and the loop on two cores). Delivery copies a
 * batch's records out of its block when it takes it (21 us for 200 KB here, allocation
 * included, against 140-150 us to decompress them inline with gzip), and the block goes back
 * to a lane with its next task.
 */
import {
  ATTRIBUTES,
  COMPRESSION_CODEC_MASK,
  HEADER_SIZE,
  RECORDS_COUNT,
  readBaseOffset,
  readInt16BE,
  readInt32BE,
  readLastOffsetDelta,
} from '../records/batch-header.js';
import { checkCountFits, recordsOf } from '../records/decode-record-batch.js';
import { iterateBatches } from '../records/record-iterator.js';
import type { RecordBytes } from '../records/record-cursor.js';
import type { WorkerPool } from '../workers/pool.js';
import { giveBack, poolBlocks, takeReturned, taskInput, type PoolBlocks } from './pool-blocks.js';
import { CLAIMED_BY_LOOP, UNCLAIMED, type BlockResult, type DecompressInput } from '../workers/tasks/decompress.js';
import { unwrapOutcome, type TaskOutcome } from '../workers/tasks/task-errors.js';

/**
 * From this many records or compressed bytes a batch is decompressed on the pool, by codec id
 * (1 gzip, 2 snappy, 3 lz4, 4 zstd). Measured (bench/pool-threshold.bench.ts, 100-byte
 * records): a pooled task costs the event loop 20-70 us (submit, copy of the compressed
 * bytes, settle) and adds 50-100 us of latency. gzip and our JavaScript lz4 decoder take
 * 0.15-0.3 us per record inline, so a 1000-record batch (150-300 us) is worth moving; the
 * native snappy and zstd decoders take 0.04-0.06 us per record, so below ~4000 records
 * (160-240 us) the pool saved the loop little and cost throughput (snappy consume 0.82x,
 * zstd 0.84x with a 1000-record threshold): they stay inline up to there.
 */
export const CONSUMER_POOL_THRESHOLDS: Readonly<Record<number, { records: number; bytes: number }>> = {
  1: { records: 1000, bytes: 64 * 1024 },
  2: { records: 4000, bytes: 256 * 1024 },
  3: { records: 1000, bytes: 64 * 1024 },
  4: { records: 4000, bytes: 256 * 1024 },
};

/** Whether a compressed batch of `codec` with `records` records and `bytes` bytes is decompressed on the pool. */
export function decompressesOnPool(codec: number, records: number, bytes: number): boolean {
  const threshold = CONSUMER_POOL_THRESHOLDS[codec];
  return threshold !== undefined && (records >= threshold.records || bytes >= threshold.bytes);
}

/** The largest decompressed records section accepted (as the inline decoder, no cap beyond memory). */
const MAX_DECOMPRESSED = 2 ** 31 - 1;

/**
 * Batches of one fetch that are handed to the pool ahead of delivery, at most per partition.
 * All of a fetch's large batches used to be copied and posted at once when its delivery
 * started: with 8 MiB per partition that was up to ~50 copies and posts per partition in one
 * go (5-15 ms of event loop under load, the consume delay's p99), and a lane took one
 * partition's whole fetch before the next partition's first batch. Four ahead keep the lane's
 * thread busy (it runs them while the event loop delivers the one before) and bound both.
 */
export const DECOMPRESSIONS_AHEAD = 4;

/** A large compressed batch found in a fetch: where it starts, its codec and record count. */
interface PoolCandidate {
  batch: Buffer;
  codec: number;
  count: number;
  /** Its claim slot (index in the claims array, in offset order). */
  slot: number;
}

/** What the lane answered: the records in a shared block (copied out when taken), or in a buffer of their own. */
type LaneOutput = RecordBytes | (BlockResult & { count: number });

/** A candidate handed to the lane: its result, once the worker's answer was read. */
interface Submitted {
  candidate: PoolCandidate;
  work: Promise<LaneOutput>;
  settled: boolean;
  /** Decompressed on the event loop while it waited for an earlier batch (see takeBackAhead). */
  taken?: { section: RecordBytes } | { error: unknown };
}

/**
 * The records of a lane's answer as delivery gets them: out of their shared block into memory
 * of their own (the block goes back for reuse, the messages made from these bytes may be kept
 * by the application), checked against the batch's record count.
 */
function owned(out: LaneOutput, blocks: PoolBlocks): RecordBytes {
  const section = 'block' in out ? copiedOut(out, blocks) : out;
  checkCountFits(section.count, section.end - section.start);
  return section;
}

function copiedOut(out: BlockResult & { count: number }, blocks: PoolBlocks): RecordBytes {
  const bytes = Buffer.allocUnsafeSlow(out.length);
  bytes.set(new Uint8Array(out.block, 0, out.length));
  giveBack(blocks, out.block);
  return { bytes, start: 0, end: out.length, count: out.count };
}

/**
 * The large compressed batches of one partition's fetch that go to the pool, submitted
 * DECOMPRESSIONS_AHEAD at a time in offset order as delivery takes them (`take`), on the
 * partition's lane (which keeps their order). Event-loop thread.
 */
export class PooledDecompressions {
  private readonly pool: WorkerPool;
  private readonly blocks: PoolBlocks;
  private readonly key: string;
  /** Keyed by base offset (unique within a partition), in offset order. */
  private readonly candidates: Map<number, PoolCandidate>;
  private readonly order: number[];
  private readonly started = new Map<number, Submitted>();
  /** One Int32 per candidate, shared with the lane's thread: who decompresses it (see header). */
  private readonly claims: Int32Array;
  private next = 0;
  /** Batches taken back by the loop and still in the lane's queue (see retire). */
  private retiring = 0;

  private constructor(pool: WorkerPool, key: string, candidates: Map<number, PoolCandidate>) {
    this.pool = pool;
    this.blocks = poolBlocks(pool);
    this.key = key;
    this.candidates = candidates;
    this.order = [...candidates.keys()];
    this.claims = new Int32Array(new SharedArrayBuffer(4 * this.order.length));
    this.fill();
  }

  /**
   * The batches of `views` that end at or after `fromOffset` and are large enough for the pool
   * (header reads only, nothing copied yet); undefined when none is, or there is no pool.
   */
  static of(pool: WorkerPool | undefined, key: string, views: Buffer[], fromOffset: number): PooledDecompressions | undefined {
    if (!pool) return undefined;
    let candidates: Map<number, PoolCandidate> | undefined;
    for (const view of views) {
      for (const batch of iterateBatches(view)) {
        const codec = readInt16BE(batch, ATTRIBUTES) & COMPRESSION_CODEC_MASK;
        if (codec === 0) continue;
        const count = readInt32BE(batch, RECORDS_COUNT);
        if (!decompressesOnPool(codec, count, batch.length)) continue;
        const baseOffset = readBaseOffset(batch, 0);
        if (baseOffset + readLastOffsetDelta(batch, 0) < fromOffset) continue;
        candidates ??= new Map();
        candidates.set(baseOffset, { batch, codec, count, slot: candidates.size });
      }
    }
    return candidates && new PooledDecompressions(pool, key, candidates);
  }

  /**
   * The decompressed records of the batch at `baseOffset`: from the lane (a promise), or
   * already decompressed on the event loop; undefined when the caller decompresses it inline:
   * it is not one for the pool, or the lane had not begun it and the event loop took it back
   * (see the header). Submits the next ones behind it.
   */
  take(baseOffset: number): Promise<RecordBytes> | RecordBytes | undefined {
    const candidate = this.candidates.get(baseOffset);
    if (candidate === undefined) return undefined;
    this.candidates.delete(baseOffset);
    const submitted = this.started.get(baseOffset);
    this.started.delete(baseOffset);
    let result: Promise<RecordBytes> | RecordBytes | undefined;
    let failure: { error: unknown } | undefined;
    if (submitted === undefined) {
      // Not handed out (delivery asked past the window, or the window is full of batches taken
      // back that the lane has not reached yet): inline, as a batch the loop takes back.
      result = undefined;
    } else if (submitted.taken !== undefined) {
      this.retire(submitted);
      if ('error' in submitted.taken) failure = submitted.taken;
      else result = submitted.taken.section;
    } else if (submitted.settled) {
      result = this.own(submitted);
    } else if (this.claim(submitted)) {
      // The lane has not begun it: decompressing it here beats waiting behind the batches before it.
      this.retire(submitted);
      result = undefined;
    } else {
      // The lane is on it: rather than wait idle, the loop decompresses the next batch it has not begun.
      this.takeBackAhead();
      result = this.own(submitted);
    }
    this.fill();
    if (failure !== undefined) throw failure.error;
    return result;
  }

  /**
   * A batch the loop took back stays in the lane's queue until the lane reaches it and skips it:
   * it counts against the window until then, so a lane that cannot keep up is not handed copy
   * after copy of batches the loop ends up doing itself (the loop then decompresses the next
   * ones inline, unsubmitted).
   */
  private retire(submitted: Submitted): void {
    if (submitted.settled) return;
    this.retiring += 1;
    const done = () => void (this.retiring -= 1);
    submitted.work.then(done, done);
  }

  private own(submitted: Submitted): Promise<RecordBytes> {
    return submitted.work.then((out) => owned(out, this.blocks));
  }

  private claim(submitted: Submitted): boolean {
    return Atomics.compareExchange(this.claims, submitted.candidate.slot, UNCLAIMED, CLAIMED_BY_LOOP) === UNCLAIMED;
  }

  /**
   * Decompresses on the event loop the first handed-out batch the lane has not begun (one: the
   * loop is held about as long as the lane takes for the batch being waited for). Its failure
   * is kept and thrown when delivery takes that batch, where the inline path throws it.
   */
  private takeBackAhead(): void {
    for (const submitted of this.started.values()) {
      if (submitted.settled || submitted.taken !== undefined) continue;
      if (!this.claim(submitted)) continue;
      try {
        submitted.taken = { section: recordsOf(submitted.candidate.batch) };
      } catch (error) {
        submitted.taken = { error };
      }
      return;
    }
  }

  private fill(): void {
    while (this.started.size + this.retiring < DECOMPRESSIONS_AHEAD && this.next < this.order.length) {
      const baseOffset = this.order[this.next++]!;
      const candidate = this.candidates.get(baseOffset);
      if (candidate !== undefined) this.started.set(baseOffset, this.submit(candidate));
    }
  }

  private submit(candidate: PoolCandidate): Submitted {
    const { batch, codec, count, slot } = candidate;
    const { data, transfer, answered: inputFree } = taskInput(this.blocks, batch.subarray(HEADER_SIZE));
    const input: DecompressInput = { codec, data, maxBytes: MAX_DECOMPRESSED, claims: this.claims, slot, returned: takeReturned(this.blocks) };
    const submitted: Submitted = { candidate, work: undefined!, settled: false };
    const answered = () => {
      submitted.settled = true;
      inputFree();
    };
    submitted.work = this.pool.run<BlockResult | Uint8Array | null | TaskOutcome<never>>(this.key, 'decompress', input, transfer).then(
      (out): LaneOutput => {
        answered();
        // null: the loop claimed the batch first and decompressed it itself; nobody awaits this.
        if (out === null) return { bytes: EMPTY, start: 0, end: 0, count: 0 };
        if (out instanceof Uint8Array) return { bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength), start: 0, end: out.byteLength, count };
        if ('block' in out) return { block: out.block, length: out.length, count };
        return unwrapOutcome(out);
      },
      (err: unknown) => {
        answered();
        throw err;
      },
    );
    // Delivery may stop before it reaches a batch (rebalance, seek): its failure is not unhandled.
    submitted.work.catch(() => undefined);
    return submitted;
  }
}

const EMPTY = Buffer.alloc(0);
