/**
 * Retention (PartitionLog.applyRetention): by time (retention.ms against each segment's
 * newest record) and by size (retention.bytes), deleting whole segments only, moving
 * logStartOffset to the next segment's base offset, rolling and removing the active segment
 * when everything has expired, keeping views of deleted segments readable, and surviving a
 * reopen.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { OffsetOutOfRangeError, SkeinError } from '../../src/errors.js';
import { MappingLru } from '../../src/storage/mapping-lru.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { batchOf, recordsOf } from '../helpers/batches.js';
import { collectUntil } from '../helpers/gc.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const MINUTE = 60_000;
const base = (offset: number) => String(offset).padStart(20, '0');

function expectOutOfRange(log: PartitionLog, offset: number): void {
  try {
    log.read(offset);
  } catch (err) {
    assert.ok(err instanceof OffsetOutOfRangeError, `read(${offset}) throws OffsetOutOfRangeError, got ${String(err)}`);
    assert.is((err as SkeinError).code, 'SKEIN_OFFSET_OUT_OF_RANGE');
    assert.is((err as OffsetOutOfRangeError).logStartOffset, log.logStartOffset);
    return;
  }
  assert.unreachable(`read(${offset}) below logStartOffset ${log.logStartOffset} must throw`);
}

/** Values of every record from logStartOffset on, read in small steps. */
function allValues(log: PartitionLog): string[] {
  const out: string[] = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const read = log.read(next, { maxBytes: 700 });
    out.push(...recordsOf(read.views, next).map((r) => r.value.split('.')[0]!));
    next = read.nextOffset;
  }
  return out;
}

interface Layout {
  /** Base offset of each segment, in order. */
  bases: number[];
  /** Values appended, by offset. */
  values: string[];
}

/**
 * Appends `batchesPerSegment[i]` one-record batches into segment i (rolling between), the
 * record i of segment s stamped `time(s, i)`.
 */
async function fill(log: PartitionLog, batchesPerSegment: number[], time: (segment: number, index: number) => number): Promise<Layout> {
  const bases: number[] = [];
  const values: string[] = [];
  for (let s = 0; s < batchesPerSegment.length; s++) {
    if (s > 0) log.roll();
    bases.push(log.logEndOffset);
    for (let i = 0; i < batchesPerSegment[s]!; i++) {
      const tag = `s${s}r${i}`;
      await log.append(batchOf(tag, 1, 100, time(s, i)));
      values.push(`${tag}-0`);
    }
  }
  assert.is(log.segmentCount, batchesPerSegment.length);
  return { bases, values };
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => /\.(log|index|timeindex|deleted)$/.test(n));
}

const CONFIG: Partial<LogConfig> = { segmentBytes: 64 * 1024, retentionMs: 10 * MINUTE, segmentMs: Infinity };

test('retention by time deletes whole expired segments and moves logStartOffset to the next base', async () => {
  const dir = join(tempDir(), 'p0');
  const log = await PartitionLog.open(dir, { config: CONFIG });
  const now = Date.now();
  const old = now - 60 * MINUTE;
  // Segments 0 and 1 expired; 2 holds an old record and a recent one (its newest decides);
  // 3, the active one, recent.
  const times = [[old, old, old, old, old], [old - MINUTE, old, old, old], [old, now - MINUTE], [now, now, now]];
  const layout = await fill(log, times.map((t) => t.length), (s, i) => times[s]![i]!);
  const result = log.applyRetention(now);
  assert.equal(result, { deletedSegments: 2, deletedBytes: result.deletedBytes, logStartOffset: layout.bases[2]! });
  assert.ok(result.deletedBytes > 9 * 100);
  assert.is(log.logStartOffset, layout.bases[2]!);
  assert.is(log.segmentCount, 2);
  expectOutOfRange(log, 0);
  expectOutOfRange(log, layout.bases[2]! - 1);
  assert.equal(allValues(log), layout.values.slice(layout.bases[2]!));
  // The files of the deleted segments are gone, with no .deleted left behind.
  const files = segmentFiles(dir);
  for (const b of layout.bases.slice(0, 2)) assert.not.ok(files.some((n) => n.startsWith(base(b))), `segment ${b} files removed`);
  assert.not.ok(files.some((n) => n.endsWith('.deleted')));
  assert.ok(files.includes(`${base(layout.bases[2]!)}.log`));
  assert.equal(log.applyRetention(now).deletedSegments, 0, 'nothing more to delete now');
  // Segment 2 goes once its newest record is older than retention.ms; the active segment,
  // 9.5 minutes old then, stays.
  assert.equal(log.applyRetention(now + 9.5 * MINUTE).deletedSegments, 1);
  assert.is(log.logStartOffset, layout.bases[3]!);
  assert.equal(allValues(log), layout.values.slice(layout.bases[3]!));
  await log.close();
});

test('when everything has expired, the active segment is rolled and removed; the log goes on at logEndOffset', async () => {
  const dir = join(tempDir(), 'p0');
  let log = await PartitionLog.open(dir, { config: CONFIG });
  const old = Date.now() - 60 * MINUTE;
  await fill(log, [3, 3, 2], () => old);
  const end = log.logEndOffset;
  const result = log.applyRetention();
  assert.is(result.deletedSegments, 3);
  assert.is(log.logStartOffset, end);
  assert.is(log.logEndOffset, end);
  assert.is(log.segmentCount, 1);
  assert.equal(segmentFiles(dir).filter((n) => n.endsWith('.log')), [`${base(end)}.log`], 'only the new, empty active segment is left');
  const atEnd = log.read(end);
  assert.is(atEnd.views.length, 0);
  assert.is(atEnd.logStartOffset, end);
  expectOutOfRange(log, end - 1);
  expectOutOfRange(log, 0);
  assert.is((await log.append(batchOf('after', 1, 100))).baseOffset, end);
  await log.close();

  log = await PartitionLog.open(dir, { config: CONFIG });
  assert.is(log.logStartOffset, end, 'logStartOffset survives a reopen');
  assert.equal(allValues(log), ['after-0']);
  expectOutOfRange(log, end - 1);
  await log.close();
});

