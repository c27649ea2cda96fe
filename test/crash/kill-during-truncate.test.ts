/**
 * Truncation under SIGKILL: a child process appends and truncates a partition's tail at
 * random (across segment boundaries: segments of 2 KiB), becoming leader of a new epoch after
 * each truncation, and is killed at a random moment; the folder is then reopened. It must hold
 * exactly what the child had acknowledged, except that a kill during a step may leave that
 * step undone: during an append, the log without the batch; during a truncation, the old log
 * or any prefix of it that keeps every batch below the cut; during truncateFullyAndStartAt, the
 * old log or no readable record (at a batch end of the old log, or at the new offset). Never a
 * record the model does not have at its offset, never a hole. The leader-epoch checkpoint must agree with the batches:
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
const ROUNDS = 14;

interface ModelBatch {
  base: number;
  values: string[];
}

/** The log as the checker knows it: where it starts (with no batch yet) and its batches. */
interface Model {
  start: number;
  batches: ModelBatch[];
}

type Pending = { kind: 'append'; batch: ModelBatch } | { kind: 'truncate'; offset: number } | { kind: 'restart'; offset: number } | undefined;

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

function endOf(model: Model): number {
  const last = model.batches[model.batches.length - 1];
  return last ? last.base + last.values.length : model.start;
}

/** [offset, value] of every record of the model, in order. */
function recordsOf(model: Model): Array<[number, string]> {
  return model.batches.flatMap((b) => b.values.map((v, i): [number, string] => [b.base + i, v]));
}

/** The model after the child's acknowledged steps, and the step in flight when it died. */
function replay(model: Model, lines: string[]): { model: Model; pending: Pending } {
  let pending: Pending;
  for (const line of lines) {
    const [kind, a, b] = line.split(' ');
    if (kind === 'A') {
      const batch = { base: Number(a), values: b!.split(',') };
      assert.is(batch.base, endOf(model), `the child appends at the model's end (${line})`);
      pending = { kind: 'append', batch };
    } else if (kind === 'a') {
      assert.ok(pending?.kind === 'append');
      model.batches.push(pending.batch);
      assert.is(Number(a), endOf(model) - 1);
      pending = undefined;
    } else if (kind === 'T') {
      pending = { kind: 'truncate', offset: Number(a) };
    } else if (kind === 't') {
      assert.ok(pending?.kind === 'truncate');
      const end = Number(a);
      const kept = model.batches.filter((m) => m.base < end);
      model.batches = kept;
      assert.is(endOf(model), end, `a truncation ends on a batch boundary of the model (${line})`);
      assert.ok(end <= pending.offset, 'never past the offset asked');
      pending = undefined;
    } else if (kind === 'F') {
      pending = { kind: 'restart', offset: Number(a) };
    } else if (kind === 'f') {
      assert.ok(pending?.kind === 'restart');
      model.start = pending.offset;
      model.batches = [];
      pending = undefined;
    }
  }
  return { model, pending };
}

const CONFIG = { segmentBytes: 2048, indexIntervalBytes: 128, preallocateBytes: 4096 };

