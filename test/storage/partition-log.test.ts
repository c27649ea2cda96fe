import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { OffsetOutOfRangeError, SkeinError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { batchOf, recordsOf } from '../helpers/batches.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

async function expectCode(fn: () => unknown, code: string): Promise<SkeinError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `expected a SkeinError, got ${String(err)}`);
    assert.is((err as SkeinError).code, code);
    return err as SkeinError;
  }
  return assert.unreachable(`expected ${code}, nothing was thrown`) as never;
}

test('append assigns consecutive offsets and read returns the same records', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'));
  const a = await log.append(batchOf('a', 3));
  const b = await log.append(batchOf('b', 2));
  assert.equal([a.baseOffset, a.lastOffset, a.recordCount], [0, 2, 3]);
  assert.equal([b.baseOffset, b.lastOffset, b.recordCount], [3, 4, 2]);
  assert.is(log.logStartOffset, 0);
  assert.is(log.logEndOffset, 5);
  const read = log.read(0);
  assert.equal(
    recordsOf(read.views).map((r) => [r.offset, r.value.split('.')[0]]),
    [[0, 'a-0'], [1, 'a-1'], [2, 'a-2'], [3, 'b-0'], [4, 'b-1']],
  );
  assert.is(read.nextOffset, 5);
  assert.is(read.firstOffset, 0);
  await log.close();
});

test('several batches in one append buffer each get their offsets', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'));
  const result = await log.append(Buffer.concat([batchOf('x', 2), batchOf('y', 3)]));
  assert.equal([result.baseOffset, result.lastOffset, result.recordCount], [0, 4, 5]);
  assert.equal(recordsOf(log.read(0).views).map((r) => r.offset), [0, 1, 2, 3, 4]);
  await log.close();
});

test('read starts at the batch containing the offset, as Kafka does', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'));
  await log.append(batchOf('a', 3));
  await log.append(batchOf('b', 3));
  const read = log.read(4);
  assert.is(read.firstOffset, 3);
  assert.equal(recordsOf(read.views, 4).map((r) => r.offset), [4, 5]);
  await log.close();
});

test('maxBytes, minOneBatch and maxOffset bound a read', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'));
  for (let i = 0; i < 10; i++) await log.append(batchOf(`b${i}`, 1, 200));
  const one = log.read(0, { maxBytes: 1 });
  assert.is(recordsOf(one.views).length, 1, 'at least one whole batch even past maxBytes');
  const none = log.read(0, { maxBytes: 1, minOneBatch: false });
  assert.is(none.views.length, 0);
  assert.is(none.nextOffset, 0);
  const size = one.bytes;
  const three = log.read(0, { maxBytes: size * 3 + 10 });
  assert.is(recordsOf(three.views).length, 3);
  const bounded = log.read(0, { maxOffset: 4 });
  assert.equal(recordsOf(bounded.views).map((r) => r.offset), [0, 1, 2, 3]);
  assert.is(bounded.nextOffset, 4);
  await log.close();
});

test('read at the log end is empty; outside the log is OffsetOutOfRange', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'));
  await log.append(batchOf('a', 2));
  const atEnd = log.read(2);
  assert.is(atEnd.views.length, 0);
  assert.is(atEnd.nextOffset, 2);
  const err = await expectCode(() => log.read(3), 'SKEIN_OFFSET_OUT_OF_RANGE');
  assert.ok(err instanceof OffsetOutOfRangeError);
  assert.is((err as OffsetOutOfRangeError).logEndOffset, 2);
  await expectCode(() => log.read(-1), 'SKEIN_OFFSET_OUT_OF_RANGE');
  await expectCode(() => log.read(1.5), 'SKEIN_INVALID_ARGUMENT');
  await log.close();
});

