/**
 * MappedFile.populate / populateAsync (native/mapping.cc Mapping::populate): faulting pages
 * in ahead of the writer must never change bytes, must stay inside the file, and must be
 * refused on read-only or closed handles with coded errors.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { native } from '../../src/native/binding.js';
import { caught, makeTempDir } from './helpers.js';

const { dir, remove } = makeTempDir();
test.after(remove);

test('populate keeps written bytes and zeros as they are', async () => {
  const path = join(dir, 'a.log');
  const file = new native.MappedFile(path, { create: true });
  file.allocate(1 << 20);
  file.map(4 << 20);
  const data = randomBytes(300_000);
  file.write(data, 12_345);
  file.populate(0, 1 << 20);
  await file.populateAsync(5000, 900_000);
  const after = file.readCopy(0, 1 << 20);
  assert.ok(after.subarray(12_345, 12_345 + data.length).equals(data));
  assert.ok(after.subarray(0, 12_345).equals(Buffer.alloc(12_345)));
  assert.ok(after.subarray(12_345 + data.length).equals(Buffer.alloc((1 << 20) - 12_345 - data.length)));
  file.close();
  const reopened = new native.MappedFile(path, { create: false, writable: false });
  reopened.map(1 << 20);
  assert.ok(reopened.readCopy(12_345, data.length).equals(data));
  reopened.close();
});

test('populate while writing below it: the writes survive', async () => {
  const file = new native.MappedFile(join(dir, 'b.log'), { create: true });
  file.allocate(8 << 20);
  file.map(8 << 20);
  const mapping = file.buffer()!;
  const chunk = randomBytes(16_384);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 500; i++) {
    mapping.set(chunk, i * chunk.length);
    if (i % 50 === 0) pending.push(file.populateAsync((i + 1) * chunk.length, Math.min(8 << 20, (i + 100) * chunk.length)));
  }
  await Promise.all(pending);
  for (let i = 0; i < 500; i++) assert.ok(mapping.subarray(i * chunk.length, (i + 1) * chunk.length).equals(chunk));
  file.close();
});

test('populate is refused past the file, on read-only and on closed handles', async () => {
  const path = join(dir, 'c.log');
  const file = new native.MappedFile(path, { create: true });
  file.allocate(65_536);
  file.map(1 << 20);
  assert.is((await caught(() => file.populate(0, 65_537)))?.code, 'SKEIN_INVALID_ARGUMENT');
  assert.is((await caught(() => file.populateAsync(10, 5)))?.code, 'SKEIN_INVALID_ARGUMENT');
  file.close();
  assert.is((await caught(() => file.populate(0, 10)))?.code, 'SKEIN_CLOSED');
  const readOnly = new native.MappedFile(path, { create: false, writable: false });
  readOnly.map(65_536);
  assert.is((await caught(() => readOnly.populate(0, 4096)))?.code, 'SKEIN_INVALID_ARGUMENT');
  readOnly.close();
});

test.run();
