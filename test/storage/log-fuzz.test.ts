/**
 * Random operation sequences against an in-memory model of the log (Redpanda opfuzz style).
 *
 * Ops: append (1..3 batches of 1..20 records, values up to 20 KiB so some batches outgrow an
 * 8 KiB segment), read at random offsets with random maxBytes/maxOffset/minOneBatch, roll,
 * flush, applyRetention by size, close and reopen (a third of them unclean: the clean-shutdown
 * marker removed), gc, offsetForTimestamp. The model is the list of appended batches (exact
 * bytes, base and last offset) and the log start offset; after every op the log's offsets and
 * size must match it, and every read must return exactly the model's batches. Views taken by
 * reads are held at random and must keep their bytes across retention, close({ keepViews }),
 * reopen and gc (a plain close() empties them).
 *
 * Every fourth seed runs with native.setForceCopy(true) (the copy path, no external buffers).
 * Seeds 1..24 (SKEIN_FUZZ_SEED=n runs one seed; SKEIN_FUZZ_SEEDS=n runs n seeds from
 * SKEIN_FUZZ_FIRST_SEED + 1; SKEIN_FUZZ_OPS=n sets the ops per seed).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog, type ReadResult } from '../../src/storage/partition-log.js';
import { SkeinError } from '../../src/errors.js';
import { native } from '../../src/native/binding.js';
import { encodeRecordBatch, type RecordInput } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { splitWhole } from '../helpers/offset-batches.js';
import { batchOf, recordsOf } from '../helpers/batches.js';
import { collectUntil } from '../helpers/gc.js';
import { Random } from '../helpers/random.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const SEEDS = process.env.SKEIN_FUZZ_SEED
  ? [Number(process.env.SKEIN_FUZZ_SEED)]
  : Array.from({ length: Number(process.env.SKEIN_FUZZ_SEEDS ?? 24) }, (_, i) => i + 1 + Number(process.env.SKEIN_FUZZ_FIRST_SEED ?? 0));
const OPS = Number(process.env.SKEIN_FUZZ_OPS ?? 300);
const T0 = 1_700_000_000_000;

interface ModelBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Buffer;
  /** Record timestamps in offset order. */
  timestamps: number[];
}

class Model {
  batches: ModelBatch[] = [];
  logStartOffset = 0;

  get logEndOffset(): number {
    return this.batches.length === 0 ? this.logStartOffset : this.batches[this.batches.length - 1]!.lastOffset + 1;
  }

  /** Batches still in the log (retention drops whole segments, so whole batches). */
  get live(): ModelBatch[] {
    return this.batches.filter((b) => b.baseOffset >= this.logStartOffset);
  }

  get size(): number {
    return this.live.reduce((sum, b) => sum + b.bytes.length, 0);
  }

  indexOf(offset: number): number {
    return this.batches.findIndex((b) => b.lastOffset >= offset);
  }
}

function randomBatch(rng: Random, clock: { now: number }): { bytes: Buffer; timestamps: number[] } {
  const count = rng.int(1, 20);
  const records: RecordInput[] = [];
  const timestamps: number[] = [];
  for (let i = 0; i < count; i++) {
    const roll = rng.float();
    const size = roll < 0.85 ? rng.int(0, 200) : roll < 0.97 ? rng.int(200, 3000) : rng.int(3000, 20_000);
    clock.now += rng.int(0, 3);
    const timestamp = rng.chance(0.05) ? clock.now - rng.int(1, 50) : clock.now;
    timestamps.push(timestamp);
    records.push({
      key: rng.chance(0.2) ? null : rng.bytes(rng.int(0, 16)),
      value: rng.chance(0.03) ? null : rng.bytes(size),
      headers: rng.chance(0.3) ? [{ key: 'h', value: rng.bytes(rng.int(0, 8)) }] : [],
      timestamp,
    });
  }
  return { bytes: encodeRecordBatch(records), timestamps };
}

function withBaseOffset(batch: Buffer, baseOffset: number): Buffer {
  const copy = Buffer.from(batch);
  copy.writeBigInt64BE(BigInt(baseOffset), 0);
  return copy;
}

