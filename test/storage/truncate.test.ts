/**
 * PartitionLog.truncateTo and truncateFullyAndStartAt on real files: the cut inside the active
 * segment, across segments (newer segments deleted, a sealed one cut and made active), inside
 * a batch (the whole batch goes), no-ops and bad arguments, views of removed bytes, the
 * indexes after a cut (offset and time lookups), appends after a cut, and reopening (clean
 * and without close) to the same log.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { SkeinError } from '../../src/errors.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { batchOf, recordsOf } from '../helpers/batches.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const SMALL: Partial<LogConfig> = { segmentBytes: 4096, indexIntervalBytes: 256, preallocateBytes: 4096 };

function values(log: PartitionLog): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let next = log.logStartOffset;
  while (next < log.logEndOffset) {
    const read = log.read(next, { maxBytes: 2048 });
    for (const r of recordsOf(read.views, next)) out.push([r.offset, r.value.replace(/\.+$/, '')]);
    if (read.nextOffset <= next) break;
    next = read.nextOffset;
  }
  return out;
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, String(err));
    return err.code;
  }
  return undefined;
}

/** Appends n single-record batches tagged `${tag}${i}`. */
function fill(log: PartitionLog, tag: string, n: number, recordsPerBatch = 1): void {
  for (let i = 0; i < n; i++) log.appendSync(batchOf(`${tag}${i}`, recordsPerBatch, 100, 1_000_000 + i));
}

test('a cut inside the active segment removes the tail; appends go on from the new end and survive a reopen', async () => {
  const dir = join(tempDir(), 'p');
  let log = await PartitionLog.open(dir);
  fill(log, 'a', 10);
  assert.is(log.truncateTo(6), 6);
  assert.is(log.logEndOffset, 6);
  assert.equal(values(log).map(([o]) => o), [0, 1, 2, 3, 4, 5]);
  log.appendSync(batchOf('b0'));
  assert.equal(values(log).slice(5), [
    [5, 'a5-0'],
    [6, 'b0-0'],
  ]);
  await log.close();
  log = await PartitionLog.open(dir);
  assert.is(log.logEndOffset, 7);
  assert.equal(values(log)[6], [6, 'b0-0']);
  await log.close();
});

test('a cut inside a batch removes the whole batch: the log ends at its base offset', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p'));
  fill(log, 'a', 3, 4); // batches 0-3, 4-7, 8-11
  assert.is(log.truncateTo(6), 4);
  assert.is(log.logEndOffset, 4);
  assert.equal(values(log).map(([o]) => o), [0, 1, 2, 3]);
  await log.close();
});

test('a cut across segments deletes the newer segments, cuts a sealed one that becomes active, and reopens the same', async () => {
  const dir = join(tempDir(), 'p');
  let log = await PartitionLog.open(dir, { config: SMALL });
  fill(log, 'a', 120);
  assert.ok(log.segmentCount >= 4, `rolled into ${log.segmentCount} segments`);
  const before = segmentFiles(dir);
  assert.is(log.truncateTo(37), 37);
  const after = segmentFiles(dir);
  assert.ok(after.length < before.length, `${before.length} -> ${after.length} segment files`);
  const lastBase = Number(after[after.length - 1]!.slice(0, 20));
  assert.ok(lastBase <= 37, `the last segment starts at ${lastBase}`);
  assert.is(log.segmentCount, after.length);
  assert.equal(values(log).map(([o]) => o), Array.from({ length: 37 }, (_, i) => i));
  // Offset and time lookups see only what remains.
  assert.is(log.offsetForTimestamp(1_000_000 + 50), undefined);
  assert.equal(log.offsetForTimestamp(1_000_000 + 36), { offset: 36, timestamp: 1_000_036 });
  fill(log, 'b', 30);
  assert.is(log.logEndOffset, 67);
  const expected = values(log);
  assert.equal(expected[37], [37, 'b0-0']);
  await log.close();
  log = await PartitionLog.open(dir, { config: SMALL });
  assert.equal(values(log), expected);
  await log.close();
});

test('a cut on a segment boundary deletes that segment; the one before becomes active and takes appends', async () => {
  const dir = join(tempDir(), 'p');
  const log = await PartitionLog.open(dir, { config: SMALL });
  fill(log, 'a', 60);
  const bases = segmentFiles(dir).map((n) => Number(n.slice(0, 20)));
  const boundary = bases[2]!;
  assert.is(log.truncateTo(boundary), boundary);
  assert.equal(segmentFiles(dir).map((n) => Number(n.slice(0, 20))), bases.slice(0, 2));
  log.appendSync(batchOf('b0'));
  assert.equal(values(log).at(-1), [boundary, 'b0-0']);
  await log.close();
});

test('truncateTo at or past the end changes nothing; bad offsets are refused with a code', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p'));
  fill(log, 'a', 3);
  assert.is(log.truncateTo(3), 3);
  assert.is(log.truncateTo(100), 3);
  assert.is(values(log).length, 3);
  assert.is(codeOf(() => log.truncateTo(-1)), 'SKEIN_INVALID_ARGUMENT');
  assert.is(codeOf(() => log.truncateTo(1.5)), 'SKEIN_INVALID_ARGUMENT');
  assert.is(codeOf(() => log.truncateFullyAndStartAt(-3)), 'SKEIN_INVALID_ARGUMENT');
  await log.close();
  assert.is(codeOf(() => log.truncateTo(0)), 'SKEIN_CLOSED');
});

test('a view of records removed by a cut stays readable (zeros or the old bytes, never a fault)', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p'), { config: SMALL });
  fill(log, 'a', 60);
  const tailView = log.read(55, { maxBytes: 10_000 }).views;
  const sealedView = log.read(5, { maxBytes: 200 }).views;
  log.truncateTo(3);
  let bytes = 0;
  for (const view of [...tailView, ...sealedView]) for (let i = 0; i < view.length; i += 512) bytes += view[i]!;
  assert.ok(bytes >= 0);
  assert.is(log.logEndOffset, 3);
  await log.close();
});

test('truncateFullyAndStartAt empties the log and restarts it at the offset, past the old end or below it', async () => {
  const dir = join(tempDir(), 'p');
  let log = await PartitionLog.open(dir, { config: SMALL });
  fill(log, 'a', 50);
  log.truncateFullyAndStartAt(1000);
  assert.is(log.logStartOffset, 1000);
  assert.is(log.logEndOffset, 1000);
  assert.equal(segmentFiles(dir), ['00000000000000001000.log']);
  log.appendSync(batchOf('b0'));
  assert.equal(values(log), [[1000, 'b0-0']]);
  await log.close();
  log = await PartitionLog.open(dir, { config: SMALL });
  assert.equal([log.logStartOffset, log.logEndOffset], [1000, 1001]);
  // Below the start (truncateTo under the log start does the same).
  assert.is(log.truncateTo(10), 10);
  assert.equal([log.logStartOffset, log.logEndOffset], [10, 10]);
  log.appendSync(batchOf('c0'));
  await log.close();
  log = await PartitionLog.open(dir, { config: SMALL });
  assert.equal(values(log), [[10, 'c0-0']]);
  await log.close();
});

test.run();
