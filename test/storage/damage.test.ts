/**
 * Damaged segment and index files: whatever was flipped, cut, appended or removed, open
 * either cuts the log back to the batches before the damage, or reads of the damaged bytes
 * throw SKEIN_CORRUPT_SEGMENT; a read never returns bytes other than those appended.
 * (Kafka LogSegmentTest.testRecoveryWithCorruptMessage / testRecoveryFixesCorruptIndex.)
 *
 * Each case builds a real log of small deterministic batches (helpers/offset-batches.ts:
 * content is a function of the base offset, so every batch read back is compared byte for
 * byte), closes it, damages the files, reopens and checks. Each loops over seeds; a failure
 * names its seed (SKEIN_DAMAGE_SEED=<n> runs that seed alone; SKEIN_DAMAGE_SEEDS=<n> runs seeds 1..n).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import { LOG_OVERHEAD, readBaseOffset, readBatchLength, readLastOffsetDelta } from '../../src/records/batch-header.js';
import { SMALL_PROFILE, batchForBase, checkBatch, checkWholeLog, splitWhole } from '../helpers/offset-batches.js';
import { Random } from '../helpers/random.js';
import { collectUntil } from '../helpers/gc.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const T0 = 1_700_000_000_000;
const CONFIG = { segmentBytes: 16 * 1024, indexIntervalBytes: 1024, segmentMs: Infinity, retentionMs: -1 };
const SEEDS = process.env.SKEIN_DAMAGE_SEED
  ? [Number(process.env.SKEIN_DAMAGE_SEED)]
  : Array.from({ length: Number(process.env.SKEIN_DAMAGE_SEEDS ?? 40) }, (_, i) => i + 1);
const CLEAN_MARKER = '.clean-shutdown';

interface BatchAt {
  baseOffset: number;
  lastOffset: number;
  position: number;
  size: number;
}

interface SegmentFiles {
  baseOffset: number;
  path: string;
  batches: BatchAt[];
  /** Bytes of whole batches (the file may be longer until it is cut at the next open). */
  size: number;
}

interface Built {
  dir: string;
  segments: SegmentFiles[];
  all: BatchAt[];
  logEndOffset: number;
}

const names = (dir: string) => readdirSync(dir).sort();
const logName = (base: number) => `${String(base).padStart(20, '0')}.log`;

/** The batches of each .log file of a closed log, read straight from the files. */
function layoutOf(dir: string): SegmentFiles[] {
  const segments: SegmentFiles[] = [];
  for (const name of names(dir).filter((n) => n.endsWith('.log'))) {
    const path = join(dir, name);
    const bytes = readFileSync(path);
    const batches: BatchAt[] = [];
    let position = 0;
    while (position + 61 <= bytes.length) {
      const length = readBatchLength(bytes, position);
      if (length < 49) break; // the zeros after the last batch
      const baseOffset = readBaseOffset(bytes, position);
      batches.push({ baseOffset, lastOffset: baseOffset + readLastOffsetDelta(bytes, position), position, size: LOG_OVERHEAD + length });
      position += LOG_OVERHEAD + length;
    }
    segments.push({ baseOffset: Number(name.slice(0, 20)), path, batches, size: position });
  }
  return segments;
}

/** A closed log of about `segments` full segments of small batches, plus part of another. */
async function buildLog(rng: Random, segments = 4): Promise<Built> {
  const dir = join(tempDir('skein-damage-'), 'p0');
  const log = await PartitionLog.open(dir, { config: CONFIG });
  while (log.segmentCount < segments) log.appendSync(batchForBase(log.logEndOffset, T0, SMALL_PROFILE));
  for (let i = rng.int(2, 30); i > 0; i--) log.appendSync(batchForBase(log.logEndOffset, T0, SMALL_PROFILE));
  const logEndOffset = log.logEndOffset;
  await log.close();
  // Let collected views release their mappings now, so no cut deferred by this process lands
  // on a file after the test has damaged it.
  await collectUntil(() => false, 3);
  const layout = layoutOf(dir);
  const all = layout.flatMap((s) => s.batches);
  assert.is(all.length > 0 && all[all.length - 1]!.lastOffset + 1, logEndOffset, 'the files hold what was appended');
  return { dir, segments: layout, all, logEndOffset };
}

