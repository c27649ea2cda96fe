/**
 * Child process of kill-during-append.test.ts: appends to a log until it is killed.
 *
 * Usage: node append-child.js <dir> <mode> <seed> <t0> [killAtFileOp]
 *   mode append  append forever; the parent sends SIGKILL at a random moment.
 *   mode roll    append; SIGKILL itself just before the killAtFileOp-th file operation
 *                (write, open, fsync, close, rename, unlink through node:fs) made after open,
 *                which lands inside a roll (index files written at seal) or the recovery-point
 *                write that follows it.
 *   mode close   append a few windows, then SIGKILL itself before the killAtFileOp-th file
 *                operation of close() (indexes, recovery point, clean-shutdown marker, lock);
 *                if close() makes fewer operations it finishes and the child exits 0.
 *   mode retention  append until a few more segments exist, then SIGKILL itself before the
 *                killAtFileOp-th file operation of applyRetention (by size) or of the close
 *                after it; or finish and exit 0.
 *
 * Protocol on stdout, one line each (stdout is a pipe, written synchronously on Linux, so a
 * line the parent reads was written before any kill):
 *   open <logStartOffset> <logEndOffset>
 *   ack <baseOffset> <lastOffset>      after `await log.append(...)` resolved for that batch
 *   closing / closed / retained <logStartOffset> <deletedSegments>
 *   killing <fs function> <file>       just before a self-inflicted SIGKILL
 * Each batch is batchForBase(offset it will get), so the parent can check every byte.
 * Appends go out in windows of 1..8 concurrent calls, so group commit is exercised.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { CRASH_PROFILE, batchForBase } from '../helpers/offset-batches.js';
import { Random } from '../helpers/random.js';
import { CRASH_LOG_CONFIG } from './crash-log-config.js';

const HOOKED = ['writeFileSync', 'openSync', 'fsyncSync', 'closeSync', 'renameSync', 'unlinkSync'] as const;

/** SIGKILLs this process just before the n-th hooked file operation from now. */
function killBeforeFileOp(n: number): void {
  let count = 0;
  const mutable = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of HOOKED) {
    const original = mutable[name]!;
    mutable[name] = function (this: unknown, ...args: unknown[]) {
      count += 1;
      if (count === n) {
        const target = typeof args[0] === 'string' ? args[0].split('/').pop() : `fd`;
        say(`killing ${name} ${target}`);
        process.kill(process.pid, 'SIGKILL');
        for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
      }
      return original.apply(this, args);
    };
  }
  // storage/ imports these as named ESM exports; this updates those live bindings.
  syncBuiltinESMExports();
}

function say(line: string): void {
  fs.writeSync(1, line + '\n');
}

async function appendWindow(log: PartitionLog, rng: Random, t0: number): Promise<void> {
  const pending: Promise<void>[] = [];
  const width = rng.int(1, 8);
  for (let i = 0; i < width; i++) {
    // append() runs appendSync before its first await, so this is the offset the batch gets.
    const base = log.logEndOffset;
    pending.push(
      log.append(batchForBase(base, t0, CRASH_PROFILE)).then((result) => {
        if (result.baseOffset !== base) throw new Error(`batch expected at ${base} got ${result.baseOffset}`);
        say(`ack ${result.baseOffset} ${result.lastOffset}`);
      }),
    );
  }
  await Promise.all(pending);
}

async function main(): Promise<void> {
  const [dir, mode, seedText, t0Text, killAtText] = process.argv.slice(2);
  const rng = new Random(Number(seedText));
  const t0 = Number(t0Text);
  const killAt = Number(killAtText ?? 0);
  const log = await PartitionLog.open(dir!, { config: CRASH_LOG_CONFIG });
  say(`open ${log.logStartOffset} ${log.logEndOffset}`);
  if (mode === 'roll') killBeforeFileOp(killAt);
  if (mode === 'close') {
    const windows = rng.int(1, 10);
    for (let w = 0; w < windows; w++) await appendWindow(log, rng, t0);
    killBeforeFileOp(killAt);
    say('closing');
    await log.close();
    say('closed');
    return;
  }
  if (mode === 'retention') {
    // Enough segments that retention has several to delete, then retention.bytes of 1-3
    // segments and a kill before the k-th file operation of applyRetention (each deleted
    // segment: rename to .deleted and unlink, for .index, .timeindex and .log).
    const target = log.segmentCount + rng.int(3, 6);
    while (log.segmentCount < target) await appendWindow(log, rng, t0);
    log.updateConfig({ retentionBytes: rng.int(1, 3) * (CRASH_LOG_CONFIG.segmentBytes as number) });
    killBeforeFileOp(killAt);
    const result = log.applyRetention();
    say(`retained ${result.logStartOffset} ${result.deletedSegments}`);
    await log.close();
    say('closed');
    return;
  }
  for (;;) await appendWindow(log, rng, t0);
}

main().catch((err) => {
  process.stderr.write(`append-child failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
