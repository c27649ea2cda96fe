/**
 * Process exit with many mappings alive (better-sqlite3's at-exit test, in a child process so
 * a crash cannot take this suite down): the env cleanup hook and the finalizers that run at
 * teardown must not crash, whichever way the process ends. At a normal end (the event loop
 * drains) the environment is torn down, so every view is released and pending truncates are
 * applied; process.exit() skips the teardown and leaves the files at their larger size.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './helpers.js';

const child = fileURLToPath(new URL('./at-exit-child.js', import.meta.url));

function run(mode: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; dir: string; remove: () => void } {
  const { dir, remove } = makeTempDir('skein-at-exit-');
  const result = spawnSync(process.execPath, ['--expose-gc', child, dir, mode], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr, dir, remove };
}

test('the event loop drains with mappings alive: clean exit, pending truncates applied', () => {
  const r = run('return');
  try {
    assert.is(r.signal, null, r.stderr);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /mapped 1280, live \d+, kept 192/);
    assert.is(r.stderr, '');
    for (let f = 0; f < 64; f++) {
      const size = statSync(join(r.dir, `${f}.log`)).size;
      assert.is(size, f % 2 === 0 ? 1000 : 64 * 1024, `file ${f}`);
    }
  } finally {
    r.remove();
  }
});

test('process.exit() with async work in flight: clean exit', () => {
  const r = run('exit');
  try {
    assert.is(r.signal, null, r.stderr);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /mapped 1280/);
    assert.is(r.stderr, '');
  } finally {
    r.remove();
  }
});

test('an uncaught exception with mappings alive: exit code 1, no native crash', () => {
  const r = run('throw');
  try {
    assert.is(r.signal, null, r.stderr);
    assert.is(r.status, 1);
    assert.match(r.stderr, /uncaught on purpose/);
    assert.not.match(r.stderr, /terminate called|Aborted|Segmentation|FATAL/);
  } finally {
    r.remove();
  }
});

test.run();