async function open(dir: string, warnings: string[] = []): Promise<PartitionLog> {
  return PartitionLog.open(dir, { config: CONFIG, onWarning: (m) => warnings.push(m) });
}

function removeCleanMarker(dir: string): void {
  unlinkSync(join(dir, CLEAN_MARKER));
}

/** The log holds exactly the built batches below `endOffset`, byte for byte, and goes on from there. */
async function expectExactPrefix(log: PartitionLog, built: Built, endOffset: number, where: string): Promise<void> {
  assert.is(log.logEndOffset, endOffset, `logEndOffset — ${where}`);
  let batches;
  try {
    batches = checkWholeLog(log, T0, SMALL_PROFILE, 1 + (endOffset % 7) * 1000);
  } catch (err) {
    assert.unreachable(`${(err as Error).message} — ${where}`);
    return;
  }
  const want = built.all.filter((b) => b.lastOffset < endOffset);
  assert.equal(batches.map((b) => b.baseOffset), want.map((b) => b.baseOffset), `batches kept — ${where}`);
  // Appending goes on at logEndOffset, and the log reads back whole again.
  const base = log.logEndOffset;
  const result = await log.append(batchForBase(base, T0, SMALL_PROFILE));
  assert.is(result.baseOffset, base, where);
  checkWholeLog(log, T0, SMALL_PROFILE);
}

/** The base offset of the first batch that is not wholly below `position` in `segment`, or the segment's end. */
function firstBatchReaching(segment: SegmentFiles, position: number, segmentEnd: number): number {
  const hit = segment.batches.find((b) => b.position + b.size > position);
  return hit ? hit.baseOffset : segmentEnd;
}

/** Positions in a batch whose change must be detected: all but partitionLeaderEpoch (bytes 12..15). */
function detectablePosition(rng: Random, batch: BatchAt): number {
  // partitionLeaderEpoch lies outside the CRC by Kafka's design (the leader rewrites it), so a
  // flip there is invisible to any check; every other byte is framing, magic, CRC, baseOffset
  // (which must still follow the previous batch) or covered by the CRC.
  // The 61-byte header gets 40% of the flips: it holds the fields walks trust.
  for (;;) {
    const at = rng.chance(0.4) ? rng.int(0, 60) : rng.int(0, batch.size - 1);
    if (at < 12 || at > 15) return batch.position + at;
  }
}

function flip(path: string, position: number, rng: Random): void {
  const bytes = readFileSync(path);
  bytes[position] ^= rng.int(1, 255);
  writeFileSync(path, bytes);
}

/** Reads that may fail only with SKEIN_CORRUPT_SEGMENT; whatever they return must be exact. */
function readOrCorrupt(log: PartitionLog, offset: number, maxBytes: number, where: string): number[] | 'corrupt' {
  let read;
  try {
    read = log.read(offset, { maxBytes });
  } catch (err) {
    assert.ok(err instanceof SkeinError, `read(${offset}) threw ${String(err)} — ${where}`);
    assert.is((err as SkeinError).code, 'SKEIN_CORRUPT_SEGMENT', `read(${offset}) threw ${(err as Error).message} — ${where}`);
    return 'corrupt';
  }
  const bases: number[] = [];
  let next = read.firstOffset;
  for (const view of read.views) {
    for (const batch of splitWhole(view)) {
      try {
        const stored = checkBatch(batch, T0, SMALL_PROFILE);
        assert.is(stored.baseOffset, next, `read(${offset}) batches follow each other — ${where}`);
        bases.push(stored.baseOffset);
        next = stored.lastOffset + 1;
      } catch (err) {
        assert.unreachable(`read(${offset}) returned wrong bytes: ${(err as Error).message} — ${where}`);
      }
    }
  }
  return bases;
}