test(`SIGKILL while appending, truncating and restarting across segments: the old log or a prefix no shorter than the cut (${ROUNDS} rounds)`, withTimeout(280_000, async () => {
  const seed = Number(process.env.SKEIN_CRASH_SEED ?? Date.now() % 1_000_000);
  const rng = new Random(seed);
  const dir = join(tempDir('skein-truncate-'), 't-0');
  let model: Model = { start: 0, batches: [] };
  const outcomes: Record<string, number> = {};
  const note = (what: string) => (outcomes[what] = (outcomes[what] ?? 0) + 1);
  let truncations = 0;
  let restarts = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const killAfter = rng.int(20, 400);
    const where = `seed ${seed} round ${round} (kill ${killAfter} ms after ready)`;
    const lines = await runChild(dir, round, seed * 100 + round, killAfter);
    assert.ok(lines[0]?.startsWith('ready'), `${where}: the child opened (${lines[0]})`);
    assert.is(Number(lines[0]!.split(' ')[1]), endOf(model), `${where}: the child reopened the log the checker saw`);
    truncations += lines.filter((l) => l.startsWith('t ')).length;
    restarts += lines.filter((l) => l === 'f').length;
    const replayed = replay(model, lines.slice(1));
    model = replayed.model;
    const pending = replayed.pending;

    const log = await PartitionLog.open(dir, { config: CONFIG });
    const partition = new Partition('t', 0, log, { onWarning: () => {} });
    try {
      const start = log.logStartOffset;
      const end = log.logEndOffset;
      const found: Array<[number, string]> = [];
      const batches: Array<[number, number, number]> = [];
      for (const batch of log.batchesFrom(start)) {
        const records = [...iterateRecords(batch)];
        batches.push([readBaseOffset(batch, 0), readPartitionLeaderEpoch(batch, 0), records.length]);
        for (const r of records) {
          if (r.offset < start) continue;
          assert.is(r.offset, start + found.length, `${where}: no hole (offset ${r.offset})`);
          found.push([r.offset, r.value!.toString().replace(/\.+$/, '')]);
        }
      }
      assert.is(start + found.length, end, `${where}: the records found reach the log end`);
      const before = recordsOf(model);
      const isPrefixOf = (all: Array<[number, string]>) => found.length <= all.length && found.every((r, i) => r[0] === all[i]![0] && r[1] === all[i]![1]);
      if (pending?.kind === 'restart') {
        // The old log, untouched; or nothing readable (start = end), at a batch end of the old log or at the new offset.
        const old = start === model.start && found.length === before.length && isPrefixOf(before);
        const ends = new Set([model.start, ...model.batches.map((b) => b.base + b.values.length), pending.offset]);
        const emptied = found.length === 0 && start === end && ends.has(end);
        assert.ok(old || emptied, `${where}: killed while restarting at ${pending.offset}: start ${start}, end ${end}, ${found.length} records`);
        note(old ? 'restart-undone' : end === pending.offset ? 'restart-done' : 'restart-midway');
      } else {
        assert.is(start, model.start, `${where}: the log start`);
        let allowed: { upTo: Array<[number, string]>; atLeast: number };
        if (pending?.kind === 'append') {
          allowed = { upTo: [...before, ...pending.batch.values.map((v, i): [number, string] => [pending.batch.base + i, v])], atLeast: before.length };
          note(found.length > before.length ? 'append-kept' : 'append-undone');
        } else if (pending?.kind === 'truncate') {
          const cutRecords = model.batches.filter((m) => m.base + m.values.length <= pending.offset).reduce((n, m) => n + m.values.length, 0);
          allowed = { upTo: before, atLeast: Math.min(cutRecords, before.length) };
          note('in-truncation');
        } else {
          allowed = { upTo: before, atLeast: before.length };
          note('between-steps');
        }
        assert.ok(found.length >= allowed.atLeast, `${where}: ${found.length} records, at least ${allowed.atLeast} expected`);
        assert.ok(isPrefixOf(allowed.upTo), `${where}: the reopened log is a prefix of what the child wrote`);
      }
      // The checkpoint agrees with the batches: each batch's epoch is the one the cache gives its offset.
      const entries = partition.epochEntries;
      const epochAt = (offset: number) => entries.filter((e) => e.startOffset <= offset).at(-1)?.epoch ?? -1;
      for (const [base, epoch] of batches) {
        if (base >= start) assert.is(epochAt(base), epoch, `${where}: the epoch cache gives batch ${base} its stamped epoch ${epoch} (${JSON.stringify(entries)})`);
      }
      // The model is now what is on disk (the step in flight happened, partly or not).
      model = { start, batches: [] };
      const values = new Map(found);
      for (const [base, , count] of batches) {
        if (base < start) continue;
        model.batches.push({ base, values: Array.from({ length: count }, (_, i) => values.get(base + i)!) });
      }
    } finally {
      await log.close();
    }
  }
  console.log(`seed ${seed}: ${truncations} truncations, ${restarts} restarts; kills ${JSON.stringify(outcomes)}`);
  assert.ok(truncations > ROUNDS, `truncations ran (${truncations})`);
}));

test.run();
