/**
 * native/mapped_file.cc, mapping.cc, open_file.cc and async_work.cc through MappedFile, on
 * real files in a fresh temp folder: the lifecycle, zero-copy views and their lifetime
 * (unmap, close, unlink, garbage collection), the deferred truncate, copy mode, coded errors
 * in every state, and scan/scanAsync over hand-built batches.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { native, ScanStop, type NativeMappedFile } from '../../src/native/binding.js';
import { caught, collectUntil, makeBatches, makeTempDir, settle } from './helpers.js';

const { dir, remove } = makeTempDir();
test.after(remove);

let fileCount = 0;
function newPath(): string {
  fileCount += 1;
  return join(dir, `${String(fileCount).padStart(20, '0')}.log`);
}

function created(size: number, mapSize = size): NativeMappedFile {
  const file = new native.MappedFile(newPath(), { create: true });
  file.allocate(size);
  file.map(mapSize);
  return file;
}

function mappingsOf(path: string): number {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.endsWith(path) || line.endsWith(`${path} (deleted)`)).length;
}

function fdsOf(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
    } catch {
      return false;
    }
  }).length;
}

test('create, allocate, map, write, read back, flush, reopen', async () => {
  const path = newPath();
  const file = new native.MappedFile(path, { create: true });
  assert.is(file.path, path);
  assert.is(file.open, true);
  assert.is(file.mapped, false);
  assert.is(file.fileSize, 0);
  assert.is(file.mappedSize, 0);

  file.allocate(64 * 1024);
  assert.is(file.fileSize, 64 * 1024);
  assert.is(statSync(path).size, 64 * 1024);
  file.map(1 << 20); // more address space than file
  assert.is(file.mapped, true);
  assert.is(file.mappedSize, 1 << 20);

  const payload = randomBytes(5000);
  file.write(payload, 1000);
  file.writeInt64BE(0, 0x0123456789ab);
  file.writeInt64BE(8, -2);
  assert.equal(file.readCopy(1000, 5000), payload);
  const header = file.readCopy(0, 16);
  assert.is(header.readBigInt64BE(0), 0x0123456789abn);
  assert.is(header.readBigInt64BE(8), -2n);

  const view = file.buffer()!;
  assert.ok(Buffer.isBuffer(view));
  assert.is(view.length, 1 << 20, 'the buffer covers the whole mapping');
  assert.is(file.buffer(), view, 'one cached buffer per mapping');
  assert.equal(view.subarray(1000, 6000), payload);
  // Writes through the view are writes to the file.
  view.write('through the view', 7000);
  assert.is(file.readCopy(7000, 16).toString(), 'through the view');

  file.flush(0, 64 * 1024);
  await file.flushAsync(1000, 8000);
  await file.flushAsync(0, 0);
  const onDisk = readFileSync(path);
  assert.equal(onDisk.subarray(1000, 6000), payload);
  assert.is(onDisk.subarray(7000, 7016).toString(), 'through the view');
  file.close();

  const reopened = new native.MappedFile(path, { writable: false });
  assert.is(reopened.fileSize, 64 * 1024);
  reopened.map(reopened.fileSize);
  assert.equal(reopened.readCopy(1000, 5000), payload);
  assert.equal(reopened.buffer()!.subarray(1000, 6000), payload);
  reopened.close();
});

test('readCopy, write and writeInt64BE work unmapped (pread/pwrite)', () => {
  const file = created(8192);
  file.unmap();
  const payload = randomBytes(300);
  file.write(payload, 4000);
  file.writeInt64BE(100, 42);
  assert.equal(file.readCopy(4000, 300), payload);
  assert.is(file.readCopy(100, 8).readBigInt64BE(0), 42n);
  file.map(8192);
  assert.equal(file.buffer()!.subarray(4000, 4300), payload, 'pwrite and the mapping see one page cache');
  file.close();
});

test('a write whose source is a view of the same mapping (overlapping)', () => {
  const file = created(4096);
  const view = file.buffer()!;
  view.set(Buffer.from('abcdefghij'), 0);
  file.write(view.subarray(0, 8), 2);
  assert.is(file.readCopy(0, 10).toString(), 'ababcdefgh');
  file.close();
});

test('bounds and argument errors are SKEIN_INVALID_ARGUMENT and change nothing', async () => {
  const file = created(4096, 1 << 16);
  const before = file.readCopy(0, 4096);
  const cases: Array<[string, () => unknown]> = [
    ['write past fileSize (inside the mapping)', () => file.write(Buffer.alloc(10), 4090)],
    ['write at fileSize', () => file.write(Buffer.alloc(1), 4096)],
    ['writeInt64BE straddling fileSize', () => file.writeInt64BE(4092, 1)],
    ['readCopy past fileSize', () => file.readCopy(4000, 97)],
    ['negative position', () => file.write(Buffer.alloc(1), -1)],
    ['fractional position', () => file.readCopy(1.5, 1)],
    ['NaN length', () => file.readCopy(0, NaN)],
    ['position beyond 2^53', () => file.readCopy(2 ** 53, 1)],
    ['string source', () => file.write('abc' as unknown as Uint8Array, 0)],
    ['Uint16Array source', () => file.write(new Uint16Array(2) as unknown as Uint8Array, 0)],
    ['writeInt64BE value not an integer', () => file.writeInt64BE(0, 0.5)],
    ['writeInt64BE value beyond 2^53', () => file.writeInt64BE(0, 2 ** 60)],
    ['flush start after end', () => file.flush(10, 5)],
    ['flush past fileSize', () => file.flush(0, 8192)],
    ['flushAsync past fileSize', () => file.flushAsync(0, 8192)],
    ['scan past fileSize', () => file.scan(0, 4097)],
    ['scanAsync past fileSize', () => file.scanAsync(0, 4097)],
    ['scan negative maxBatches', () => file.scan(0, 10, -1)],
    ['map(0)', () => file.map(0)],
    ['map(-1)', () => file.map(-1)],
    ['allocate("1")', () => file.allocate('1' as unknown as number)],
    ['truncate(-5)', () => file.truncate(-5)],
  ];
  for (const [what, fn] of cases) {
    const err = await caught(fn);
    assert.is(err.code, 'SKEIN_INVALID_ARGUMENT', what);
    assert.is(err.name, 'SkeinError', what);
  }
  assert.equal(file.readCopy(0, 4096), before);
  assert.is(file.fileSize, 4096);
  assert.is(file.mappedSize, 1 << 16);
  file.close();
});

test('a BigInt value for writeInt64BE, full int64 range', () => {
  const file = created(4096);
  file.writeInt64BE(0, -(2n ** 63n) as unknown as number);
  file.writeInt64BE(8, (2n ** 63n - 1n) as unknown as number);
  const bytes = file.readCopy(0, 16);
  assert.is(bytes.readBigInt64BE(0), -(2n ** 63n));
  assert.is(bytes.readBigInt64BE(8), 2n ** 63n - 1n);
  file.close();
});

test('state errors: not mapped, read-only', async () => {
  const path = newPath();
  const file = new native.MappedFile(path, { create: true });
  file.allocate(4096);
  for (const fn of [() => file.buffer(), () => file.flush(0, 1), () => file.flushAsync(0, 1), () => file.scan(0, 1), () => file.scanAsync(0, 1)]) {
    assert.is((await caught(fn)).code, 'SKEIN_INVALID_ARGUMENT');
  }
  file.close();
  const readOnly = new native.MappedFile(path, {});
  readOnly.map(4096);
  assert.is(readOnly.buffer()!.length, 4096);
  for (const fn of [() => readOnly.write(Buffer.alloc(1), 0), () => readOnly.writeInt64BE(0, 1), () => readOnly.allocate(8192), () => readOnly.truncate(0)]) {
    const err = await caught(fn);
    assert.is(err.code, 'SKEIN_INVALID_ARGUMENT');
    assert.match(err.message, /read-only/);
  }
  assert.is(statSync(path).size, 4096);
  readOnly.close();
});

test('after close every method throws SKEIN_CLOSED; close is idempotent; getters still answer', async () => {
  const file = created(4096);
  const path = file.path;
  file.close();
  file.close();
  assert.is(file.open, false);
  assert.is(file.mapped, false);
  assert.is(file.mappedSize, 0);
  assert.is(file.fileSize, 4096);
  assert.is(file.path, path);
  const calls: Array<[string, () => unknown]> = [
    ['map', () => file.map(4096)],
    ['unmap', () => file.unmap()],
    ['allocate', () => file.allocate(8192)],
    ['buffer', () => file.buffer()],
    ['write', () => file.write(Buffer.alloc(1), 0)],
    ['writeInt64BE', () => file.writeInt64BE(0, 1)],
    ['readCopy', () => file.readCopy(0, 1)],
    ['flush', () => file.flush(0, 1)],
    ['flushAsync', () => file.flushAsync(0, 1)],
    ['scan', () => file.scan(0, 1)],
    ['scanAsync', () => file.scanAsync(0, 1)],
    ['truncate', () => file.truncate(0)],
  ];
  for (const [name, fn] of calls) {
    const err = await caught(fn);
    assert.is(err.code, 'SKEIN_CLOSED', name);
    assert.is(err.path, path, name);
  }
  assert.is(fdsOf(path), 0, 'the fd is closed');
  assert.is(mappingsOf(path), 0, 'nothing mapped');
});

test('views outlive unmap(), close() and unlink of the file', async () => {
  const file = created(8192);
  const payload = randomBytes(8192);
  file.write(payload, 0);
  const whole = file.buffer()!;
  const slice = whole.subarray(100, 200);
  file.unmap();
  assert.is(file.mapped, false);
  assert.equal(slice, payload.subarray(100, 200), 'after unmap');
  file.map(8192); // a new mapping; the old one lives on in `whole`
  const second = file.buffer()!;
  assert.is.not(second, whole);
  assert.is(native.stats().liveMappings >= 2, true);
  file.close();
  unlinkSync(file.path);
  assert.not.ok(existsSync(file.path));
  assert.equal(whole, payload, 'after close and unlink');
  assert.equal(second.subarray(0, 8192), payload);
  assert.is(mappingsOf(file.path), 2, 'both mappings still in the address space');
  // A mapping does not need the fd, and no truncate is pending: close() closed it at once.
  assert.is(fdsOf(file.path), 0, 'the fd is closed by close(), not by a garbage collection');
});

test('truncate(size, true) cuts at once under a live mapping; views below size read on; close frees the fd', async () => {
  const file = created(1 << 16);
  const path = file.path;
  const payload = randomBytes(5000);
  file.write(payload, 0);
  const view = file.buffer()!.subarray(0, 5000);
  file.truncate(5000, true);
  assert.is(statSync(path).size, 5000, 'cut now, not when the last view goes');
  assert.is(file.fileSize, 5000);
  assert.equal(view, payload);
  file.close();
  assert.is(fdsOf(path), 0, 'no cut pending: the fd closed with the handle');
  assert.is(mappingsOf(path), 1, 'the view keeps its mapping');
  assert.equal(view, payload);
  assert.is((await caught(() => created(4096).truncate(1, 'yes' as unknown as boolean))).code, 'SKEIN_INVALID_ARGUMENT');
});

test('releaseMappings: mappings go now, not at GC; views become empty; never one an open handle holds', async () => {
  const file = created(8192);
  const path = file.path;
  const prefix = path; // this file only: other tests' views of their files live on
  const payload = randomBytes(8192);
  file.write(payload, 0);
  const whole = file.buffer()!;
  const slice = whole.subarray(10, 20);
  assert.is(native.releaseMappings(prefix), 0, 'the open handle still maps it');
  assert.equal(slice, payload.subarray(10, 20), 'nothing was released');
  const before = native.stats().liveMappings;
  file.close();
  assert.is(mappingsOf(path), 1);
  assert.is(native.releaseMappings('/nowhere/'), 0, 'another folder: untouched');
  assert.is(native.releaseMappings(prefix), 1);
  assert.is(mappingsOf(path), 0, 'unmapped at once');
  assert.is(fdsOf(path), 0);
  assert.is(native.stats().liveMappings, before - 1);
  assert.is(whole.length, 0, 'the buffer is detached');
  assert.is(slice.length, 0, 'and so is every view of it');
  assert.is(slice[0], undefined, 'reads give nothing, never other bytes');
  assert.is(native.releaseMappings(prefix), 0, 'a second release is a no-op');
  assert.is((await caught(() => native.releaseMappings(42 as unknown as string))).code, 'SKEIN_INVALID_ARGUMENT');
  assert.is((await caught(() => native.releaseMappings(''))).code, 'SKEIN_INVALID_ARGUMENT');
  // The finalizer still runs later and frees the placeholder; nothing crashes.
  assert.ok(await collectUntil(() => native.stats().liveMappings <= before - 1));
});

test('releaseMappings releases a mapping whose buffer was collected but whose finalizer has not run yet', () => {
  const file = created(8192);
  const path = file.path;
  const prefix = path; // this file only: other tests' views of their files live on
  (function take() {
    file.buffer()!.subarray(0, 10).fill(1);
  })();
  file.close();
  // Collected now; Node runs the finalizer only from a later immediate, which this
  // synchronous test never yields to.
  (globalThis as { gc?: () => void }).gc!();
  assert.is(mappingsOf(path), 1, 'the mapping waits for its finalizer');
  assert.is(native.releaseMappings(prefix), 1);
  assert.is(mappingsOf(path), 0);
});

test('mappings are released when their views are collected (FinalizationRegistry proof)', async () => {
  await settle();
  const baseline = native.stats();
  let collected = 0;
  const registry = new FinalizationRegistry(() => {
    collected += 1;
  });
  const paths: string[] = [];
  (() => {
    for (let i = 0; i < 8; i++) {
      const file = created(4096);
      paths.push(file.path);
      const view = file.buffer()!;
      registry.register(view, i);
      registry.register(view.buffer, i);
      file.close(); // only the views hold the mappings now
    }
  })();
  assert.is(native.stats().liveMappings, baseline.liveMappings + 8);
  assert.is(native.stats().externalBuffers, baseline.externalBuffers + 8);
  const released = await collectUntil(() => collected === 16 && native.stats().liveMappings === baseline.liveMappings);
  assert.ok(released, `collected ${collected}/16, liveMappings ${native.stats().liveMappings} (baseline ${baseline.liveMappings})`);
  assert.is(native.stats().mappedBytes, baseline.mappedBytes);
  for (const path of paths) {
    assert.is(mappingsOf(path), 0, `${path} unmapped`);
    assert.is(fdsOf(path), 0, `${path} fd closed`);
  }
});

test('stats count live mappings, their bytes and external buffers', async () => {
  await settle();
  const before = native.stats();
  const file = created(4096, 1 << 20);
  assert.equal(native.stats(), { ...before, liveMappings: before.liveMappings + 1, mappedBytes: before.mappedBytes + (1 << 20) });
  file.buffer();
  file.buffer();
  assert.is(native.stats().externalBuffers, before.externalBuffers + 1, 'one external buffer per mapping');
  file.map(1 << 20); // same size: no-op
  assert.is(native.stats().liveMappings, before.liveMappings + 1);
  file.close();
});

test('deferred truncate: never under a live view; applied when the last view is collected', async () => {
  const path = newPath();
  const file = new native.MappedFile(path, { create: true });
  file.allocate(1 << 20);
  file.map(1 << 20);
  file.write(Buffer.from('kept'), 0);
  let view: Buffer | null = file.buffer()!.subarray(0, 1 << 20);
  await settle();
  const baseline = native.stats().liveMappings;

  file.truncate(4096);
  assert.is(file.fileSize, 4096, 'fileSize is the logical size at once');
  assert.is(statSync(path).size, 1 << 20, 'the file is not shrunk under the mapping');
  file.unmap();
  assert.is(statSync(path).size, 1 << 20, 'the view still holds the mapping');
  assert.is(view[(1 << 20) - 1], 0, 'the last page is still readable');
  assert.is(native.stats().liveMappings, baseline);

  view = null;
  const released = await collectUntil(() => statSync(path).size === 4096);
  assert.ok(released, `file size ${statSync(path).size}`);
  assert.is(native.stats().liveMappings, baseline - 1);
  assert.is(file.readCopy(0, 4).toString(), 'kept');
  file.close();
});

test('truncate with no live mapping applies at once; growing applies at once even when mapped', () => {
  const file = created(8192);
  file.truncate(16384);
  assert.is(statSync(file.path).size, 16384, 'growth under a mapping is safe');
  file.unmap();
  file.truncate(100);
  assert.is(statSync(file.path).size, 100);
  assert.is(file.fileSize, 100);
  file.close();
});

test('a pending truncate after close: applied, then the fd closed, when the last view goes', async () => {
  const file = created(1 << 16);
  const path = file.path;
  let view: Buffer | null = file.buffer();
  file.truncate(10);
  file.close();
  assert.is(statSync(path).size, 1 << 16);
  assert.is(fdsOf(path), 1);
  view = null;
  assert.ok(await collectUntil(() => fdsOf(path) === 0));
  assert.is(statSync(path).size, 10);
  assert.is(view, null);
});

test('allocate after a pending truncate raises the size the file is cut to', async () => {
  const file = created(1 << 16);
  const path = file.path;
  let view: Buffer | null = file.buffer();
  file.truncate(100);
  assert.is((await caught(() => file.write(Buffer.alloc(1), 200))).code, 'SKEIN_INVALID_ARGUMENT', 'writes obey the logical size');
  file.allocate(8192);
  assert.is(file.fileSize, 8192);
  file.write(Buffer.from('after'), 8000);
  file.unmap();
  view = null;
  assert.ok(await collectUntil(() => statSync(path).size === 8192));
  assert.is(file.readCopy(8000, 5).toString(), 'after');
  assert.is(view, null);
  file.close();
});

test('setForceCopy(true): buffer() is null, write/readCopy still work', async () => {
  native.setForceCopy(true);
  try {
    const file = created(4096);
    assert.is(file.buffer(), null);
    const payload = randomBytes(100);
    file.write(payload, 50);
    assert.equal(file.readCopy(50, 100), payload);
    file.close();
  } finally {
    native.setForceCopy(false);
  }
  const file = created(4096);
  assert.ok(Buffer.isBuffer(file.buffer()));
  file.close();
  assert.is((await caught(() => (native.setForceCopy as (v: unknown) => void)(1))).code, 'SKEIN_INVALID_ARGUMENT');
});

test('opening in a missing folder, or a missing file: SKEIN_LOG_DIR_UNAVAILABLE', async () => {
  const missingDir = join(dir, 'no-such-folder', 'x.log');
  for (const options of [{ create: true }, {}]) {
    const err = await caught(() => new native.MappedFile(missingDir, options));
    assert.is(err.code, 'SKEIN_LOG_DIR_UNAVAILABLE');
    assert.is(err.errno, 'ENOENT');
    assert.is(err.syscall, 'open');
    assert.is(err.path, missingDir);
  }
  const missingFile = join(dir, 'missing.log');
  assert.is((await caught(() => new native.MappedFile(missingFile, { writable: true }))).code, 'SKEIN_LOG_DIR_UNAVAILABLE');
  const inFile = join(newPath(), 'child.log'); // a path under a regular file: ENOTDIR
  writeFileSync(inFile.slice(0, inFile.lastIndexOf('/')), '');
  assert.is((await caught(() => new native.MappedFile(inFile, { create: true }))).errno, 'ENOTDIR');
});

test('create on an existing file, a directory, bad options: coded errors', async () => {
  const file = created(4096);
  const exists = await caught(() => new native.MappedFile(file.path, { create: true }));
  assert.is(exists.code, 'SKEIN_IO_ERROR');
  assert.is(exists.errno, 'EEXIST');
  assert.is(statSync(file.path).size, 4096, 'the existing file is untouched');
  file.close();
  assert.is((await caught(() => new native.MappedFile(dir, {}))).errno, 'EISDIR');
  for (const args of [[123, {}], ['', {}], ['x', 'y'], ['x', { create: 1 }], [join(dir, 'ro'), { create: true, writable: false }]]) {
    const err = await caught(() => new (native.MappedFile as unknown as new (...a: unknown[]) => unknown)(...args));
    assert.is(err.code, 'SKEIN_INVALID_ARGUMENT', JSON.stringify(args));
  }
  assert.not.ok(existsSync(join(dir, 'ro')));
});

test('scan and scanAsync over valid batches, a zeroed tail and a start offset', async () => {
  const { bytes, ends } = makeBatches(40);
  const file = created(bytes.length + 10_000); // preallocated: zeros after the data
  file.write(bytes, 0);
  const all = { validEnd: bytes.length, batches: 40, stop: ScanStop.BAD_LENGTH };
  assert.equal(file.scan(0, file.fileSize), all);
  assert.equal(await file.scanAsync(0, file.fileSize), all);
  assert.equal(file.scan(0, bytes.length), { ...all, stop: ScanStop.END });
  // validEnd is a file position, also when the scan starts mid-file.
  assert.equal(file.scan(ends[9]!, file.fileSize), { validEnd: bytes.length, batches: 30, stop: ScanStop.BAD_LENGTH });
  assert.equal(await file.scanAsync(ends[9]!, ends[19]!), { validEnd: ends[19], batches: 10, stop: ScanStop.END });
  file.close();
});

test('scan stops: BAD_CRC, BAD_MAGIC, TRUNCATED, LIMIT', async () => {
  const { bytes, ends } = makeBatches(10);
  const file = created(bytes.length);
  const reset = () => file.write(bytes, 0);
  reset();
  const view = file.buffer()!;

  view[ends[4]! + 200] ^= 0x10; // a flipped byte inside batch 5
  assert.equal(file.scan(0, bytes.length), { validEnd: ends[4], batches: 5, stop: ScanStop.BAD_CRC });
  assert.equal(await file.scanAsync(0, bytes.length), { validEnd: ends[4], batches: 5, stop: ScanStop.BAD_CRC });
  reset();

  view[ends[6]! + 16] = 1; // magic v1
  assert.equal(await file.scanAsync(0, bytes.length), { validEnd: ends[6], batches: 7, stop: ScanStop.BAD_MAGIC });
  reset();

  assert.equal(file.scan(0, ends[8]! - 3), { validEnd: ends[7], batches: 8, stop: ScanStop.TRUNCATED });
  assert.equal(await file.scanAsync(0, ends[8]! + 5), { validEnd: ends[8], batches: 9, stop: ScanStop.TRUNCATED });

  assert.equal(file.scan(0, bytes.length, 4), { validEnd: ends[3], batches: 4, stop: ScanStop.LIMIT });
  assert.equal(await file.scanAsync(ends[3]!, bytes.length, 4), { validEnd: ends[7], batches: 4, stop: ScanStop.LIMIT });
  assert.equal(await file.scanAsync(0, bytes.length, 10), { validEnd: bytes.length, batches: 10, stop: ScanStop.END });
  file.close();
});

test('async work keeps its mapping: unmap and close right after queuing', async () => {
  const { bytes } = makeBatches(300, () => 4096);
  const file = created(bytes.length);
  file.write(bytes, 0);
  await settle();
  const baseline = native.stats().liveMappings;
  const scanning = file.scanAsync(0, bytes.length);
  const flushing = file.flushAsync(0, bytes.length);
  file.unmap();
  assert.is(native.stats().liveMappings, baseline, 'the work holds the mapping');
  file.close();
  assert.equal(await scanning, { validEnd: bytes.length, batches: 300, stop: ScanStop.END });
  await flushing;
  await new Promise(setImmediate);
  assert.is(native.stats().liveMappings, baseline - 1, 'released when the work is done');
  assert.is(fdsOf(file.path), 0);
  assert.equal(readFileSync(file.path), bytes);
});

test('a mapping over 4 GiB: buffer() refuses with a coded error, copies still work', async () => {
  await settle();
  const before = native.stats();
  const file = created(4096, 2 ** 32 + 4096); // address space only
  const err = await caught(() => file.buffer());
  assert.is(err.code, 'SKEIN_INVALID_ARGUMENT');
  assert.match(err.message, /too large for one Buffer/);
  file.write(Buffer.from('still'), 0);
  assert.is(file.readCopy(0, 5).toString(), 'still');
  assert.is(native.stats().externalBuffers, before.externalBuffers);
  assert.is(native.stats().liveMappings, before.liveMappings + 1);
  file.close();
  assert.is(native.stats().liveMappings, before.liveMappings, 'no reference leaked');
});

test('map with another size: a new mapping, old views keep theirs', () => {
  const file = created(1 << 16, 4096);
  const small = file.buffer()!;
  file.map(1 << 16);
  const large = file.buffer()!;
  assert.is(small.length, 4096);
  assert.is(large.length, 1 << 16);
  large.write('shared', 0);
  assert.is(small.subarray(0, 6).toString(), 'shared', 'two mappings of one file share pages');
  file.close();
});

test.run();