function segmentBases(dir: string): number[] {
  return readdirSync(dir)
    .filter((n) => /^\d{20}\.log$/.test(n))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

/** Checks a read against the model; returns the batches it returned. */
function checkRead(model: Model, offset: number, opts: { maxBytes: number; maxOffset?: number; minOneBatch?: boolean }, read: ReadResult, where: string): void {
  const minOneBatch = opts.minOneBatch ?? true;
  const maxOffset = opts.maxOffset ?? Infinity;
  assert.is(read.logStartOffset, model.logStartOffset, `read.logStartOffset — ${where}`);
  assert.is(read.logEndOffset, model.logEndOffset, `read.logEndOffset — ${where}`);
  const got = read.views.flatMap((v) => splitWhole(v));
  assert.is(read.bytes, got.reduce((n, b) => n + b.length, 0), `read.bytes — ${where}`);
  const k = model.indexOf(offset);
  if (offset === model.logEndOffset || k < 0) {
    assert.is(got.length, 0, `nothing to read at the end — ${where}`);
    assert.is(read.nextOffset, offset, where);
    return;
  }
  const first = model.batches[k]!;
  const mustReturnOne = minOneBatch && first.lastOffset < maxOffset;
  if (mustReturnOne) assert.ok(got.length > 0, `a read below logEndOffset returns at least one batch — ${where}`);
  for (let i = 0; i < got.length; i++) {
    const want = model.batches[k + i];
    assert.ok(want, `read returned more batches than the log holds — ${where}`);
    assert.ok(got[i]!.equals(want!.bytes), `batch ${i} of the read is batch ${want!.baseOffset} exactly — ${where}`);
    assert.ok(want!.lastOffset < maxOffset, `no batch reaching maxOffset — ${where}`);
  }
  if (got.length > 1) assert.ok(read.bytes <= opts.maxBytes, `${read.bytes} bytes within maxBytes ${opts.maxBytes} — ${where}`);
  if (got.length === 1 && !minOneBatch) assert.ok(read.bytes <= opts.maxBytes, `minOneBatch false respects maxBytes — ${where}`);
  assert.is(read.firstOffset, got.length > 0 ? first.baseOffset : -1, `read.firstOffset — ${where}`);
  assert.is(read.nextOffset, got.length > 0 ? model.batches[k + got.length - 1]!.lastOffset + 1 : offset, `read.nextOffset — ${where}`);
  // Decoding works on every returned batch (CRC included).
  for (const batch of got) decodeRecordBatch(batch);
}

async function runSeed(seed: number): Promise<{ ops: Record<string, number>; segments: number }> {
  const rng = new Random(seed);
  const dir = join(tempDir('skein-fuzz-'), 'p0');
  const config: Partial<LogConfig> = {
    segmentBytes: 8 * 1024,
    indexIntervalBytes: rng.pick([0, 256, 1024, 4096]),
    retentionBytes: rng.pick([16, 32, 64]) * 1024,
    retentionMs: -1,
    segmentMs: Infinity,
    maxMessageBytes: 512 * 1024,
    flushMessages: rng.pick([1, 10, Infinity]),
    preallocateBytes: 4096,
  };
  // Every fourth seed runs in copy mode (no external buffers: reads and walks through
  // readCopy, appends through write), the path taken where the runtime refuses them.
  const copyMode = seed % 4 === 0;
  native.setForceCopy(copyMode);
  let log = await PartitionLog.open(dir, { config });
  const model = new Model();
  const clock = { now: T0 };
  const held: { view: Buffer; bytes: Buffer }[] = [];
  const counts: Record<string, number> = {};
  let maxSegments = 0;
  const checkHeld = (where: string) => {
    for (const h of held) assert.ok(h.view.equals(h.bytes), `a view held since its read keeps its bytes — ${where}`);
  };
  try {
    for (let step = 0; step < OPS; step++) {
      const roll = rng.float();
      const op =
        roll < 0.4 ? 'append' : roll < 0.7 ? 'read' : roll < 0.75 ? 'roll' : roll < 0.8 ? 'flush' : roll < 0.87 ? 'retention' : roll < 0.92 ? 'reopen' : roll < 0.95 ? 'gc' : 'timestamp';
      counts[op] = (counts[op] ?? 0) + 1;
      const where = `seed ${seed}${copyMode ? ' (copy mode)' : ''} step ${step} (${op}); rerun with SKEIN_FUZZ_SEED=${seed}`;
      switch (op) {
        case 'append': {
          const parts = Array.from({ length: rng.chance(0.8) ? 1 : rng.int(2, 3) }, () => randomBatch(rng, clock));
          const input = Buffer.concat(parts.map((p) => p.bytes));
          const result = rng.chance(0.5) ? await log.append(input) : log.appendSync(input);
          assert.is(result.baseOffset, model.logEndOffset, `append gets logEndOffset — ${where}`);
          let base = result.baseOffset;
          for (const part of parts) {
            const last = base + part.timestamps.length - 1;
            model.batches.push({ baseOffset: base, lastOffset: last, bytes: withBaseOffset(part.bytes, base), timestamps: part.timestamps });
            base = last + 1;
          }
          assert.is(result.lastOffset, base - 1, where);
          break;
        }
        case 'read': {
          const offset = rng.int(model.logStartOffset - 2, model.logEndOffset + 2);
          const opts = {
            maxBytes: rng.pick([0, 1, 100, 1000, 5000, 20_000, 1 << 20]),
            maxOffset: rng.chance(0.2) ? rng.int(model.logStartOffset, model.logEndOffset + 1) : undefined,
            minOneBatch: rng.chance(0.85),
          };
          if (offset < model.logStartOffset || offset > model.logEndOffset) {
            try {
              log.read(offset, opts);
              assert.unreachable(`read(${offset}) outside [${model.logStartOffset}, ${model.logEndOffset}] throws — ${where}`);
            } catch (err) {
              assert.ok(err instanceof SkeinError && err.code === 'SKEIN_OFFSET_OUT_OF_RANGE', `${String(err)} — ${where}`);
            }
            break;
          }
          const read = log.read(offset, opts);
          checkRead(model, offset, opts, read, `${where}, read(${offset}, ${JSON.stringify(opts)})`);
          if (read.views.length > 0 && rng.chance(0.3)) {
            const view = rng.pick(read.views);
            held.push({ view, bytes: Buffer.from(view) });
            if (held.length > 40) held.shift();
          }
          break;
        }
        case 'roll': {
          const before = log.segmentCount;
          const activeEmpty = model.logEndOffset === segmentBases(dir).at(-1);
          log.roll();
          assert.is(log.segmentCount, activeEmpty ? before : before + 1, `roll starts a segment unless the active one is empty — ${where}`);
          break;
        }
        case 'flush':
          await log.flush();
          break;
        case 'retention': {
          // Kafka's rule over the segments as they are: drop the oldest while the rest alone
          // still reach retention.bytes; never the active (last) segment.
          const bases = segmentBases(dir);
          const sizes = bases.map((b, i) => model.live.filter((x) => x.baseOffset >= b && (i + 1 >= bases.length || x.baseOffset < bases[i + 1]!)).reduce((n, x) => n + x.bytes.length, 0));
          let total = sizes.reduce((a, b) => a + b, 0);
          let drop = 0;
          while (drop < bases.length - 1 && total - sizes[drop]! >= config.retentionBytes!) total -= sizes[drop++]!;
          const result = log.applyRetention(clock.now);
          assert.is(result.deletedSegments, drop, `segments deleted — ${where}`);
          model.logStartOffset = bases[drop]!;
          assert.is(result.logStartOffset, model.logStartOffset, where);
          assert.equal(segmentBases(dir), bases.slice(drop), `the deleted segments' files are gone — ${where}`);
          checkHeld(where);
          break;
        }
        case 'reopen': {
          // close() releases every mapping at once and held views become empty (never other
          // bytes); close({ keepViews }) leaves them readable until collected.
          const keepViews = rng.chance(0.5);
          await log.close({ keepViews });
          const unclean = rng.chance(0.33);
          if (unclean) unlinkSync(join(dir, '.clean-shutdown'));
          if (keepViews) {
            checkHeld(`${where}, after close`);
          } else {
            for (const h of held) {
              assert.ok(h.view.length === 0 || h.view.equals(h.bytes), `a held view is empty or intact after close — ${where}`);
            }
            held.length = 0;
          }
          log = await PartitionLog.open(dir, { config });
          // Everything reads back after the reopen, batch by batch.
          let next = model.logStartOffset;
          while (next < model.logEndOffset) {
            const opts = { maxBytes: rng.pick([1, 3000, 1 << 20]) };
            const read = log.read(next, opts);
            checkRead(model, next, opts, read, `${where}, ${unclean ? 'unclean' : 'clean'} reopen, read(${next})`);
            next = read.nextOffset;
          }
          break;
        }
        case 'gc': {
          await collectUntil(() => false, 2);
          checkHeld(where);
          break;
        }
        case 'timestamp': {
          const target = rng.int(T0 - 10, clock.now + 10);
          let want: { offset: number; timestamp: number } | undefined;
          for (const b of model.live) {
            const i = b.timestamps.findIndex((t) => t >= target);
            if (i >= 0) {
              want = { offset: b.baseOffset + i, timestamp: b.timestamps[i]! };
              break;
            }
          }
          assert.equal(log.offsetForTimestamp(target), want, `offsetForTimestamp(${target}) — ${where}`);
          break;
        }
      }
      assert.is(log.logStartOffset, model.logStartOffset, `logStartOffset — ${where}`);
      assert.is(log.logEndOffset, model.logEndOffset, `logEndOffset — ${where}`);
      assert.is(log.size, model.size, `size — ${where}`);
      maxSegments = Math.max(maxSegments, log.segmentCount);
    }
    checkHeld(`seed ${seed} end`);
  } finally {
    await log.close();
    native.setForceCopy(false);
  }
  return { ops: counts, segments: maxSegments };
}

test('regression: a read whose next batch does not fit maxBytes stops, it does not skip to a later segment', async () => {
  // Segment 1 ends with a small batch; segment 2 starts with one too big for the bytes left;
  // segment 3 holds small batches. read() used to skip segment 2 and return segment 3's.
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: { segmentBytes: 4096 } });
  await log.append(batchOf('a', 1, 100));
  log.roll();
  await log.append(batchOf('big', 1, 3000));
  log.roll();
  await log.append(batchOf('c', 1, 100));
  const read = log.read(0, { maxBytes: 1000 });
  assert.equal(recordsOf(read.views).map((r) => r.offset), [0]);
  assert.is(read.nextOffset, 1);
  assert.equal(recordsOf(log.read(1, { maxBytes: 1000 }).views).map((r) => r.offset), [1], 'the big batch comes next, alone');
  await log.close();
});