test('(a) flipped bytes in the last segment, unclean open: exactly the batches before the damaged one survive', async () => {
  for (const seed of SEEDS) {
    const rng = new Random(seed);
    const built = await buildLog(rng);
    const last = built.segments[built.segments.length - 1]!;
    const flips = [];
    for (let i = rng.int(1, 3); i > 0; i--) flips.push(detectablePosition(rng, rng.pick(last.batches)));
    for (const position of flips) flip(last.path, position, rng);
    removeCleanMarker(built.dir);
    const damagedAt = firstBatchReaching(last, Math.min(...flips), built.logEndOffset);
    const where = `seed ${seed}, flips at ${flips.join(', ')} of ${last.path}, damaged batch ${damagedAt}`;
    const warnings: string[] = [];
    const log = await open(built.dir, warnings);
    try {
      await expectExactPrefix(log, built, damagedAt, where);
      assert.ok(warnings.length > 0, `an unclean open warns — ${where}`);
    } finally {
      await log.close();
    }
  }
});

test('(b) flipped bytes with the clean-shutdown marker in place: cut at open, or SKEIN_CORRUPT_SEGMENT on read, never wrong bytes', async () => {
  let cut = 0;
  let corruptReads = 0;
  for (const seed of SEEDS) {
    const rng = new Random(seed);
    const built = await buildLog(rng);
    const last = built.segments[built.segments.length - 1]!;
    const damaged = rng.pick(last.batches);
    const position = detectablePosition(rng, damaged);
    flip(last.path, position, rng);
    const where = `seed ${seed}, flip at ${position} of ${last.path}, damaged batch ${damaged.baseOffset}`;
    const log = await open(built.dir);
    try {
      if (log.logEndOffset === damaged.baseOffset) {
        cut += 1;
        await expectExactPrefix(log, built, damaged.baseOffset, where);
        continue;
      }
      assert.is(log.logEndOffset, built.logEndOffset, `open either cuts at the damaged batch or keeps everything — ${where}`);
      for (const batch of built.all) {
        const got = readOrCorrupt(log, batch.baseOffset, 1, where);
        if (batch.baseOffset < damaged.baseOffset || batch.baseOffset > damaged.baseOffset) {
          // Undamaged batches read alone: right bytes, or (past the damage, if the walk to
          // them crosses the damaged header) a coded refusal.
          if (got !== 'corrupt') assert.equal(got, [batch.baseOffset], `read(${batch.baseOffset}) — ${where}`);
          else assert.ok(batch.baseOffset > damaged.baseOffset, `read(${batch.baseOffset}) before the damage works — ${where}`);
        } else {
          assert.is(got, 'corrupt', `the damaged batch is refused — ${where}`);
          corruptReads += 1;
        }
      }
      // Bigger reads that run into the damaged batch are refused (or stop before it).
      for (const offset of [0, last.baseOffset, damaged.baseOffset]) {
        const got = readOrCorrupt(log, offset, 1 << 20, where);
        if (got !== 'corrupt') assert.ok(!got.includes(damaged.baseOffset), `read(${offset}) — ${where}`);
      }
    } finally {
      await log.close();
    }
  }
  console.log(`  (b) ${SEEDS.length} seeds: ${cut} cut at open, ${corruptReads} damaged batches refused on read`);
});

test('(c) the last .log cut at random lengths: open recovers to the last whole batch', async () => {
  for (const seed of SEEDS) {
    const rng = new Random(seed);
    const built = await buildLog(rng);
    const last = built.segments[built.segments.length - 1]!;
    const length = rng.chance(0.1) ? 0 : rng.int(0, last.size);
    truncateSync(last.path, length);
    const unclean = rng.chance(0.5);
    if (unclean) removeCleanMarker(built.dir);
    const whole = last.batches.filter((b) => b.position + b.size <= length);
    const endOffset = whole.length > 0 ? whole[whole.length - 1]!.lastOffset + 1 : last.baseOffset;
    const where = `seed ${seed}, ${last.path} cut to ${length} of ${last.size}, ${unclean ? 'unclean' : 'clean marker kept'}`;
    const log = await open(built.dir);
    try {
      await expectExactPrefix(log, built, endOffset, where);
    } finally {
      await log.close();
    }
  }
});

