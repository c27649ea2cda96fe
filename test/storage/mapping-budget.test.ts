/**
 * The mapping budget: sealed segments are mapped on demand and unmapped by the LRU, so a log
 * (or thousands of them) never holds more mappings and fds than the budget plus the active
 * segments; views taken before an eviction keep reading the right bytes.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { native } from '../../src/native/binding.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { MappingLru } from '../../src/storage/mapping-lru.js';
import { batchOf, recordsOf } from '../helpers/batches.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { collectUntil } from '../helpers/gc.js';

test.after(cleanupTempDirs);

test('reading 30+ sealed segments keeps at most 4 of them mapped', async () => {
  const before = native.stats().liveMappings;
  const lru = new MappingLru(4);
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: { segmentBytes: 2048 }, mappingLru: lru });
  for (let i = 0; i < 400; i++) log.appendSync(batchOf(`r${i}`, 1, 100));
  assert.ok(log.segmentCount >= 30, `${log.segmentCount} segments`);

  const firstView = log.read(0).views[0]!;
  const firstValue = Buffer.from(firstView);
  for (let offset = 0; offset < 400; offset += 5) {
    const read = log.read(offset, { maxBytes: 1 });
    assert.is(recordsOf(read.views, offset)[0]!.value.split('.')[0], `r${offset}-0`);
    assert.ok(lru.size <= 4);
  }
  // Views of evicted segments are only garbage now; once collected, at most the LRU's four
  // sealed mappings, the active one and the one `firstView` pins remain.
  const bounded = await collectUntil(() => native.stats().liveMappings <= before + 4 + 1 + 1);
  assert.ok(bounded, `live mappings ${native.stats().liveMappings}, before ${before}`);
  assert.ok(firstView.equals(firstValue), 'a view of an evicted segment still reads its bytes');
  await log.close();
});

test('views nobody holds any more do not pile up mappings past the budget while the event loop turns (no explicit gc)', async () => {
  // Each mapping with a live Buffer counts 256 KiB in V8's external memory, so V8 collects
  // dropped views after a few hundred new mappings. When they counted nothing, reading 3,000
  // sealed segments once left ~3,000 mappings alive (V8 saw no reason to collect).
  const lru = new MappingLru(64);
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: { segmentBytes: 2048, preallocateBytes: 4096 }, mappingLru: lru });
  const batch = batchOf('r', 1, 1200);
  for (let i = 0; i < 3000; i++) log.appendSync(batch);
  assert.ok(log.segmentCount >= 3000, `${log.segmentCount} segments`);
  await log.close();
  const reopened = await PartitionLog.open(log.dir, { mappingLru: lru });
  const before = native.stats().liveMappings;
  let peak = 0;
  for (let offset = 0; offset < 3000; offset++) {
    assert.is(reopened.read(offset, { maxBytes: 1 }).views.length, 1);
    if (offset % 20 === 0) {
      peak = Math.max(peak, native.stats().liveMappings - before);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  assert.ok(peak < 1500, `peak ${peak} mappings for 3,000 segments read once (LRU 64)`);
  await reopened.close();
});

test.run();