test('segments roll on segment.bytes; reads cross segments; reopen keeps everything', async () => {
  const dir = join(tempDir(), 'p0');
  let log = await PartitionLog.open(dir, { config: { segmentBytes: 4096, indexIntervalBytes: 256 } });
  const values: string[] = [];
  for (let i = 0; i < 200; i++) {
    await log.append(batchOf(`r${i}`, 1, 100));
    values.push(`r${i}-0`);
  }
  assert.ok(log.segmentCount > 5, `expected several segments, got ${log.segmentCount}`);
  const all = [];
  let offset = 0;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, { maxBytes: 1500 });
    all.push(...recordsOf(read.views, offset));
    offset = read.nextOffset;
  }
  assert.equal(all.map((r) => r.value.split('.')[0]), values);
  for (const probe of [0, 17, 63, 100, 150, 199]) {
    assert.is(recordsOf(log.read(probe, { maxBytes: 1 }).views, probe)[0]!.offset, probe);
  }
  const segments = log.segmentCount;
  await log.close();
  const names = readdirSync(dir);
  assert.ok(names.includes('00000000000000000000.log'));
  assert.ok(names.includes('00000000000000000000.index'));
  assert.ok(names.includes('00000000000000000000.timeindex'));
  assert.ok(names.includes('.clean-shutdown'));

  log = await PartitionLog.open(dir, { config: { segmentBytes: 4096, indexIntervalBytes: 256 } });
  assert.is(log.segmentCount, segments);
  assert.is(log.logEndOffset, 200);
  for (const probe of [0, 17, 63, 100, 150, 199]) {
    assert.is(recordsOf(log.read(probe, { maxBytes: 1 }).views, probe)[0]!.value.split('.')[0], `r${probe}-0`);
  }
  const next = await log.append(batchOf('after', 1));
  assert.is(next.baseOffset, 200);
  await log.close();
});

test('sealed segments are cut to their logical size on disk', async () => {
  const dir = join(tempDir(), 'p0');
  const log = await PartitionLog.open(dir, { config: { segmentBytes: 4096 } });
  for (let i = 0; i < 100; i++) await log.append(batchOf(`r${i}`, 1, 100));
  await log.close();
  // Give collected views a chance to release mappings, which applies deferred truncates.
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setImmediate(resolve));
  const reopened = await PartitionLog.open(dir, { config: { segmentBytes: 4096 } });
  const logs = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  for (const name of logs.slice(0, -1)) {
    assert.ok(statSync(join(dir, name)).size <= 4096, `${name} is within segment.bytes`);
  }
  await reopened.close();
});

test('segment.ms rolls a segment whose first batch is old enough', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: { segmentMs: 60_000 } });
  await log.append(batchOf('old', 1, 10, Date.now() - 120_000));
  assert.is(log.segmentCount, 1);
  await log.append(batchOf('new', 1, 10));
  assert.is(log.segmentCount, 2);
  await log.append(batchOf('newer', 1, 10));
  assert.is(log.segmentCount, 2);
  await log.close();
});

test('offsetForTimestamp finds the first record at or after a time', async () => {
  const dir = join(tempDir(), 'p0');
  let log = await PartitionLog.open(dir, { config: { segmentBytes: 2048, indexIntervalBytes: 128 } });
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < 60; i++) {
    const records = [0, 1].map((j) => ({ value: `v${i}-${j}`, timestamp: t0 + i * 1000 + j * 10 }));
    await log.append(encodeRecordBatch(records));
  }
  const check = () => {
    assert.equal(log.offsetForTimestamp(t0 - 5), { offset: 0, timestamp: t0 });
    assert.equal(log.offsetForTimestamp(t0 + 5), { offset: 1, timestamp: t0 + 10 });
    assert.equal(log.offsetForTimestamp(t0 + 30_000), { offset: 60, timestamp: t0 + 30_000 });
    assert.equal(log.offsetForTimestamp(t0 + 30_001), { offset: 61, timestamp: t0 + 30_010 });
    assert.equal(log.offsetForTimestamp(t0 + 59_010), { offset: 119, timestamp: t0 + 59_010 });
    assert.is(log.offsetForTimestamp(t0 + 59_011), undefined);
  };
  check();
  assert.ok(log.segmentCount > 2);
  await log.close();
  log = await PartitionLog.open(dir, { config: { segmentBytes: 2048, indexIntervalBytes: 128 } });
  check();
  await log.close();
});

