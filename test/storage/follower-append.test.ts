/**
 * PartitionLog.appendAsFollower on real files: batches that keep their own base offsets, with
 * gaps between them (a leader's compacted range), in the active segment and across a roll;
 * reads and index lookups in and around the gaps; reopening cleanly and with recovery (the
 * clean-shutdown marker removed, so the active segment is rescanned) keeps the gaps; offsets
 * that go back are refused and change nothing; a leader-side append after a kill between
 * copying a batch and patching its offset is still cut at recovery.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { SkeinError } from '../../src/errors.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { writeBaseOffset } from '../../src/records/batch-header.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { batchOf, recordsOf } from '../helpers/batches.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const SMALL: Partial<LogConfig> = { segmentBytes: 4096, indexIntervalBytes: 256, preallocateBytes: 4096 };

/** A batch of `count` records at base offset `base`, as a leader's log holds it. */
function at(base: number, tag: string, count = 1): Buffer {
  const batch = batchOf(tag, count, 100, 1_000_000 + base);
  writeBaseOffset(batch, 0, base);
  return batch;
}

/** Base offsets with gaps: 3, 7, 8-9, 15, 40, ... (what a compacted leader log looks like). */
function gappedLeaderBatches(n: number): Buffer[] {
  const out: Buffer[] = [];
  let base = 3;
  for (let i = 0; i < n; i++) {
    const count = i % 3 === 2 ? 2 : 1;
    out.push(at(base, `g${i}`, count));
    base += count + (i % 4) * 3 + 1;
  }
  return out;
}

function offsetsOf(log: PartitionLog): number[] {
  const read = log.read(log.logStartOffset, { maxBytes: 64 * 1024 * 1024 });
  return recordsOf(read.views).map((r) => r.offset);
}

function bytesOf(log: PartitionLog): Buffer {
  return Buffer.concat(log.read(log.logStartOffset, { maxBytes: 64 * 1024 * 1024 }).views);
}

function expectedOffsets(batches: Buffer[]): number[] {
  return recordsOf(batches).map((r) => r.offset);
}

test('batches keep their base offsets with gaps: the log end is the last offset + 1, reads find the batch after a gap', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p'), { config: SMALL });
  const batches = gappedLeaderBatches(12);
  const { result } = log.appendAsFollower(Buffer.concat(batches.slice(0, 5)));
  assert.is(result.baseOffset, 3);
  for (const b of batches.slice(5)) log.appendAsFollower(b);
  const want = expectedOffsets(batches);
  assert.is(log.logEndOffset, want[want.length - 1]! + 1);
  assert.equal(offsetsOf(log), want);
  assert.ok(bytesOf(log).equals(Buffer.concat(batches)), 'the leader bytes, byte for byte');
  // An offset inside a gap reads from the next batch.
  const inGap = want.findIndex((o, i) => i > 0 && o - want[i - 1]! > 1);
  const read = log.read(want[inGap]! - 1, { maxBytes: 1 });
  assert.is(read.firstOffset, want[inGap]);
  // A leader append continues after the last follower batch.
  const next = log.appendSync(batchOf('leader'));
  assert.is(next.baseOffset, want[want.length - 1]! + 1);
  await log.close();
});

