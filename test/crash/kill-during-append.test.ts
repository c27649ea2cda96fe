/**
 * kill -9 during append, roll and close, then reopen: every acknowledged batch survives byte
 * for byte (with, at most, whole batches written but not yet acknowledged after them), and
 * the log goes on from there.
 *
 * Each round runs test/crash/append-child.ts in its own process on the same folder. The child
 * appends with flush.messages = 1 (group commit, several appends in flight) to 64 KiB segments
 * and reports each acknowledged batch on stdout; it dies by a real SIGKILL:
 *   append  the parent kills it 20-300 ms after its first acknowledgement;
 *   roll    it kills itself just before the k-th file operation after open (inside a roll:
 *           index files at seal, the recovery-point checkpoint after the flush);
 *   close   it kills itself just before the k-th file operation of close() (k = 0: the parent
 *           kills it 0-3 ms after it starts closing), one round per step of close().
 * Then the parent opens the folder (unclean open → recovery) and checks: every acknowledged
 * batch is there with exactly the bytes sent (decoded and compared field by field too); every
 * batch visible decodes with a valid CRC and is whole; offsets run contiguously from 0;
 * logEndOffset > the last acknowledged offset; appending goes on at logEndOffset. It closes
 * the log and the next round continues in the same folder. Every fourth round skips the
 * parent's check, so the next child itself opens a folder left by a kill. Every other check
 * opens with the scans on a worker pool lane (the broker's way, partition/pooled-recovery.ts)
 * instead of on the event loop: the same checks hold for both.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { CRASH_PROFILE, batchForBase, checkWholeLog } from '../helpers/offset-batches.js';
import { Random } from '../helpers/random.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { CRASH_LOG_CONFIG } from './crash-log-config.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { poolScanner } from '../../src/partition/pooled-recovery.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./append-child.js', import.meta.url));
const ROUNDS = 36;
/**
 * close() makes 19 file operations through node:fs (measured): for the active segment's
 * .index and .timeindex, write tmp (open, close inside writeFileSync) and rename; for the
 * recovery point and the clean-shutdown marker, write tmp, open, fsync, close, rename; then
 * close the .lock fd (the flock goes with it; it was an unlink of a pid file before). These are the kill points used, one per step: before 1 (nothing written), 4
 * (index tmp written, not renamed), 5 (index renamed), 8 (timeindex tmp written), 9 (both
 * indexes in place), 13 (recovery point tmp written and synced), 14 (recovery point
 * renamed), 18 (marker tmp written), 19 (marker in place, lock still there); 20 = close
 * finishes; 0 = no hook, the parent kills 0-3 ms after "closing".
 */
const CLOSE_KILL_POINTS = [0, 1, 4, 5, 8, 9, 13, 14, 18, 19, 20];
/** A child still alive after this is killed and the round fails: something hung. */
const SAFETY_KILL_MS = 8000;