test('bad input is refused with a coded error and changes nothing', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: { maxMessageBytes: 2000 } });
  await log.append(batchOf('keep', 2));
  const before = log.read(0).views.map((v) => Buffer.from(v));

  const flipped = batchOf('bad', 1);
  flipped[flipped.length - 3] ^= 0xff;
  await expectCode(() => log.append(flipped), 'SKEIN_CORRUPT_MESSAGE');

  const badMagic = batchOf('bad', 1);
  badMagic[16] = 1;
  await expectCode(() => log.append(badMagic), 'SKEIN_UNSUPPORTED_MESSAGE_FORMAT');

  const good = batchOf('cut', 1);
  await expectCode(() => log.append(good.subarray(0, good.length - 1)), 'SKEIN_CORRUPT_MESSAGE');
  await expectCode(() => log.append(good.subarray(0, 30)), 'SKEIN_CORRUPT_MESSAGE');
  await expectCode(() => log.append(Buffer.concat([good, good.subarray(0, 20)])), 'SKEIN_CORRUPT_MESSAGE');
  await expectCode(() => log.append(Buffer.alloc(0)), 'SKEIN_INVALID_RECORD');
  await expectCode(() => log.append(batchOf('big', 1, 3000)), 'SKEIN_MESSAGE_TOO_LARGE');
  await expectCode(() => log.append('not bytes' as unknown as Buffer), 'SKEIN_INVALID_ARGUMENT');

  // Codecs 1-4 are stored as sent (their contents are checked above storage); ids 5-7 are
  // not Kafka codecs at all.
  const unknownCodec = encodeRecordBatch([{ value: 'x' }]);
  unknownCodec.writeInt16BE(5, 21); // codec id 5, then a correct CRC so only the codec is wrong
  unknownCodec.writeUInt32BE((await import('../../src/native/crc32c.js')).crc32c(unknownCodec.subarray(21)), 17);
  await expectCode(() => log.append(unknownCodec), 'SKEIN_UNSUPPORTED_COMPRESSION');

  const wrongCount = encodeRecordBatch([{ value: 'a' }, { value: 'b' }]);
  wrongCount.writeInt32BE(5, 57);
  wrongCount.writeUInt32BE((await import('../../src/native/crc32c.js')).crc32c(wrongCount.subarray(21)), 17);
  await expectCode(() => log.append(wrongCount), 'SKEIN_INVALID_RECORD');

  assert.is(log.logEndOffset, 2);
  assert.equal(log.read(0).views.map((v) => Buffer.from(v)), before);
  const next = await log.append(batchOf('next', 1));
  assert.is(next.baseOffset, 2);
  await log.close();
});

test('a batch larger than segment.bytes gets a segment of its own', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: { segmentBytes: 1024 } });
  await log.append(batchOf('small', 1, 10));
  const big = await log.append(batchOf('big', 1, 5000));
  assert.is(big.baseOffset, 1);
  await log.append(batchOf('small2', 1, 10));
  assert.equal(recordsOf(log.read(0, { maxBytes: 100_000 }).views).map((r) => r.value.split('.')[0]), ['small-0', 'big-0', 'small2-0']);
  await log.close();
});

test('closed logs throw SKEIN_CLOSED, close is idempotent; views are released by close(), kept by close({ keepViews })', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'));
  await log.append(batchOf('a', 2));
  const view = log.read(0).views[0]!;
  assert.ok(view.length > 0);
  await log.close();
  await log.close();
  assert.ok(log.closed);
  await expectCode(() => log.append(batchOf('b', 1)), 'SKEIN_CLOSED');
  await expectCode(() => log.read(0), 'SKEIN_CLOSED');
  await expectCode(() => log.flush(), 'SKEIN_CLOSED');
  assert.is(view.length, 0, 'the view is detached: it reads as empty, never as other bytes');

  const kept = await PartitionLog.open(join(tempDir(), 'p1'));
  await kept.append(batchOf('a', 2));
  const keptView = kept.read(0).views[0]!;
  const copy = Buffer.from(keptView);
  await kept.close({ keepViews: true });
  assert.ok(keptView.equals(copy), 'kept views stay readable');
});

