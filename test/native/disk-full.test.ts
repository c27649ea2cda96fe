/**
 * allocate() on a full file system: SKEIN_DISK_FULL, and the file keeps its size and bytes.
 * Needs root to mount a 1 MiB tmpfs; without root (or without the right to mount) the test is
 * skipped with the reason printed, so the skip shows in uvu's count, except in CI
 * (SKEIN_REQUIRE_DISK_TESTS=1), where it fails.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { native } from '../../src/native/binding.js';
import { caught, makeTempDir, settle } from './helpers.js';

const { dir, remove } = makeTempDir('skein-disk-full-');
let mounted = false;
let skipReason = '';
if (process.getuid?.() !== 0) {
  skipReason = 'not root: cannot mount a small tmpfs';
} else {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    mounted = true;
  } catch (err) {
    skipReason = `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

test.after(async () => {
  if (mounted) {
    await settle(); // views of files on the tmpfs keep it busy until collected
    execFileSync('umount', [dir]);
  }
  remove();
});

// CI (.ci/run) sets SKEIN_REQUIRE_DISK_TESTS=1: there a skip would hide these tests, so a
// failed mount fails them instead.
const required = process.env.SKEIN_REQUIRE_DISK_TESTS === '1';
const diskTest = mounted ? test : test.skip;
if (!mounted) console.log(`disk-full.test: ${required ? 'REQUIRED but cannot run' : 'skipped'}, ${skipReason}`);
if (!mounted && required) {
  test('the disk-full tests can run (SKEIN_REQUIRE_DISK_TESTS=1)', () => {
    assert.unreachable(`cannot mount a small tmpfs: ${skipReason}`);
  });
}

diskTest('allocate past a full tmpfs: SKEIN_DISK_FULL, old size and bytes kept', async () => {
  const path = join(dir, '00000000000000000000.log');
  const file = new native.MappedFile(path, { create: true });
  file.allocate(256 * 1024);
  file.map(4 << 20);
  const payload = randomBytes(256 * 1024);
  file.write(payload, 0);
  file.flush(0, payload.length);

  const err = await caught(() => file.allocate(4 << 20));
  assert.is(err.code, 'SKEIN_DISK_FULL');
  assert.is(err.errno, 'ENOSPC');
  assert.is(err.syscall, 'posix_fallocate');
  assert.is(err.path, path);
  assert.is(err.name, 'SkeinError');
  assert.is(file.fileSize, 256 * 1024);
  assert.is(statSync(path).size, 256 * 1024);
  assert.equal(readFileSync(path), payload);
  assert.equal(file.readCopy(0, payload.length), payload, 'the mapping still reads the old bytes');

  // The handle still works: a smaller allocation that fits succeeds.
  file.allocate(512 * 1024);
  assert.is(statSync(path).size, 512 * 1024);
  file.write(Buffer.from('tail'), 512 * 1024 - 4);
  assert.is(file.readCopy(512 * 1024 - 4, 4).toString(), 'tail');
  file.close();
  unlinkSync(path);
});

diskTest('allocate that runs out part way (another file holds the space): the file is as it was', async () => {
  const hog = join(dir, 'hog');
  writeFileSync(hog, Buffer.alloc(600 * 1024, 1));
  const path = join(dir, '00000000000000000100.log');
  const file = new native.MappedFile(path, { create: true });
  file.allocate(64 * 1024);
  file.write(Buffer.from('kept'), 0);
  // 700 KiB fits within the file system's size but not in what is left of it.
  const err = await caught(() => file.allocate(700 * 1024));
  assert.is(err.code, 'SKEIN_DISK_FULL');
  assert.is(file.fileSize, 64 * 1024);
  assert.is(statSync(path).size, 64 * 1024);
  assert.is(file.readCopy(0, 4).toString(), 'kept');
  file.close();
  unlinkSync(path);
  unlinkSync(hog);
});

test.run();
