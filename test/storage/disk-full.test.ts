/**
 * A full disk under a log: appends fail with SKEIN_DISK_FULL and change nothing; every batch
 * acknowledged before stays readable byte for byte, through close and reopen; the log goes
 * on once space is freed.
 *
 * Needs root to mount a small tmpfs per test (`mount -t tmpfs -o size=2m`, unmounted in a
 * finally); otherwise every test here is skipped and says why.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { SkeinError } from '../../src/errors.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { CRASH_PROFILE, batchForBase, checkWholeLog } from '../helpers/offset-batches.js';
import { batchOf, recordsOf } from '../helpers/batches.js';
import { collectUntil } from '../helpers/gc.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const isRoot = process.getuid?.() === 0;
// CI (.ci/run) sets SKEIN_REQUIRE_DISK_TESTS=1 and runs as root: there a skip would hide the
// tests, so the tests run and fail if the tmpfs cannot be mounted.
const required = process.env.SKEIN_REQUIRE_DISK_TESTS === '1';
const diskTest = isRoot || required ? test : test.skip;
if (!isRoot && !required) console.log('disk-full.test: skipped, not root (mounting a small tmpfs needs root)');

const T0 = 1_700_000_000_000;
/** Space held back from the start and freed once the disk is full, as an operator would. */
const BALLAST_BYTES = 96 * 1024;

/** Runs `fn` in a fresh tmpfs of `size` (e.g. '2m'), unmounted afterwards whatever happens. */
async function withTmpfs(size: string, fn: (mount: string) => Promise<void>): Promise<void> {
  const mount = join(tempDir('skein-disk-full-'), 'mnt');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount], { stdio: 'pipe' });
  try {
    await fn(mount);
  } finally {
    // Views of files on the tmpfs keep it busy until collected.
    await collectUntil(() => false, 5);
    try {
      execFileSync('umount', [mount], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mount], { stdio: 'pipe' });
    }
    rmSync(mount, { recursive: true, force: true });
  }
}

function codeOf(err: unknown): string {
  return err instanceof SkeinError ? err.code : `not a SkeinError: ${String(err)}`;
}

/**
 * Appends offset-derived batches until one fails; returns the acknowledged batches and the
 * error. The failed append must be SKEIN_DISK_FULL and leave the log as it was.
 */
async function fillUntilFull(log: PartitionLog): Promise<{ acked: Map<number, number>; error: unknown }> {
  const acked = new Map<number, number>();
  for (let i = 0; i < 100_000; i++) {
    const base = log.logEndOffset;
    const size = log.size;
    try {
      const result = await log.append(batchForBase(base, T0, CRASH_PROFILE));
      assert.is(result.baseOffset, base);
      acked.set(result.baseOffset, result.lastOffset);
    } catch (err) {
      assert.is(codeOf(err), 'SKEIN_DISK_FULL', `append ${i} failed with ${String(err)}`);
      assert.is(log.logEndOffset, base, 'a failed append assigns no offsets');
      assert.is(log.size, size, 'a failed append adds no bytes');
      return { acked, error: err };
    }
  }
  return assert.unreachable('the disk never filled up') as never;
}

function checkAcked(log: PartitionLog, acked: Map<number, number>, where: string): void {
  const batches = checkWholeLog(log, T0, CRASH_PROFILE);
  const lastOf = new Map(batches.map((b) => [b.baseOffset, b.lastOffset]));
  for (const [base, last] of acked) assert.is(lastOf.get(base), last, `acknowledged batch ${base} — ${where}`);
  assert.is(log.logEndOffset, Math.max(...acked.values()) + 1, `logEndOffset — ${where}`);
}

async function fullDiskRun(mount: string, config: Partial<LogConfig>): Promise<void> {
  const ballast = join(mount, 'ballast');
  writeFileSync(ballast, Buffer.alloc(BALLAST_BYTES, 1));
  const dir = join(mount, 'p0');
  const log = await PartitionLog.open(dir, { config });
  const { acked } = await fillUntilFull(log);
  assert.ok(acked.size > 10, `some batches fit before the disk was full (${acked.size})`);
  checkAcked(log, acked, 'after the failed append');
  // Trying again fails the same way and still changes nothing.
  for (let i = 0; i < 3; i++) {
    const base = log.logEndOffset;
    try {
      await log.append(batchForBase(base, T0, CRASH_PROFILE));
      assert.unreachable('the disk is still full');
    } catch (err) {
      assert.is(codeOf(err), 'SKEIN_DISK_FULL', String(err));
      assert.is(log.logEndOffset, base);
    }
  }
  await log.flush();
  checkAcked(log, acked, 'after retries and a flush');
  // close() may be refused on a full disk (index files and checkpoints cannot be written),
  // but the log must end up closed and its folder released either way.
  let closeError: unknown;
  try {
    await log.close();
  } catch (err) {
    closeError = err;
    assert.is(codeOf(err), 'SKEIN_DISK_FULL', `close on a full disk: ${String(err)}`);
  }
  assert.ok(log.closed, 'the log is closed even when close() reported a full disk');
  console.log(`  disk full after ${acked.size} batches; close() ${closeError ? 'reported SKEIN_DISK_FULL' : 'succeeded'}`);
  unlinkSync(ballast);
  const reopened = await PartitionLog.open(dir, { config });
  try {
    checkAcked(reopened, acked, `after reopen${closeError ? ' (close had reported a full disk)' : ''}`);
    // Space was freed: the log goes on.
    const base = reopened.logEndOffset;
    assert.is((await reopened.append(batchForBase(base, T0, CRASH_PROFILE))).baseOffset, base);
    checkWholeLog(reopened, T0, CRASH_PROFILE);
  } finally {
    await reopened.close();
  }
}