test('regression: a closed log leaves no deferred cut that lands on data appended after a reopen', async () => {
  // close() asked for the active segment to be cut to its size; with a view alive the cut
  // waited for gc, and then removed what the reopened log had appended meanwhile.
  const dir = join(tempDir(), 'p0');
  let log = await PartitionLog.open(dir, { config: { segmentBytes: 64 * 1024 } });
  for (let i = 0; i < 5; i++) await log.append(batchOf(`a${i}`, 1, 100));
  let view: Buffer | undefined = log.read(0).views[0];
  await log.close({ keepViews: true });
  log = await PartitionLog.open(dir, { config: { segmentBytes: 64 * 1024 } });
  for (let i = 0; i < 5; i++) await log.append(batchOf(`b${i}`, 1, 100));
  assert.is(view!.length > 0, true);
  view = undefined;
  await collectUntil(() => false, 10);
  await log.append(batchOf('c', 1, 100));
  const values = recordsOf(log.read(0).views).map((r) => r.value.split('.')[0]);
  assert.equal(values, ['a0-0', 'a1-0', 'a2-0', 'a3-0', 'a4-0', 'b0-0', 'b1-0', 'b2-0', 'b3-0', 'b4-0', 'c-0']);
  await log.close();
  log = await PartitionLog.open(dir);
  assert.is(log.logEndOffset, 11);
  await log.close();
});

test(`random op sequences match the model (${SEEDS.length} seeds × ${OPS} ops)`, async () => {
  const totals: Record<string, number> = {};
  let maxSegments = 0;
  for (const seed of SEEDS) {
    const { ops, segments } = await runSeed(seed);
    for (const [op, n] of Object.entries(ops)) totals[op] = (totals[op] ?? 0) + n;
    maxSegments = Math.max(maxSegments, segments);
  }
  console.log(`  fuzz: ${SEEDS.length} seeds × ${OPS} ops: ${JSON.stringify(totals)}; up to ${maxSegments} segments`);
  assert.ok(maxSegments > 3, 'segments rolled');
});

test.run();
