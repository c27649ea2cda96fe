/**
 * The addon in worker_threads: per-environment state, and the env cleanup hook that releases
 * a worker's mappings and fds when it exits with mappings alive (process.exit in the worker,
 * end of script, terminate()). Checked against /proc/self/maps and /proc/self/fd.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { native } from '../../src/native/binding.js';
import { makeTempDir, settle } from './helpers.js';

const { dir, remove } = makeTempDir();
test.after(remove);

function mappingsOf(path: string): number {
  return readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.includes(path)).length;
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

interface Report {
  stats: { liveMappings: number; mappedBytes: number; externalBuffers: number };
  implementation: string;
  crc: number;
}

async function runWorker(path: string, mode: 'exit' | 'return' | 'wait'): Promise<{ report: Report; code: number }> {
  const worker = new Worker(new URL('./mapping-worker.js', import.meta.url), { workerData: { path, mode } });
  const report = await new Promise<Report>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  if (mode === 'wait') await worker.terminate();
  const code = await new Promise<number>((resolve) => (worker.threadId === -1 ? resolve(0) : worker.once('exit', resolve)));
  return { report, code };
}

for (const mode of ['exit', 'return', 'wait'] as const) {
  const how = { exit: 'process.exit() in the worker', return: 'the end of the worker script', wait: 'worker.terminate()' }[mode];
  test(`a worker ends by ${how} with mappings alive: they are released, the main thread is fine`, async () => {
    const path = join(dir, `${mode}.log`);
    const main = new native.MappedFile(path, { create: true });
    main.allocate(64 * 1024);
    main.map(64 * 1024);
    const mainView = main.buffer()!;
    await settle();
    const mainStats = native.stats();

    const { report } = await runWorker(path, mode);
    assert.is(report.implementation, native.crc32cImplementation);
    assert.is(report.crc, 0xe3069283);
    assert.is(report.stats.liveMappings, 2, "the worker's stats are its own");
    assert.is(report.stats.externalBuffers, 2);

    // Only the main thread's mapping and fd remain.
    assert.is(mappingsOf(path), 1, `mappings left: ${mappingsOf(path)}`);
    assert.is(fdsOf(path), 1, `fds left: ${fdsOf(path)}`);
    assert.equal(native.stats(), mainStats, "the worker did not touch the main thread's stats");
    assert.is(mainView.subarray(0, 11).toString(), 'from worker', 'the same pages, seen from the main thread');
    assert.is(main.readCopy(0, 11).toString(), 'from worker');
    main.close();
  });
}

test('several workers load the addon at once', async () => {
  const runs = await Promise.all([0, 1, 2, 3].map((i) => {
    const path = join(dir, `parallel-${i}.log`);
    const file = new native.MappedFile(path, { create: true });
    file.allocate(8192);
    file.close();
    return runWorker(path, 'return');
  }));
  for (const { report, code } of runs) {
    assert.is(code, 0);
    assert.is(report.crc, 0xe3069283);
  }
});

test.run();
