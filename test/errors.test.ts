import { test } from './helpers/test.js';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, SkeinError, OffsetOutOfRangeError, CorruptSegmentError, fromSystemError } from '../src/errors.js';

test('docs/errors.md lists every code once and no other', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...doc.matchAll(/^\| `(SKEIN_[A-Z_]+)` \|/gm)].map((m) => m[1]);
  assert.equal([...documented].sort(), [...ERROR_CODES].sort());
  assert.is(new Set(documented).size, documented.length);
});

test('the list of codes is pinned: adding one is a deliberate change', () => {
  assert.is(ERROR_CODES.length, 74);
});

test('errors carry code, name, context and cause', () => {
  const cause = new Error('inner');
  const err = new SkeinError('SKEIN_IO_ERROR', 'outer', { cause, path: '/x' });
  assert.is(err.code, 'SKEIN_IO_ERROR');
  assert.is(err.name, 'SkeinError');
  assert.is(err.path, '/x');
  assert.is(err.cause, cause);
  const range = new OffsetOutOfRangeError(9, 0, 5);
  assert.is(range.name, 'OffsetOutOfRangeError');
  assert.ok(range instanceof SkeinError);
  assert.ok(range instanceof OffsetOutOfRangeError);
  assert.not.ok(range instanceof CorruptSegmentError);
});

test('instanceof holds for an error branded by another copy of the class', () => {
  const foreign = Object.assign(new Error('x'), { code: 'SKEIN_CLOSED' });
  Object.defineProperty(foreign, Symbol.for('skein.error'), { value: true });
  assert.ok(foreign instanceof SkeinError);
  assert.not.ok(new Error('plain') instanceof SkeinError);
});

test('system errors map to stable codes', () => {
  const sys = (code: string) => Object.assign(new Error(code), { code, syscall: 'open' }) as NodeJS.ErrnoException;
  assert.is(fromSystemError(sys('ENOSPC'), 'w').code, 'SKEIN_DISK_FULL');
  assert.is(fromSystemError(sys('ENOENT'), 'w').code, 'SKEIN_LOG_DIR_UNAVAILABLE');
  assert.is(fromSystemError(sys('EIO'), 'w').code, 'SKEIN_IO_ERROR');
  assert.is(fromSystemError(sys('EIO'), 'w').errno, 'EIO');
});

test.run();
