/**
 * Truncation under SIGKILL: a child process appends and truncates a partition's tail at
 * random (across segment boundaries: segments of 2 KiB), becoming leader of a new epoch after
 * each truncation, and is killed at a random moment; the folder is then reopened. It must hold
 * exactly what the child had acknowledged, except that a kill during a step may leave that
 * step undone: during an append, the log without the batch; during a truncation, the old log
 * or any prefix of it that keeps every batch below the cut. Never a record the model does not
 * have at its offset, never a hole. The leader-epoch checkpoint must agree with the batches:
 * every batch's stamped epoch is the epoch the reopened cache gives its offset. Rounds go on
 * from the folder the previous kill left (each reopen recovers it).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { Partition } from '../../src/partition/partition.js';
import { iterateRecords } from '../../src/records/record-iterator.js';
import { readBaseOffset, readPartitionLeaderEpoch } from '../../src/records/batch-header.js';
import { Random } from '../helpers/random.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { withTimeout } from '../helpers/timeout.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./truncate-child.js', import.meta.url));
const ROUNDS = 12;

interface ModelBatch {
  base: number;
  values: string[];
}

function runChild(dir: string, round: number, seed: number, killAfterMs: number): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, dir, String(round), String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let rest = '';
    const safety = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        if (line.startsWith('ready')) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('close', () => {
      clearTimeout(safety);
      resolve(lines);
    });
  });
}

function endOf(model: ModelBatch[]): number {
  const last = model[model.length - 1];
  return last ? last.base + last.values.length : 0;
}

/** The model after the child's acknowledged steps, and the step in flight when it died. */
function replay(model: ModelBatch[], lines: string[]): { model: ModelBatch[]; pending: { kind: 'append'; batch: ModelBatch } | { kind: 'truncate'; offset: number } | undefined } {
  let pending: { kind: 'append'; batch: ModelBatch } | { kind: 'truncate'; offset: number } | undefined;
  for (const line of lines) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'A') {
      const batch = { base: Number(a), values: b!.split(',') };
      assert.is(batch.base, endOf(model), `the child appends at the model's end (${line})`);
      pending = { kind: 'append', batch };
    } else if (kind === 'a') {
      assert.ok(pending?.kind === 'append');
      model.push(pending.batch);
      assert.is(Number(a), endOf(model) - 1);
      pending = undefined;
    } else if (kind === 'T') {
      pending = { kind: 'truncate', offset: Number(a) };
    } else if (kind === 't') {
      assert.ok(pending?.kind === 'truncate');
      const end = Number(a);
      const kept = model.filter((m) => m.base < end);
      assert.is(endOf(kept), end, `a truncation ends on a batch boundary of the model (${line})`);
      assert.ok(end <= pending.offset, 'never past the offset asked');
      model.length = 0;
      model.push(...kept);
      pending = undefined;
    }
  }
  return { model, pending };
}

test(`SIGKILL while appending and truncating across segments: the old log or a prefix no shorter than the cut (${ROUNDS} rounds)`, withTimeout(280_000, async () => {
  const seed = Number(process.env.SKEIN_CRASH_SEED ?? Date.now() % 1_000_000);
  const rng = new Random(seed);
  const dir = join(tempDir('skein-truncate-'), 't-0');
  let model: ModelBatch[] = [];
  const outcomes: Record<string, number> = {};
  let truncations = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const killAfter = rng.int(20, 400);
    const where = `seed ${seed} round ${round} (kill ${killAfter} ms after ready)`;
    const lines = await runChild(dir, round, seed * 100 + round, killAfter);
    assert.ok(lines[0]?.startsWith('ready'), `${where}: the child opened (${lines[0]})`);
    assert.is(Number(lines[0]!.split(' ')[1]), endOf(model), `${where}: the child reopened the log the checker saw`);
    truncations += lines.filter((l) => l.startsWith('t ')).length;
    const replayed = replay(model, lines.slice(1));
    model = replayed.model;
    const pending = replayed.pending;

    const log = await PartitionLog.open(dir, { config: { segmentBytes: 2048, indexIntervalBytes: 128, preallocateBytes: 4096 } });
    const partition = new Partition('t', 0, log, { onWarning: () => {} });
    try {
      const found: string[] = [];
      const batches: Array<[number, number]> = [];
      for (const batch of log.batchesFrom(0)) {
        batches.push([readBaseOffset(batch, 0), readPartitionLeaderEpoch(batch, 0)]);
        for (const r of iterateRecords(batch)) {
          assert.is(r.offset, found.length, `${where}: no hole (offset ${r.offset})`);
          found.push(r.value!.toString().replace(/\.+$/, ''));
        }
      }
      const before = model.flatMap((m) => m.values);
      let allowed: { upTo: string[]; atLeast: number };
      if (pending?.kind === 'append') {
        allowed = { upTo: [...before, ...pending.batch.values], atLeast: before.length };
        outcomes[found.length > before.length ? 'append-kept' : 'append-undone'] = (outcomes[found.length > before.length ? 'append-kept' : 'append-undone'] ?? 0) + 1;
      } else if (pending?.kind === 'truncate') {
        const cutBase = model.filter((m) => m.base + m.values.length <= pending.offset).reduce((n, m) => n + m.values.length, 0);
        allowed = { upTo: before, atLeast: Math.min(cutBase, before.length) };
        outcomes['in-truncation'] = (outcomes['in-truncation'] ?? 0) + 1;
      } else {
        allowed = { upTo: before, atLeast: before.length };
        outcomes['between-steps'] = (outcomes['between-steps'] ?? 0) + 1;
      }
      assert.ok(found.length >= allowed.atLeast, `${where}: ${found.length} records, at least ${allowed.atLeast} expected`);
      assert.ok(found.length <= allowed.upTo.length, `${where}: ${found.length} records, at most ${allowed.upTo.length} expected`);
      assert.equal(found, allowed.upTo.slice(0, found.length), `${where}: the reopened log is a prefix of what the child wrote`);
      // The checkpoint agrees with the batches: each batch's epoch is the one the cache gives its offset.
      const entries = partition.epochEntries;
      const epochAt = (offset: number) => entries.filter((e) => e.startOffset <= offset).at(-1)?.epoch ?? -1;
      for (const [base, epoch] of batches) assert.is(epochAt(base), epoch, `${where}: the epoch cache gives batch ${base} its stamped epoch ${epoch} (${JSON.stringify(entries)})`);
      // The model is now what is on disk (the step in flight happened or not).
      model = [];
      for (const [base] of batches) model.push({ base, values: [] });
      for (let i = 0; i < model.length; i++) {
        const next = model[i + 1]?.base ?? found.length;
        model[i]!.values = found.slice(model[i]!.base, next);
      }
    } finally {
      await log.close();
    }
  }
  console.log(`seed ${seed}: ${truncations} truncations; kills ${JSON.stringify(outcomes)}`);
  assert.ok(truncations > ROUNDS, `truncations ran (${truncations})`);
}));

test.run();
