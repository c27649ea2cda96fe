/**
 * client/pooled-decompression.ts with a real one-thread pool: a large compressed batch the
 * lane has not begun is taken back by the event loop when delivery reaches it (take answers
 * undefined: decompress inline), the lane then skips it and goes on with the next; batches the
 * lane has begun or finished come from the lane, whole and in order.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WorkerPool } from '../../src/workers/pool.js';
import { DECOMPRESSIONS_AHEAD, PooledDecompressions } from '../../src/client/pooled-decompression.js';
import { recordsOf } from '../../src/records/decode-record-batch.js';
import { compressedBatch } from '../helpers/compressed-batches.js';
import { within } from '../helpers/timeout.js';

const fixture = new URL('./fixture-lane-tasks.js', import.meta.url);
const KEY = 't\u00000';

/** Three 1500-record gzip batches (over the pool threshold) at offsets 0, 1500 and 3000, in one view. */
function threeBatches(): { view: Buffer; bases: number[]; batches: Buffer[] } {
  const bases = [0, 1500, 3000];
  const batches = bases.map((base) => {
    const batch = compressedBatch(Array.from({ length: 1500 }, (_, i) => ({ value: `v${base + i}` })), 1);
    batch.writeBigInt64BE(BigInt(base), 0); // the base offset lies outside the CRC's range
    return batch;
  });
  return { view: Buffer.concat(batches), bases, batches };
}