test('(c) a sealed .log cut short: the cut batches are gone, every other batch reads back exactly', async () => {
  for (const seed of SEEDS.slice(0, 15)) {
    const rng = new Random(seed);
    const built = await buildLog(rng);
    const victim = built.segments[rng.int(0, built.segments.length - 2)]!;
    const length = rng.int(0, victim.size - 1);
    truncateSync(victim.path, length);
    if (rng.chance(0.5)) removeCleanMarker(built.dir);
    const lostFrom = firstBatchReaching(victim, length, victim.batches[victim.batches.length - 1]!.lastOffset + 1);
    const lostTo = victim.batches[victim.batches.length - 1]!.lastOffset;
    const where = `seed ${seed}, ${victim.path} cut to ${length} of ${victim.size} (offsets ${lostFrom}..${lostTo} lost)`;
    const log = await open(built.dir);
    try {
      assert.is(log.logEndOffset, built.logEndOffset, where);
      for (const batch of built.all) {
        const got = readOrCorrupt(log, batch.baseOffset, 1, where);
        assert.ok(got !== 'corrupt', `nothing left is damaged — ${where}`);
        if (batch.baseOffset < lostFrom || batch.baseOffset > lostTo) {
          assert.equal(got, [batch.baseOffset], `read(${batch.baseOffset}) — ${where}`);
        } else if ((got as number[]).length > 0) {
          // In the hole: the reader is handed the next batch that exists, as in a compacted log.
          assert.is((got as number[])[0], lostTo + 1, `read(${batch.baseOffset}) in the hole — ${where}`);
        }
      }
    } finally {
      await log.close();
    }
  }
});

test('(d) garbage after the valid data, or from a random position to the end: exactly the prefix survives', async () => {
  for (const seed of SEEDS) {
    const rng = new Random(seed);
    const built = await buildLog(rng);
    const last = built.segments[built.segments.length - 1]!;
    const bytes = readFileSync(last.path).subarray(0, last.size);
    const kind = rng.pick(['append', 'overwrite', 'unpatched-batch', 'stale-batch'] as const);
    let from: number;
    let damaged: Buffer;
    if (kind === 'append') {
      from = last.size;
      damaged = Buffer.concat([bytes, rng.bytes(rng.int(1, 5000))]);
    } else if (kind === 'overwrite') {
      from = rng.int(0, last.size - 1);
      const garbage = rng.bytes(rng.int(1, 5000));
      damaged = Buffer.concat([bytes.subarray(0, from), garbage]);
    } else {
      // A whole batch with a valid CRC but the wrong baseOffset after the last one: what a
      // kill between copying a batch into the mapping and patching its baseOffset leaves
      // (the producer's baseOffset, 0), or a stale batch from an earlier offset. The CRC
      // does not cover baseOffset; the offsets must still follow on.
      from = last.size;
      const stray = encodeRecordBatch([{ value: 'stray' }, { value: 'batch' }], {
        baseOffset: kind === 'unpatched-batch' ? 0 : Math.max(0, built.logEndOffset - rng.int(1, 5)),
      });
      damaged = Buffer.concat([bytes, stray]);
    }
    writeFileSync(last.path, damaged);
    const unclean = kind !== 'append' || rng.chance(0.5);
    if (unclean) removeCleanMarker(built.dir);
    const endOffset = firstBatchReaching(last, from, built.logEndOffset);
    const where = `seed ${seed}, ${kind} from ${from} in ${last.path}, ${unclean ? 'unclean' : 'clean marker kept'}`;
    const log = await open(built.dir);
    try {
      await expectExactPrefix(log, built, endOffset, where);
    } finally {
      await log.close();
    }
  }
});

test('regression: a whole CRC-valid batch whose baseOffset was never patched is cut at recovery', async () => {
  // A kill between copying a batch into the mapping and patching its baseOffset leaves the
  // producer's baseOffset (0) in a batch whose CRC is valid (the CRC does not cover it).
  // Recovery used to accept it and move logEndOffset back to 2.
  const built = await buildLog(new Random(7));
  const last = built.segments[built.segments.length - 1]!;
  const bytes = readFileSync(last.path).subarray(0, last.size);
  writeFileSync(last.path, Buffer.concat([bytes, encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }])]));
  removeCleanMarker(built.dir);
  const log = await open(built.dir);
  try {
    await expectExactPrefix(log, built, built.logEndOffset, 'unpatched batch after the last one');
  } finally {
    await log.close();
  }
});

