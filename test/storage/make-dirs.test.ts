/** makeDirs: nested folders are made; a path that cannot be made fails at once (Node's recursive mkdir spins on /proc). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../../src/storage/make-dirs.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

test('makes every missing level, and is a no-op on an existing folder', () => {
  const root = tempDir();
  const deep = join(root, 'a', 'b', 'c');
  makeDirs(deep);
  assert.ok(statSync(deep).isDirectory());
  makeDirs(deep);
  assert.ok(statSync(deep).isDirectory());
});

test('fails with the system error where a folder cannot be made', () => {
  const root = tempDir();
  writeFileSync(join(root, 'file'), 'x');
  assert.throws(() => makeDirs(join(root, 'file', 'sub')), (err: NodeJS.ErrnoException) => err.code === 'ENOTDIR');
  assert.throws(() => makeDirs('/proc/skein/x'), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
});

test.run();
