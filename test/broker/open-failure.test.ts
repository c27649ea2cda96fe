/**
 * A Broker.open that fails late (a partition folder that cannot be opened, read after the
 * metadata log, the group coordinator and the timers are up) leaves nothing of itself running:
 * no retention or log cleaner timer fires afterwards, and the folder's lock is released, so a
 * second open in the same process reports the same damage (not a lock held by a ghost) and,
 * once the damage is removed, opens and serves what was stored; a process whose open failed
 * ends by itself (open-failure-child.ts).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { createHook } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { SkeinError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./open-failure-child.js', import.meta.url));

/** Short maintenance intervals: a timer left behind by a failed open fires many times in the wait below. */
const FAST_TIMERS = { retentionCheckIntervalMs: 10, logCleanerIntervalMs: 10 };

/** A folder with topic t (3 partitions, a record in t-0) whose t-2 folder was replaced by a plain file. */
async function damagedFolder(): Promise<string> {
  const dir = tempDir('skein-open-failure-');
  const broker = await Broker.open({ dir, ...FAST_TIMERS });
  await broker.createTopic({ topic: 't', numPartitions: 3 });
  await broker.produce('t', 0, encodeRecordBatch([{ value: Buffer.from('kept') }]), 1);
  await broker.close();
  rmSync(join(dir, 't-2'), { recursive: true });
  writeFileSync(join(dir, 't-2'), 'not a partition folder');
  return dir;
}

/**
 * Runs `open` and returns its error, and how many timers it started fired after it failed
 * (async_hooks: Timeout resources made during the open whose callbacks ran later).
 */
async function failedOpen(open: () => Promise<Broker>): Promise<{ error: unknown; firedAfter: number }> {
  const made = new Set<number>();
  let failed = false;
  let firedAfter = 0;
  const hook = createHook({
    init(asyncId, type) {
      if (type === 'Timeout' && !failed) made.add(asyncId);
    },
    before(asyncId) {
      if (failed && made.has(asyncId)) firedAfter += 1;
    },
  });
  hook.enable();
  let error: unknown;
  try {
    const broker = await open();
    await broker.close();
  } catch (err) {
    error = err;
  }
  failed = true;
  // Ten intervals' worth: a retention or cleaner timer left running fires several times.
  await new Promise((resolve) => setTimeout(resolve, 100));
  hook.disable();
  return { error, firedAfter };
}

test('an open failing on a damaged partition folder stops its timers and releases the folder', async () => {
  const dir = await damagedFolder();
  const first = await failedOpen(() => Broker.open({ dir, ...FAST_TIMERS }));
  assert.ok(first.error instanceof SkeinError, String(first.error));
  assert.is(first.error.code, 'SKEIN_LOG_DIR_UNAVAILABLE', first.error.message);
  assert.is(first.firedAfter, 0, 'no timer of the failed open fires afterwards');

  // Same process, same folder: the same damage is reported, not a lock still held.
  const second = await failedOpen(() => Broker.open({ dir, ...FAST_TIMERS }));
  assert.ok(second.error instanceof SkeinError, String(second.error));
  assert.is(second.error.code, 'SKEIN_LOG_DIR_UNAVAILABLE', second.error.message);
  assert.is(second.firedAfter, 0);

  // The damage removed, the folder opens in this process and what was stored is there.
  rmSync(join(dir, 't-2'));
  const broker = await Broker.open({ dir, ...FAST_TIMERS });
  try {
    assert.is(broker.partitionCount('t'), 3);
    assert.is(broker.offsets('t', 0).highWatermark, 1);
  } finally {
    await broker.close();
  }
});

test('a process whose only open fails on a damaged folder exits by itself', async () => {
  const dir = await damagedFolder();
  const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Far more than an open and a failure take; a thread or a ref'd timer left behind never ends.
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await exited;
  clearTimeout(timer);
  assert.is(code, 0, `the child ended by itself (stderr: ${err})`);
  assert.is(out.trim(), 'SKEIN_LOG_DIR_UNAVAILABLE');
});

test.run();