test('regression: a flipped baseOffset in a segment opened cleanly is refused on read, never served under wrong offsets', async () => {
  const built = await buildLog(new Random(8));
  const sealed = built.segments[1]!;
  const victim = sealed.batches[3]!;
  const bytes = readFileSync(sealed.path);
  bytes[victim.position + 4] ^= 0x40; // baseOffset + 2^30: outside the CRC
  writeFileSync(sealed.path, bytes);
  const log = await open(built.dir);
  try {
    assert.is(log.logEndOffset, built.logEndOffset);
    assert.is(readOrCorrupt(log, victim.baseOffset, 1, 'the damaged batch'), 'corrupt');
    assert.equal(readOrCorrupt(log, sealed.batches[2]!.baseOffset, 1, 'the batch before'), [sealed.batches[2]!.baseOffset]);
    // A big read from the segment start returns the batches before the damage, then stops.
    const before = readOrCorrupt(log, sealed.baseOffset, 1 << 20, 'a read across the damage');
    assert.equal(before, sealed.batches.slice(0, 3).map((b) => b.baseOffset));
  } finally {
    await log.close();
  }
});

test('(e) index files deleted, truncated, garbled or swapped: every offset still reads the right batch', async () => {
  for (const seed of SEEDS.slice(0, 25)) {
    const rng = new Random(seed);
    const built = await buildLog(rng, 5);
    const indexes = names(built.dir).filter((n) => n.endsWith('.index') || n.endsWith('.timeindex'));
    const done: string[] = [];
    for (let i = rng.int(1, 4); i > 0; i--) {
      const name = rng.pick(indexes);
      const path = join(built.dir, name);
      if (!existsSync(path)) continue;
      const kind = rng.pick(['delete', 'truncate', 'garbage', 'garbage-same-size', 'swap', 'empty'] as const);
      if (kind === 'delete') unlinkSync(path);
      else if (kind === 'truncate') truncateSync(path, rng.int(0, statSync(path).size));
      else if (kind === 'empty') writeFileSync(path, Buffer.alloc(0));
      else if (kind === 'garbage') writeFileSync(path, rng.bytes(rng.int(1, 400)));
      else if (kind === 'garbage-same-size') writeFileSync(path, rng.bytes(statSync(path).size));
      else {
        const suffix = name.endsWith('.timeindex') ? '.timeindex' : '.index';
        const other = rng.pick(indexes.filter((n) => n.endsWith(suffix) && n !== name));
        const otherPath = join(built.dir, other);
        if (!existsSync(otherPath)) continue;
        renameSync(path, path + '.swap');
        renameSync(otherPath, path);
        renameSync(path + '.swap', otherPath);
      }
      done.push(`${kind} ${name}`);
    }
    const unclean = rng.chance(0.3);
    if (unclean) removeCleanMarker(built.dir);
    const where = `seed ${seed}: ${done.join(', ')}${unclean ? ', unclean' : ''}`;
    const log = await open(built.dir);
    try {
      assert.is(log.logEndOffset, built.logEndOffset, where);
      for (let offset = 0; offset < built.logEndOffset; offset++) {
        const read = log.read(offset, { maxBytes: 1 });
        const batch = built.all.find((b) => b.baseOffset <= offset && offset <= b.lastOffset)!;
        assert.is(read.firstOffset, batch.baseOffset, `read(${offset}) starts at its batch — ${where}`);
        assert.equal(readOrCorrupt(log, offset, 1, where), [batch.baseOffset], `read(${offset}) — ${where}`);
      }
      checkWholeLog(log, T0, SMALL_PROFILE);
      // offsetForTimestamp: record r has timestamp T0 + r (some a few ms earlier); the answer
      // is the first record in offset order whose timestamp is >= the target.
      for (let i = 0; i < 20; i++) {
        const target = T0 + rng.int(-3, built.logEndOffset + 3);
        const got = log.offsetForTimestamp(target);
        const want = firstAtOrAfter(built, target);
        assert.equal(got, want, `offsetForTimestamp(T0 + ${target - T0}) — ${where}`);
      }
    } finally {
      await log.close();
    }
  }
});