interface ChildRun {
  mode: string;
  opened: [number, number] | undefined;
  acks: [number, number][];
  closing: boolean;
  closed: boolean;
  /** The file operation a self-inflicted kill preceded ("renameSync 0000…0517.index.tmp"). */
  killedBefore: string | undefined;
  /** The child had to be killed by the safety timer. */
  hung: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runChild(dir: string, mode: string, seed: number, t0: number, killAt: number, killDelayMs: number): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, dir, mode, String(seed), String(t0), String(killAt)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: ChildRun = {
      mode,
      opened: undefined,
      acks: [],
      closing: false,
      closed: false,
      killedBefore: undefined,
      hung: false,
      code: null,
      signal: null,
      stderr: '',
    };
    let pending = '';
    let killTimer: NodeJS.Timeout | undefined;
    const armKill = () => {
      if (!killTimer) killTimer = setTimeout(() => child.kill('SIGKILL'), killDelayMs);
    };
    const safety = setTimeout(() => {
      run.hung = true;
      child.kill('SIGKILL');
    }, SAFETY_KILL_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!; // only whole lines count: a cut line was not reported
      for (const line of lines) {
        const [word, a, b] = line.split(' ');
        if (word === 'open') run.opened = [Number(a), Number(b)];
        else if (word === 'ack') {
          run.acks.push([Number(a), Number(b)]);
          if (mode === 'append') armKill();
        } else if (word === 'closing') {
          run.closing = true;
          if (mode === 'close' && killAt === 0) armKill();
        } else if (word === 'closed') run.closed = true;
        else if (word === 'killing') run.killedBefore = `${a} ${b}`;
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (run.stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(safety);
      if (killTimer) clearTimeout(killTimer);
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
}

test(`SIGKILL during append, roll and close loses no acknowledged record (${ROUNDS} rounds)`, async () => {
  const dir = join(tempDir('skein-crash-'), 'p0');
  const t0 = Date.now() - 1_000_000;
  const seed = Number(process.env.SKEIN_CRASH_SEED ?? Date.now() % 1_000_000);
  const rng = new Random(seed);
  /** Every acknowledged batch so far: base offset → last offset. */
  const acked = new Map<number, number>();
  let maxAcked = -1;
  const stats = { append: 0, roll: 0, close: 0, closedCleanly: 0, unackedKept: 0, checks: 0, pooledChecks: 0 };
  const pool = new WorkerPool({ size: 1 });
  const scanner = poolScanner(pool, 'crash\u00000');
  const killPoints = new Set<string>();
  let closeStep = 0;

  for (let round = 0; round < ROUNDS; round++) {
    const mode = round % 3 === 0 ? 'append' : round % 3 === 1 ? (round % 2 === 1 ? 'roll' : 'append') : 'close';
    // roll: a roll seals the old segment (8 operations for its two index files), then the
    // recovery point is checkpointed after its flush (5 more).
    const killAt = mode === 'roll' ? rng.int(1, 13) : mode === 'close' ? CLOSE_KILL_POINTS[closeStep++ % CLOSE_KILL_POINTS.length]! : 0;
    const killDelay = mode === 'append' ? rng.int(20, 300) : rng.int(0, 3);
    const where = `seed ${seed} round ${round} (${mode}, killAt ${killAt}, delay ${killDelay}); rerun with SKEIN_CRASH_SEED=${seed}`;
    const run = await runChild(dir, mode, rng.u32(), t0, killAt, killDelay);
    stats[mode as 'append' | 'roll' | 'close'] += 1;

    assert.not.ok(run.hung, `the child neither died nor finished within ${SAFETY_KILL_MS} ms — ${where}\n${run.stderr}`);
    const cleanExit = mode === 'close' && run.code === 0 && run.closed;
    if (cleanExit) stats.closedCleanly += 1;
    if (run.killedBefore) killPoints.add(`${mode}: ${run.killedBefore.replace(/\d{20}/, 'N')}`);
    assert.ok(run.signal === 'SIGKILL' || cleanExit, `child ended with ${run.signal ?? run.code}: ${run.stderr} — ${where}`);
    assert.ok(run.opened, `the child opened the log — ${where}\n${run.stderr}`);
    assert.ok(run.opened![1] > maxAcked, `the child reopened at logEndOffset ${run.opened![1]}, but ${maxAcked} was acknowledged — ${where}`);
    assert.ok(mode !== 'append' || run.acks.length > 0, `an append round is killed only after an acknowledgement — ${where}`);
    for (const [base, last] of run.acks) {
      acked.set(base, last);
      maxAcked = Math.max(maxAcked, last);
    }

    // Every fourth round the next child opens the folder this kill left behind.
    if (round % 4 === 2 && round !== ROUNDS - 1) continue;

    const warnings: string[] = [];
    const pooled = stats.checks % 2 === 1;
    const tasksBefore = pool.completed;
    const log = await PartitionLog.open(dir, { config: CRASH_LOG_CONFIG, onWarning: (m) => warnings.push(m), scanner: pooled ? scanner : undefined });
    if (pooled) {
      stats.pooledChecks += 1;
      assert.ok(pool.completed > tasksBefore, `the recovery scan ran on the pool — ${where}`);
    }
    try {
      stats.checks += 1;
      assert.is(log.logStartOffset, 0, where);
      assert.ok(log.logEndOffset >= maxAcked + 1, `logEndOffset ${log.logEndOffset} after acknowledging ${maxAcked} — ${where}`);
      let batches;
      try {
        batches = checkWholeLog(log, t0, CRASH_PROFILE);
      } catch (err) {
        assert.unreachable(`${(err as Error).message} — ${where}`);
        return;
      }
      const lastOfBase = new Map(batches.map((b) => [b.baseOffset, b.lastOffset]));
      for (const [base, last] of acked) {
        assert.is(lastOfBase.get(base), last, `acknowledged batch ${base}..${last} is in the log — ${where}`);
      }
      stats.unackedKept += batches.filter((b) => !acked.has(b.baseOffset)).length;
      // The log goes on at logEndOffset.
      for (let i = rng.int(1, 3); i > 0; i--) {
        const base = log.logEndOffset;
        const result = await log.append(batchForBase(base, t0, CRASH_PROFILE));
        assert.is(result.baseOffset, base, where);
        acked.set(result.baseOffset, result.lastOffset);
        maxAcked = result.lastOffset;
      }
    } finally {
      await log.close();
    }
  }

  await pool.close();
  assert.ok(stats.pooledChecks > 0, 'some recoveries ran on the pool');
  // A final clean open sees exactly the same log.
  const log = await PartitionLog.open(dir, { config: CRASH_LOG_CONFIG });
  const batches = checkWholeLog(log, t0, CRASH_PROFILE);
  const segments = log.segmentCount;
  await log.close();
  for (const [base, last] of acked) assert.ok(batches.some((b) => b.baseOffset === base && b.lastOffset === last), `batch ${base} kept`);
  assert.ok(segments > ROUNDS / 2, `the rounds rolled many segments (${segments})`);
  console.log(
    `  crash: seed ${seed}, ${ROUNDS} rounds (${stats.append} append, ${stats.roll} roll, ${stats.close} close of which ` +
      `${stats.closedCleanly} finished), ${stats.checks} parent checks (${stats.pooledChecks} recovered on a pool lane), ${acked.size} batches acknowledged, ` +
      `${stats.unackedKept} written but unacknowledged batches kept, ${segments} segments`,
  );
  console.log(`  self-kills just before: ${[...killPoints].sort().join('; ')}`);
});

test.run();