test('retention by size deletes the oldest segments while the rest still reach retention.bytes', async () => {
  const dir = join(tempDir(), 'p0');
  const log = await PartitionLog.open(dir, { config: { ...CONFIG, retentionMs: -1 } });
  const layout = await fill(log, [4, 4, 4, 4, 4, 2], () => Date.now());
  const batchBytes = log.read(0, { maxBytes: 1 }).bytes;
  const segment = 4 * batchBytes;
  // 22 batches held. retention.bytes of 2.5 segments: delete while (total - oldest) >= limit.
  log.updateConfig({ retentionBytes: Math.floor(2.5 * segment) });
  const result = log.applyRetention();
  // 22 → 18 → 14 → 10 (total - 4 = 6 < 10 stops): 3 segments deleted, 10 batches left.
  assert.equal([result.deletedSegments, result.deletedBytes], [3, 3 * segment]);
  assert.is(log.logStartOffset, layout.bases[3]!);
  assert.is(log.size, 10 * batchBytes);
  assert.equal(allValues(log), layout.values.slice(layout.bases[3]!));
  expectOutOfRange(log, layout.bases[3]! - 1);
  // retention.bytes 0 keeps only the active segment: it is never deleted by size.
  log.updateConfig({ retentionBytes: 0 });
  assert.is(log.applyRetention().deletedSegments, 2);
  assert.is(log.logStartOffset, layout.bases[5]!);
  assert.equal(allValues(log), layout.values.slice(layout.bases[5]!));
  await log.close();
});

test('a view taken before its segment was deleted still reads the right bytes, also after gc; the files are gone', async () => {
  const dir = join(tempDir(), 'p0');
  // A mapping LRU of one segment, so sealed segments are also evicted (fd closed, mapping
  // dropped by the handle) while their views live.
  const lru = new MappingLru(1);
  const log = await PartitionLog.open(dir, { config: { ...CONFIG, retentionMs: -1 }, mappingLru: lru });
  const layout = await fill(log, [6, 6, 6, 3], () => Date.now());
  const views = [0, 3, 6, 9, 12].map((offset) => log.read(offset, { maxBytes: 1 }).views[0]!);
  const wide = log.read(0, { maxBytes: 1 << 20 }).views; // whole segments 0..3
  const copies = views.map((v) => Buffer.from(v));
  const wideCopies = wide.map((v) => Buffer.from(v));
  log.updateConfig({ retentionBytes: 1 });
  assert.is(log.applyRetention().deletedSegments, 3);
  assert.equal(segmentFiles(dir), [`${base(layout.bases[3]!)}.log`], 'deleted segment files are gone while views live');
  for (let round = 0; round < 3; round++) {
    await collectUntil(() => false, 3);
    views.forEach((v, i) => assert.ok(v.equals(copies[i]!), `view ${i} unchanged after deletion and gc`));
    wide.forEach((v, i) => assert.ok(v.equals(wideCopies[i]!), `segment view ${i} unchanged`));
    // New mappings made meanwhile must not take over the old views' memory.
    for (let i = 0; i < 5; i++) log.read(layout.bases[3]!, { maxBytes: 1 });
    await log.append(batchOf(`more${round}`, 1, 100));
  }
  assert.equal(recordsOf(views).map((r) => r.value.split('.')[0]), ['s0r0-0', 's0r3-0', 's1r0-0', 's1r3-0', 's2r0-0']);
  assert.equal(recordsOf(wide).map((r) => r.offset), layout.values.map((_, i) => i));
  await log.close({ keepViews: true });
  views.forEach((v, i) => assert.ok(v.equals(copies[i]!), `view ${i} unchanged after close({ keepViews })`));
});

test('retention survives reopen, clean or not', async () => {
  for (const unclean of [false, true]) {
    const dir = join(tempDir(), 'p0');
    let log = await PartitionLog.open(dir, { config: CONFIG });
    const now = Date.now();
    const layout = await fill(log, [3, 3, 3], (segment) => (segment < 2 ? now - 60 * MINUTE : now));
    assert.is(log.applyRetention(now).deletedSegments, 2);
    await log.close();
    if (unclean) unlinkSync(join(dir, '.clean-shutdown'));
    log = await PartitionLog.open(dir, { config: CONFIG });
    assert.is(log.logStartOffset, layout.bases[2]!, `logStartOffset after ${unclean ? 'an unclean' : 'a clean'} reopen`);
    assert.is(log.logEndOffset, 9);
    expectOutOfRange(log, layout.bases[2]! - 1);
    assert.equal(allValues(log), layout.values.slice(layout.bases[2]!));
    assert.not.ok(existsSync(join(dir, `${base(0)}.log`)));
    assert.is(log.applyRetention(now).deletedSegments, 0);
    await log.close();
  }
});

test('retention of a closed log throws SKEIN_CLOSED', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: CONFIG });
  await log.close();
  try {
    log.applyRetention();
    assert.unreachable('applyRetention after close must throw');
  } catch (err) {
    assert.ok(err instanceof SkeinError && err.code === 'SKEIN_CLOSED', String(err));
  }
});

test.run();