/** A warmed one-thread pool whose decompressions hold their lane after their claim, until the gate opens. */
async function heldAfterClaimPool(): Promise<{ pool: WorkerPool; release: () => void; claimed: () => Promise<void> }> {
  const pool = new WorkerPool({ size: 1, filename: fixture });
  await pool.warmUp();
  const gate = new Int32Array(new SharedArrayBuffer(8));
  await pool.run(KEY, 'setDecompressGate', { gate });
  return {
    pool,
    release: () => {
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
    },
    claimed: () => within(10_000, until(() => Atomics.load(gate, 1) === 1)),
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

test('a batch the lane has not begun is taken back by the event loop; the lane skips it and decompresses the rest', async () => {
  const pool = new WorkerPool({ size: 1, filename: fixture });
  try {
    await pool.warmUp();
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const held = pool.run(KEY, 'hold', { gate });
    const { view, bases, batches } = threeBatches();
    const expected = batches.map((batch) => recordsOf(batch).bytes);
    const work = PooledDecompressions.of(pool, KEY, [view], 0)!;
    assert.ok(work, 'three large gzip batches are for the pool');
    // The lane is held: it has begun none of them, so the loop takes the first back.
    assert.is(work.take(bases[0]!), undefined, 'the first batch is decompressed inline');
    const completedBefore = pool.completed;
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    await within(10_000, held);
    // hold, then the three decompress tasks: the first answers without work, two decompress.
    await within(10_000, until(() => pool.completed >= completedBefore + 4));
    for (const i of [1, 2]) {
      const pending = work.take(bases[i]!);
      assert.ok(pending instanceof Promise, `batch ${i} comes from the lane`);
      const section = await within(10_000, pending);
      assert.is(section.count, 1500);
      assert.ok(section.bytes.subarray(section.start, section.end).equals(expected[i]!), `batch ${i}'s records are whole`);
    }
  } finally {
    await pool.close();
  }
});

test('while the loop waits for a batch the lane is on, it decompresses the next one the lane has not begun', async () => {
  const { pool, release, claimed } = await heldAfterClaimPool();
  try {
    const completedBefore = pool.completed;
    const { view, bases, batches } = threeBatches();
    const expected = batches.map((batch) => recordsOf(batch).bytes);
    const work = PooledDecompressions.of(pool, KEY, [view], 0)!;
    // The lane claims the first batch, decompresses it and holds: it is on it, not done.
    await claimed();
    const first = work.take(bases[0]!);
    assert.ok(first instanceof Promise, 'the first batch comes from the lane');
    const second = work.take(bases[1]!);
    assert.ok(second !== undefined && !(second instanceof Promise), 'the second was decompressed on the loop while it waited');
    assert.ok(second.bytes.subarray(second.start, second.end).equals(expected[1]!), "the loop's batch is whole");
    release();
    const section = await within(10_000, first);
    assert.ok(section.bytes.subarray(section.start, section.end).equals(expected[0]!), "the lane's batch is whole");
    // The lane skips the second (claimed by the loop) and decompresses the third.
    await within(10_000, until(() => pool.completed >= completedBefore + 3));
    const third = work.take(bases[2]!);
    assert.ok(third instanceof Promise, 'the third comes from the lane');
    const thirdSection = await within(10_000, third);
    assert.ok(thirdSection.bytes.subarray(thirdSection.start, thirdSection.end).equals(expected[2]!));
  } finally {
    await pool.close();
  }
});

test('a corrupt batch the loop decompressed ahead fails when delivery takes it, with the inline error', async () => {
  const { pool, release, claimed } = await heldAfterClaimPool();
  try {
    const { batches, bases } = threeBatches();
    // The second batch's compressed bytes cut short: it does not inflate.
    const cut = Buffer.from(batches[1]!);
    cut.fill(0, cut.length - 200);
    const work = PooledDecompressions.of(pool, KEY, [Buffer.concat([batches[0]!, cut, batches[2]!])], 0)!;
    await claimed();
    const first = work.take(bases[0]!);
    assert.ok(first instanceof Promise);
    let inlineError: unknown;
    try {
      recordsOf(cut);
    } catch (err) {
      inlineError = err;
    }
    assert.instance(inlineError, Error, 'the cut batch does not decompress inline either');
    try {
      work.take(bases[1]!);
      assert.unreachable('taking the corrupt batch throws');
    } catch (err) {
      assert.is((err as { code?: string }).code, (inlineError as { code?: string }).code);
    }
    release();
    await within(10_000, first);
  } finally {
    await pool.close();
  }
});

test('with a free lane every batch comes from the lane, whole', async () => {
  const pool = new WorkerPool({ size: 1, filename: fixture });
  try {
    await pool.warmUp();
    const { view, bases, batches } = threeBatches();
    const work = PooledDecompressions.of(pool, KEY, [view], 0)!;
    await within(10_000, until(() => pool.completed >= 4)); // ready + three decompressions
    for (const [i, base] of bases.entries()) {
      const pending = work.take(base);
      assert.ok(pending instanceof Promise, `batch ${i} comes from the lane`);
      const section = await within(10_000, pending);
      assert.is(section.count, 1500);
      assert.ok(section.bytes.subarray(section.start, section.end).equals(recordsOf(batches[i]!).bytes));
    }
  } finally {
    await pool.close();
  }
});

/** `n` 1500-record gzip batches, each with values of its own, at consecutive offsets, in one view. */
function manyBatches(n: number): { view: Buffer; bases: number[]; batches: Buffer[] } {
  const bases = Array.from({ length: n }, (_, i) => i * 1500);
  const batches = bases.map((base) => {
    const batch = compressedBatch(Array.from({ length: 1500 }, (_, i) => ({ value: `batch ${base / 1500} record ${i}` })), 1);
    batch.writeBigInt64BE(BigInt(base), 0);
    return batch;
  });
  return { view: Buffer.concat(batches), bases, batches };
}

test("the lane's output blocks are reused, and records already taken keep their bytes", async () => {
  // The real worker module (no fixture): its decompress writes into shared blocks it reuses.
  const pool = new WorkerPool({ size: 1 });
  try {
    await pool.warmUp();
    const { view, bases, batches } = manyBatches(24);
    const work = PooledDecompressions.of(pool, KEY, [view], 0)!;
    const kept: Buffer[] = [];
    for (const base of bases) {
      // Wait until the lane has answered the batch, so that it comes from the lane (a block), not the loop.
      await within(10_000, until(() => pool.running === 0));
      const taken = work.take(base);
      assert.ok(taken instanceof Promise, `batch at ${base} comes from the lane`);
      const section = await within(10_000, taken);
      kept.push(section.bytes.subarray(section.start, section.end));
    }
    // Every batch's records as taken, after the blocks they came through were reused for later batches.
    for (const [i, bytes] of kept.entries()) assert.ok(bytes.equals(recordsOf(batches[i]!).bytes), `batch ${i} kept its bytes`);
    const blocks = await pool.run<{ allocated: number; kept: number }>(KEY, 'outputBlocks', null);
    assert.ok(blocks.allocated <= DECOMPRESSIONS_AHEAD + 2, `24 batches through ${blocks.allocated} output blocks`);
  } finally {
    await pool.close();
  }
});

test('a batch outside the pool is not taken: take answers undefined and nothing runs', async () => {
  const pool = new WorkerPool({ size: 1, filename: fixture });
  try {
    const small = compressedBatch([{ value: 'tiny' }], 1);
    assert.is(PooledDecompressions.of(pool, KEY, [small], 0), undefined);
    assert.is(PooledDecompressions.of(undefined, KEY, [threeBatches().view], 0), undefined, 'no pool, nothing pooled');
  } finally {
    await pool.close();
  }
});

test.run();