test('gaps survive a roll, a clean reopen and a recovering reopen (active segment rescanned)', async () => {
  const dir = join(tempDir(), 'p');
  let log = await PartitionLog.open(dir, { config: SMALL });
  const batches = gappedLeaderBatches(80); // ~150 B each: several 4 KiB segments
  for (const b of batches) log.appendAsFollower(b);
  assert.ok(log.segmentCount > 2, `rolled (${log.segmentCount} segments)`);
  assert.ok(readdirSync(dir).some((n) => n.endsWith('.gaps')), 'the gapped segments carry their .gaps marker');
  const want = expectedOffsets(batches);
  const end = log.logEndOffset;
  await log.close();

  log = await PartitionLog.open(dir, { config: SMALL });
  assert.is(log.logEndOffset, end);
  assert.equal(offsetsOf(log), want);
  await log.close();

  unlinkSync(join(dir, '.clean-shutdown'));
  for (const name of readdirSync(dir)) if (name.endsWith('.index') || name.endsWith('.timeindex')) unlinkSync(join(dir, name));
  const warnings: string[] = [];
  log = await PartitionLog.open(dir, { config: SMALL, onWarning: (m) => warnings.push(m) });
  try {
    assert.ok(warnings.some((w) => w.includes('not closed cleanly')), 'the open recovered');
    assert.is(log.logEndOffset, end, 'nothing cut at the gaps');
    assert.equal(offsetsOf(log), want);
    assert.ok(bytesOf(log).equals(Buffer.concat(batches)));
    // Lookups through the rebuilt offset index land on the right batch, also in gaps.
    for (let i = 1; i < want.length; i += 7) {
      const read = log.read(want[i - 1]! + 1, { maxBytes: 1 });
      assert.is(read.firstOffset <= want[i]!, true);
      assert.ok(recordsOf(read.views).some((r) => r.offset === want[i]), `offset ${want[i]} found from ${want[i - 1]! + 1}`);
    }
  } finally {
    await log.close();
  }
});

test('an offset that goes back is refused with SKEIN_INVALID_RECORD and changes nothing', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p'), { config: SMALL });
  log.appendAsFollower(at(10, 'a'));
  for (const bad of [at(5, 'b'), at(10, 'c'), Buffer.concat([at(20, 'd'), at(20, 'e')])]) {
    try {
      log.appendAsFollower(bad);
      assert.unreachable('appended');
    } catch (err) {
      assert.ok(err instanceof SkeinError && err.code === 'SKEIN_INVALID_RECORD', String(err));
    }
  }
  assert.is(log.logEndOffset, 11);
  assert.equal(offsetsOf(log), [10]);
  await log.close();
});

test('a leader batch whose offset was never patched (kill between copy and patch) is still cut at recovery, gaps or not', async () => {
  const dir = join(tempDir(), 'p');
  let log = await PartitionLog.open(dir, { config: SMALL });
  log.appendAsFollower(at(0, 'a'));
  log.appendAsFollower(at(10, 'b'));
  log.appendSync(batchOf('c'));
  await log.close();
  // What the kill leaves: the producer's batch (base offset 0) whole after the last one.
  const unpatched = batchOf('unpatched');
  const file = readdirSync(dir).filter((n) => n.endsWith('.log')).sort().pop()!;
  const { appendFileSync } = await import('node:fs');
  appendFileSync(join(dir, file), unpatched);
  unlinkSync(join(dir, '.clean-shutdown'));
  log = await PartitionLog.open(dir, { config: SMALL, onWarning: () => undefined });
  try {
    assert.is(log.logEndOffset, 12);
    assert.equal(offsetsOf(log), [0, 10, 11]);
  } finally {
    await log.close();
  }
});

test('a compacted segment made active again by a truncation keeps its gaps through a recovering reopen', async () => {
  const dir = join(tempDir(), 'p');
  let log = await PartitionLog.open(dir, { config: SMALL });
  for (let i = 0; i < 30; i++) log.appendSync(encodeRecordBatch([{ key: Buffer.from(`k${i % 3}`), value: Buffer.from(`v${i}`.padEnd(100, '.')) }]));
  log.roll();
  log.appendSync(batchOf('tail'));
  const cleaned = await log.compact({ force: true, inline: true });
  assert.ok(cleaned.cleaned, cleaned.reason);
  const kept = offsetsOf(log).filter((o) => o < 30);
  assert.ok(kept.length < 30 && kept[0]! > 0, `the cleaned segment starts at 0, its first batch later: ${kept.join(',')}`);
  // Cut into the cleaned segment: it becomes the active one.
  const cut = kept[kept.length - 1]!;
  log.truncateTo(cut);
  const want = kept.filter((o) => o < cut);
  assert.equal(offsetsOf(log), want);
  await log.close();
  unlinkSync(join(dir, '.clean-shutdown'));
  log = await PartitionLog.open(dir, { config: SMALL, onWarning: () => undefined });
  try {
    assert.equal(offsetsOf(log), want, 'nothing cut at the gaps');
    assert.is(log.logEndOffset, want[want.length - 1]! + 1);
  } finally {
    await log.close();
  }
});

test.run();
