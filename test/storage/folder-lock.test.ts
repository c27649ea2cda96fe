/**
 * The folder lock (src/storage/folder-lock.ts, issue 8 item 3): one folder, one owner, always.
 * Real processes race for the same folders; a SIGKILLed holder's lock is free at once; a
 * second open in the same process is refused; the error names the folder.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { SkeinError } from '../../src/errors.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { batchOf } from '../helpers/batches.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./folder-lock-child.js', import.meta.url));
const config = { preallocateBytes: 4096, segmentBytes: 64 * 1024 };

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Child {
  process: ChildProcess;
  nextLine(): Promise<string>;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const queue: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queue.push(line);
  });
  return {
    process: child,
    nextLine: () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise((resolve) => waiting.push(resolve))),
  };
}

function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.process.once('exit', () => resolve());
    child.process.kill('SIGKILL');
  });
}

async function expectLocked(fn: () => unknown, dir: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `not a SkeinError: ${String(err)}`);
    assert.is((err as SkeinError).code, 'SKEIN_LOG_LOCKED');
    assert.ok((err as SkeinError).message.includes(dir), `the message names the folder: ${(err as SkeinError).message}`);
    return;
  }
  assert.unreachable(`opening ${dir} a second time succeeded`);
}

/** Two processes sweep the same `count` folders at the same moment; each folder must have exactly one winner. */
async function race(mode: 'log' | 'manager', count: number): Promise<void> {
  const root = tempDir('skein-lock-race-');
  for (let i = 0; i < count; i++) mkdirSync(join(root, `f${i}`));
  const children = [startChild([root, mode, String(count)]), startChild([root, mode, String(count)])];
  try {
    for (const child of children) assert.is(await withTimeout(child.nextLine(), 20_000, 'child ready'), 'ready');
    for (const child of children) child.process.stdin!.write('go\n');
    const results = await Promise.all(children.map((c) => withTimeout(c.nextLine(), 60_000, 'child sweep')));
    const [a, b] = results.map((line) => new Set<number>((JSON.parse(line) as { won: number[] }).won));
    const both = [...a!].filter((i) => b!.has(i));
    assert.equal(both, [], `folders opened by both processes at once: ${both.length} of ${count}`);
    for (let i = 0; i < count; i++) assert.ok(a!.has(i) || b!.has(i), `nobody got folder f${i}`);
  } finally {
    await Promise.all(children.map(stop));
  }
}

test('two processes racing for the same 300 log folders: exactly one wins each', async () => {
  await withTimeout(race('log', 300), 90_000, 'race');
});

test('two processes racing for the same 300 data folders (LogManager): exactly one wins each', async () => {
  await withTimeout(race('manager', 300), 90_000, 'race');
});

test('the lock of a SIGKILLed holder is free at once', async () => {
  const root = tempDir('skein-lock-kill-');
  const child = startChild([root, 'hold', '1']);
  try {
    assert.is(await withTimeout(child.nextLine(), 20_000, 'child holds'), 'held');
    await expectLocked(() => PartitionLog.open(join(root, 'f0'), { config }), join(root, 'f0'));
    await stop(child);
    const log = await PartitionLog.open(join(root, 'f0'), { config });
    await log.close();
  } finally {
    await stop(child);
  }
});

test('a holder whose pid looks like ours (containers sharing a volume, both pid 1) still keeps the folder', async () => {
  const root = tempDir('skein-lock-pid-');
  const child = startChild([root, 'hold', '1']);
  try {
    assert.is(await withTimeout(child.nextLine(), 20_000, 'child holds'), 'held');
    // What another container's broker sees: the holder's pid is its own pid.
    writeFileSync(join(root, 'f0', '.lock'), `${process.pid}\n`);
    await expectLocked(() => PartitionLog.open(join(root, 'f0'), { config }), join(root, 'f0'));
  } finally {
    await stop(child);
  }
});

test('a second PartitionLog on the same folder in the same process is refused, also through a symlink', async () => {
  const root = tempDir('skein-lock-same-');
  const dir = join(root, 'p0');
  const log = await PartitionLog.open(dir, { config });
  await expectLocked(() => PartitionLog.open(dir, { config }), dir);
  symlinkSync(dir, join(root, 'alias'));
  await expectLocked(() => PartitionLog.open(join(root, 'alias'), { config }), 'p0');
  await log.close();
  const again = await PartitionLog.open(dir, { config });
  await again.close();
});

test('a second LogManager on the same data folder in the same process is refused until the first closes', async () => {
  const dir = join(tempDir('skein-lock-manager-'), 'data');
  const first = LogManager.open({ dir });
  await expectLocked(() => LogManager.open({ dir }), dir);
  await first.open('t-0', config);
  await first.close();
  const second = LogManager.open({ dir });
  assert.equal(second.listNames(), ['t-0']);
  await second.close();
});

test('a LogManager opens each log once: concurrent opens of one name share one log (its logs take no lock of their own)', async () => {
  const dir = join(tempDir('skein-lock-manager-'), 'data');
  const manager = LogManager.open({ dir });
  const logs = await Promise.all([manager.open('t-0', config), manager.open('t-0', config), manager.open('t-0', config)]);
  assert.ok(logs[0] === logs[1] && logs[1] === logs[2], 'one log for one name');
  await logs[0]!.append(batchOf('x', 1));
  await manager.close();
});

test.run();