test('regression: a time index swapped in from another segment is not trusted; offsetForTimestamp stays right', async () => {
  // Both files pass their own checks, so a clean open trusted them and offsetForTimestamp
  // started its walk far past the records it had to find (it answered 653 for 502).
  const built = await buildLog(new Random(3), 6);
  const timeIndexes = names(built.dir).filter((n) => n.endsWith('.timeindex'));
  for (const [a, b] of [[2, 3], [1, 4]] as const) {
    const pa = join(built.dir, timeIndexes[a]!);
    const pb = join(built.dir, timeIndexes[b]!);
    renameSync(pa, `${pa}.swap`);
    renameSync(pb, pa);
    renameSync(`${pa}.swap`, pb);
  }
  const log = await open(built.dir);
  try {
    for (let target = T0 - 2; target <= T0 + built.logEndOffset + 2; target++) {
      assert.equal(log.offsetForTimestamp(target), firstAtOrAfter(built, target), `offsetForTimestamp(T0 + ${target - T0})`);
    }
  } finally {
    await log.close();
  }
});

const recordTimes = new WeakMap<Built, { offset: number; timestamp: number }[]>();

/** The first record (offset order) with timestamp >= target, from the deterministic batches. */
function firstAtOrAfter(built: Built, target: number): { offset: number; timestamp: number } | undefined {
  let records = recordTimes.get(built);
  if (!records) {
    records = built.all.flatMap((b) =>
      decodeRecordBatch(batchForBase(b.baseOffset, T0, SMALL_PROFILE)).records.map((r) => ({ offset: r.offset, timestamp: r.timestamp })),
    );
    recordTimes.set(built, records);
  }
  return records.find((r) => r.timestamp >= target);
}

test('(f) a zero-length .log and leftover .deleted/.tmp files: open cleans up and goes on', async () => {
  for (const seed of SEEDS.slice(0, 10)) {
    const rng = new Random(seed);
    const built = await buildLog(rng);
    const dir = built.dir;
    // A roll cut short by a crash: the next segment's file exists, empty, or all zeros.
    const next = join(dir, logName(built.logEndOffset));
    writeFileSync(next, rng.chance(0.5) ? Buffer.alloc(0) : Buffer.alloc(16 * 1024));
    const leftovers = [
      `${logName(0)}.deleted`,
      `${String(0).padStart(20, '0')}.index.deleted`,
      `${String(built.segments[1]!.baseOffset).padStart(20, '0')}.timeindex.tmp`,
      `${String(built.segments[2]!.baseOffset).padStart(20, '0')}.index.tmp`,
      'recovery-point.tmp',
      `${CLEAN_MARKER}.tmp`,
    ];
    for (const name of leftovers) writeFileSync(join(dir, name), rng.bytes(rng.int(0, 300)));
    const unclean = rng.chance(0.5);
    if (unclean) removeCleanMarker(dir);
    const where = `seed ${seed}${unclean ? ', unclean' : ''}`;
    const log = await open(dir);
    try {
      for (const name of leftovers) assert.not.ok(existsSync(join(dir, name)), `${name} removed — ${where}`);
      assert.is(log.segmentCount, built.segments.length + 1, `the empty segment is the active one — ${where}`);
      await expectExactPrefix(log, built, built.logEndOffset, where);
    } finally {
      await log.close();
    }
    const again = await open(dir);
    try {
      checkWholeLog(again, T0, SMALL_PROFILE);
      assert.is(again.logEndOffset, built.logEndOffset + batchCount(batchForBase(built.logEndOffset, T0, SMALL_PROFILE)), where);
    } finally {
      await again.close();
    }
  }
  // The only file a zero-length segment: a new log that died in its first create.
  const dir = join(tempDir('skein-damage-'), 'p0');
  const fresh = await open(dir);
  await fresh.close();
  unlinkSync(join(dir, logName(0)));
  writeFileSync(join(dir, logName(0)), Buffer.alloc(0));
  removeCleanMarker(dir);
  const log = await open(dir);
  assert.is(log.logEndOffset, 0);
  assert.is((await log.append(batchForBase(0, T0, SMALL_PROFILE))).baseOffset, 0);
  checkWholeLog(log, T0, SMALL_PROFILE);
  await log.close();
});

function batchCount(batch: Buffer): number {
  return readLastOffsetDelta(batch, 0) + 1;
}

test.run();
