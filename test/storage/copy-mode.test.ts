/**
 * The log where the runtime refuses external buffers (V8 sandbox, Electron): the addon hands
 * out no buffer, appends go through MappedFile.write and reads return copies. Everything a
 * user can do must still work, with the same results.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { native } from '../../src/native/binding.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { batchOf, recordsOf } from '../helpers/batches.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.before(() => native.setForceCopy(true));
test.after(() => {
  native.setForceCopy(false);
  cleanupTempDirs();
});

test('append, read across segments, lookup by time, reopen: all through copies', async () => {
  const dir = join(tempDir(), 'p0');
  const config = { segmentBytes: 4096, indexIntervalBytes: 300 };
  let log = await PartitionLog.open(dir, { config });
  const before = native.stats().externalBuffers;
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < 120; i++) await log.append(batchOf(`r${i}`, 2, 80, t0 + i));
  assert.ok(log.segmentCount > 3);
  const check = () => {
    for (const offset of [0, 1, 57, 128, 239]) {
      const read = log.read(offset, { maxBytes: 1 });
      const first = recordsOf(read.views, offset)[0]!;
      assert.is(first.offset, offset);
      assert.is(first.value.split('.')[0], `r${offset >> 1}-${offset & 1}`);
    }
    let offset = 0;
    let count = 0;
    while (offset < log.logEndOffset) {
      const read = log.read(offset, { maxBytes: 2000 });
      count += recordsOf(read.views, offset).length;
      offset = read.nextOffset;
    }
    assert.is(count, 240);
    assert.equal(log.offsetForTimestamp(t0 + 60), { offset: 120, timestamp: t0 + 60 });
  };
  check();
  await log.close();
  log = await PartitionLog.open(dir, { config });
  check();
  await log.append(batchOf('more', 1));
  assert.is(log.logEndOffset, 241);
  await log.close();
  assert.is(native.stats().externalBuffers, before, 'no external buffer was created');
});

test('a view in copy mode is a copy: later appends do not change it', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'));
  await log.append(batchOf('a', 1));
  const view = log.read(0).views[0]!;
  const snapshot = Buffer.from(view);
  await log.append(batchOf('b', 1));
  assert.ok(view.equals(snapshot));
  await log.close();
});

test('truncation and leader-epoch stamping through copies: the cut across segments, appends stamped after it, reopen', async () => {
  const dir = join(tempDir(), 'p1');
  const config = { segmentBytes: 4096, indexIntervalBytes: 300 };
  let log = await PartitionLog.open(dir, { config });
  for (let i = 0; i < 60; i++) log.appendNow(batchOf(`a${i}`, 1, 80), undefined, 3);
  assert.ok(log.segmentCount > 2);
  assert.is(log.truncateTo(25), 25);
  for (let i = 0; i < 5; i++) log.appendNow(batchOf(`b${i}`, 1, 80), undefined, 4);
  const values = () => {
    const out: string[] = [];
    let offset = 0;
    while (offset < log.logEndOffset) {
      const read = log.read(offset, { maxBytes: 2000 });
      for (const r of recordsOf(read.views, offset)) out.push(r.value.split('.')[0]!);
      for (const view of read.views) for (let at = 0; at < view.length; at += 12 + view.readInt32BE(at + 8)) out.push(`epoch ${view.readInt32BE(at + 12)}`);
      offset = read.nextOffset;
    }
    return out.filter((v) => !v.startsWith('epoch')).concat([...new Set(out.filter((v) => v.startsWith('epoch')))]);
  };
  const expected = [...Array.from({ length: 25 }, (_, i) => `a${i}-0`), ...Array.from({ length: 5 }, (_, i) => `b${i}-0`), 'epoch 3', 'epoch 4'];
  assert.equal(values(), expected);
  await log.close();
  log = await PartitionLog.open(dir, { config });
  assert.equal(values(), expected);
  await log.close();
});

test.run();