test('folder errors: a file in the way, and a folder already open; missing parents are created', async () => {
  const root = tempDir();
  const nested = await PartitionLog.open(join(root, 'missing', 'p0'));
  await nested.close();
  await expectCode(() => PartitionLog.open(join(root, 'file-parent', 'p0'), { create: false }), 'SKEIN_LOG_DIR_UNAVAILABLE');
  await expectCode(() => PartitionLog.open(join(root, 'nope'), { create: false }), 'SKEIN_LOG_DIR_UNAVAILABLE');
  writeFileSync(join(root, 'file'), 'x');
  await expectCode(() => PartitionLog.open(join(root, 'file')), 'SKEIN_LOG_DIR_UNAVAILABLE');
  await expectCode(() => PartitionLog.open(''), 'SKEIN_INVALID_ARGUMENT');
  await expectCode(() => PartitionLog.open(join(root, 'p1'), { config: { segmentBytes: -5 } }), 'SKEIN_INVALID_ARGUMENT');
  const log = await PartitionLog.open(join(root, 'p0'));
  await expectCode(() => PartitionLog.open(join(root, 'p0')), 'SKEIN_LOG_LOCKED');
  await log.close();
  const again = await PartitionLog.open(join(root, 'p0'));
  await again.close();
});

test('missing and garbled index files are rebuilt', async () => {
  const dir = join(tempDir(), 'p0');
  const config = { segmentBytes: 8192, indexIntervalBytes: 200 };
  let log = await PartitionLog.open(dir, { config });
  for (let i = 0; i < 120; i++) await log.append(batchOf(`r${i}`, 2, 60));
  await log.close();
  const indexes = readdirSync(dir).filter((n) => n.endsWith('.index') || n.endsWith('.timeindex'));
  unlinkSync(join(dir, indexes[0]!));
  writeFileSync(join(dir, indexes[2]!), Buffer.from('garbage!garbage!garbage'));
  writeFileSync(join(dir, indexes[3]!), Buffer.alloc(64, 0xff));
  log = await PartitionLog.open(dir, { config });
  assert.is(log.logEndOffset, 240);
  for (let offset = 0; offset < 240; offset += 7) {
    const first = recordsOf(log.read(offset, { maxBytes: 1 }).views, offset)[0]!;
    assert.is(first.offset, offset);
    assert.is(first.value.split('.')[0], `r${offset >> 1}-${offset & 1}`);
  }
  await log.close();
  assert.ok(existsSync(join(dir, indexes[0]!)), 'the deleted index was written again');
});

test('flush.messages=1 acknowledges after a flush, and concurrent appends share flushes', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: { flushMessages: 1 } });
  const results = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(batchOf(`c${i}`, 1))));
  assert.equal(results.map((r) => r.baseOffset), Array.from({ length: 100 }, (_, i) => i));
  assert.ok(log.flushCount >= 1 && log.flushCount <= 2, `group commit: ${log.flushCount} flushes for 100 appends`);
  await log.append(batchOf('single', 1));
  assert.ok(log.flushCount <= 3);
  await log.close();
});

test('flush.ms flushes data in the background', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'), { config: { flushMs: 5 } });
  await log.append(batchOf('a', 1));
  assert.is(log.flushCount, 0, 'the append did not wait for a flush');
  for (let i = 0; i < 500 && log.flushCount === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.is(log.flushCount, 1);
  await log.close();
});

test('updateConfig validates and applies', async () => {
  const log = await PartitionLog.open(join(tempDir(), 'p0'));
  await expectCode(() => log.updateConfig({ retentionMs: -7 }), 'SKEIN_INVALID_ARGUMENT');
  await expectCode(() => log.updateConfig({ bogus: 1 } as never), 'SKEIN_INVALID_ARGUMENT');
  log.updateConfig({ maxMessageBytes: 100 });
  await expectCode(() => log.append(batchOf('x', 1, 200)), 'SKEIN_MESSAGE_TOO_LARGE');
  assert.is(log.settings.maxMessageBytes, 100);
  await log.close();
});

test.run();
