import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { TimeIndex } from '../../src/storage/time-index.js';

test('offset index: lookup finds the largest entry at or below the target', () => {
  const index = new OffsetIndex(1000);
  assert.equal(index.lookup(1500), { offset: 999, position: 0 });
  index.append(1009, 4100);
  index.append(1019, 8300);
  index.append(1030, 12400);
  assert.equal(index.lookup(1005), { offset: 999, position: 0 });
  assert.equal(index.lookup(1009), { offset: 1009, position: 4100 });
  assert.equal(index.lookup(1025), { offset: 1019, position: 8300 });
  assert.equal(index.lookup(5000), { offset: 1030, position: 12400 });
  index.append(1025, 20000); // out of order: ignored
  assert.is(index.entries, 3);
});

test('offset index: serialize/parse round trip and rejection of damage', () => {
  const index = new OffsetIndex(7);
  for (let i = 0; i < 300; i++) index.append(7 + i * 10 + 9, i * 4096 + 4096);
  const bytes = index.serialize();
  assert.is(bytes.length, 300 * 8);
  const parsed = OffsetIndex.parse(bytes, 7, 2_000_000)!;
  assert.is(parsed.entries, 300);
  assert.equal(parsed.lookup(7 + 1234), index.lookup(7 + 1234));
  assert.is(OffsetIndex.parse(bytes.subarray(0, 13), 7, 2_000_000), undefined, 'partial entry');
  assert.is(OffsetIndex.parse(bytes, 7, 4096 * 10), undefined, 'positions past the segment');
  const swapped = Buffer.from(bytes);
  bytes.copy(swapped, 0, 8, 16);
  bytes.copy(swapped, 8, 0, 8);
  assert.is(OffsetIndex.parse(swapped, 7, 2_000_000), undefined, 'out of order');
  index.truncateToPosition(4096 * 5);
  assert.is(index.entries, 4);
});

test('time index: increasing timestamps only, lookupBefore, round trip', () => {
  const index = new TimeIndex(0);
  index.maybeAppend(100, 4);
  index.maybeAppend(90, 8); // not larger: ignored
  index.maybeAppend(200, 9);
  index.maybeAppend(300, 20);
  assert.is(index.entries, 3);
  assert.is(index.maxTimestamp, 300);
  assert.is(index.lookupBefore(100), undefined);
  assert.equal(index.lookupBefore(101), { timestamp: 100, offset: 4 });
  assert.equal(index.lookupBefore(1000), { timestamp: 300, offset: 20 });
  const parsed = TimeIndex.parse(index.serialize(), 0, 21)!;
  assert.equal([...parsed.allEntries()], [...index.allEntries()]);
  assert.is(TimeIndex.parse(index.serialize(), 0, 20), undefined, 'an entry at or past the log end');
  assert.is(TimeIndex.parse(Buffer.alloc(13), 0, 100), undefined);
  index.truncateToOffset(9);
  assert.is(index.entries, 1);
});

test.run();
