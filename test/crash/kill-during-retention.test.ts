/**
 * kill -9 during retention, then reopen: the log starts at a segment boundary, holds every
 * acknowledged batch from its start on byte for byte, leaves no file of a half-deleted
 * segment behind, and goes on.
 *
 * Each round runs test/crash/append-child.ts in mode `retention` on the same folder: the child
 * appends until it has 3-6 more segments, sets retention.bytes to 1-3 segments, and SIGKILLs
 * itself just before the k-th file operation of applyRetention() (each deleted segment takes
 * six: rename to .deleted and unlink, for each of its three files), k = 1..13 across rounds,
 * or runs to the end. A deletion is a multi-step file operation; one kill per step (Kafka
 * LogLoaderTest style).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { CRASH_PROFILE, batchForBase, checkWholeLog } from '../helpers/offset-batches.js';
import { Random } from '../helpers/random.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { CRASH_LOG_CONFIG } from './crash-log-config.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./append-child.js', import.meta.url));
const KILL_POINTS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 40];

interface Run {
  acks: [number, number][];
  killedBefore: string | undefined;
  retained: number | undefined;
  hung: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runChild(dir: string, seed: number, t0: number, killAt: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, dir, 'retention', String(seed), String(t0), String(killAt)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { acks: [], killedBefore: undefined, retained: undefined, hung: false, code: null, signal: null, stderr: '' };
    let pending = '';
    const safety = setTimeout(() => {
      run.hung = true;
      child.kill('SIGKILL');
    }, 15_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [word, a, b] = line.split(' ');
        if (word === 'ack') run.acks.push([Number(a), Number(b)]);
        else if (word === 'killing') run.killedBefore = `${a} ${b}`;
        else if (word === 'retained') run.retained = Number(a);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (run.stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(safety);
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
}

test(`SIGKILL during retention leaves a log that starts at a segment and keeps every acknowledged batch after it (${KILL_POINTS.length} rounds)`, async () => {
  const dir = join(tempDir('skein-crash-retention-'), 'p0');
  const t0 = Date.now() - 1_000_000;
  const seed = Number(process.env.SKEIN_CRASH_SEED ?? Date.now() % 1_000_000);
  const rng = new Random(seed);
  const acked = new Map<number, number>();
  let logStartOffset = 0;
  const killPoints = new Set<string>();
  for (let round = 0; round < KILL_POINTS.length; round++) {
    const killAt = KILL_POINTS[round]!;
    const where = `seed ${seed} round ${round} (kill before file operation ${killAt}); rerun with SKEIN_CRASH_SEED=${seed}`;
    const run = await runChild(dir, rng.u32(), t0, killAt);
    assert.not.ok(run.hung, `the child neither died nor finished — ${where}\n${run.stderr}`);
    assert.ok(run.signal === 'SIGKILL' || run.code === 0, `child ended with ${run.signal ?? run.code}: ${run.stderr} — ${where}`);
    if (run.killedBefore) killPoints.add(run.killedBefore.replace(/\d{20}/, 'N'));
    for (const [base, last] of run.acks) acked.set(base, last);

    const files = readdirSync(dir);
    const log = await PartitionLog.open(dir, { config: CRASH_LOG_CONFIG });
    try {
      const after = readdirSync(dir);
      const logs = new Set(after.filter((n) => n.endsWith('.log')).map((n) => n.slice(0, 20)));
      for (const name of after) {
        assert.not.ok(name.endsWith('.deleted') || name.endsWith('.tmp'), `${name} left after open — ${where}`);
        if (name.endsWith('.index') || name.endsWith('.timeindex')) {
          assert.ok(logs.has(name.slice(0, 20)), `${name} belongs to no segment (files before open: ${files.join(' ')}) — ${where}`);
        }
      }
      assert.ok(log.logStartOffset >= logStartOffset, `logStartOffset never goes back — ${where}`);
      if (run.retained !== undefined) assert.ok(log.logStartOffset >= run.retained, `a completed retention stays done — ${where}`);
      logStartOffset = log.logStartOffset;
      assert.ok(logs.has(String(log.logStartOffset).padStart(20, '0')), `the log starts at a segment's base offset — ${where}`);
      let batches;
      try {
        batches = checkWholeLog(log, t0, CRASH_PROFILE);
      } catch (err) {
        assert.unreachable(`${(err as Error).message} — ${where}`);
        return;
      }
      const lastOf = new Map(batches.map((b) => [b.baseOffset, b.lastOffset]));
      for (const [base, last] of acked) {
        if (base >= log.logStartOffset) assert.is(lastOf.get(base), last, `acknowledged batch ${base} is kept — ${where}`);
      }
      assert.ok(log.logEndOffset > Math.max(...acked.values()), where);
      const base = log.logEndOffset;
      assert.is((await log.append(batchForBase(base, t0, CRASH_PROFILE))).baseOffset, base, where);
    } finally {
      await log.close();
    }
  }
  assert.ok(logStartOffset > 0, 'retention deleted segments');
  console.log(`  crash during retention: seed ${seed}, kills just before: ${[...killPoints].sort().join('; ')}`);
});

test.run();