diskTest('append until SKEIN_DISK_FULL in one big segment: nothing changes, everything acknowledged survives reopen', async () => {
  await withTmpfs('2m', (mount) => fullDiskRun(mount, { segmentBytes: 64 * 1024 * 1024, preallocateBytes: 4096, flushMessages: 1, segmentMs: Infinity }));
});

diskTest('append until SKEIN_DISK_FULL with small segments (the failure may come at a roll)', async () => {
  await withTmpfs('2m', (mount) => fullDiskRun(mount, { segmentBytes: 48 * 1024, preallocateBytes: 16 * 1024, flushMessages: 1, segmentMs: Infinity }));
});

diskTest('a batch larger than segment.bytes on an empty active segment, disk full: SKEIN_DISK_FULL and the log still works', async () => {
  await withTmpfs('1m', async (mount) => {
    const dir = join(mount, 'p0');
    const config = { segmentBytes: 64 * 1024, preallocateBytes: 4096, maxMessageBytes: 2 * 1024 * 1024 };
    const log = await PartitionLog.open(dir, { config });
    const filler = join(mount, 'filler');
    writeFileSync(filler, Buffer.alloc(800 * 1024, 1));
    // Too big for the active segment (so it is replaced by a bigger one) and for the disk.
    const big = batchOf('big', 1, 400 * 1024);
    try {
      await log.append(big);
      assert.unreachable('the big batch cannot fit on the disk');
    } catch (err) {
      assert.is(codeOf(err), 'SKEIN_DISK_FULL', String(err));
    }
    assert.is(log.logEndOffset, 0);
    assert.is(log.read(0).views.length, 0);
    unlinkSync(filler);
    assert.is((await log.append(big)).baseOffset, 0);
    assert.is((await log.append(batchOf('small', 1, 10))).baseOffset, 1);
    assert.equal(recordsOf(log.read(0, { maxBytes: 1 << 20 }).views).map((r) => r.value.slice(0, 5)), ['big-0', 'small']);
    await log.close();
  });
});

/** Writes a file on `mount` until the disk is full to the last block. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024, 7);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  try {
    // Whatever is left, to the byte.
    const small = openSync(path + '-tail', 'w');
    try {
      for (;;) writeSync(small, Buffer.alloc(512, 7));
    } finally {
      closeSync(small);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

diskTest('start-up on a full disk: every log opens and reads, appends report SKEIN_DISK_FULL, nothing is lost, freed space lets them go on', async () => {
  await withTmpfs('4m', async (mount) => {
    const dir = join(mount, 'data');
    const names = ['t-0', 't-1', 't-2'];
    const acked = new Map<string, Map<number, number>>();
    let manager = LogManager.open({ dir });
    for (const name of names) {
      const log = await manager.open(name, { preallocateBytes: 4096 });
      const mine = new Map<number, number>();
      for (let i = 0; i < 20; i++) {
        const result = await log.append(batchForBase(log.logEndOffset, T0, CRASH_PROFILE));
        mine.set(result.baseOffset, result.lastOffset);
      }
      acked.set(name, mine);
    }
    await manager.close();

    fillDisk(join(mount, 'ballast'));
    // Default settings: each partition would reserve 4 MiB up front, which is the whole disk.
    manager = LogManager.open({ dir });
    for (const name of names) {
      const log = await manager.open(name);
      checkAcked(log, acked.get(name)!, `${name} opened on a full disk`);
    }
    const fresh = await manager.open('t-3');
    assert.is(fresh.logEndOffset, 0, 'a new log can be created on a full disk');
    // Opening cut the zeros each log's last close left after its data: fill that too.
    fillDisk(join(mount, 'ballast-2'));
    for (const log of [manager.get('t-0')!, fresh]) {
      const base = log.logEndOffset;
      try {
        await log.append(batchForBase(base, T0, CRASH_PROFILE));
        assert.unreachable('the disk is full');
      } catch (err) {
        assert.is(codeOf(err), 'SKEIN_DISK_FULL', String(err));
      }
      assert.is(log.logEndOffset, base, 'the failed append changed nothing');
    }
    checkAcked(manager.get('t-0')!, acked.get('t-0')!, 'after the failed append');

    unlinkSync(join(mount, 'ballast'));
    unlinkSync(join(mount, 'ballast-2'));
    for (const name of names) {
      const log = manager.get(name)!;
      const result = await log.append(batchForBase(log.logEndOffset, T0, CRASH_PROFILE));
      acked.get(name)!.set(result.baseOffset, result.lastOffset);
    }
    assert.is((await fresh.append(batchForBase(0, T0, CRASH_PROFILE))).baseOffset, 0);
    await manager.close();
    manager = LogManager.open({ dir });
    for (const name of names) checkAcked(await manager.open(name), acked.get(name)!, `${name} after reopen`);
    await manager.close();
  });
});

test.run();
