/**
 * kill -9 at each step of a cleaning pass, then reopen: the log holds the old segments or the
 * new ones for each group (never neither, never both), every key's latest value is there at
 * its offset, no .cleaned or .swap file is left, and a new pass finishes the job.
 *
 * The parent writes a log (48 keys, updates and tombstones, small segments rolled every few
 * batches so that groups span several segments), then runs test/crash/compact-child.ts which
 * SIGKILLs itself at one step of PartitionLog.compact (one test per step of the
 * .cleaned → .swap → rename protocol), or is killed by the parent at random moments while it
 * compacts on the worker thread.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeRecordBatch } from '../../src/records/decode-record-batch.js';
import { iterateBatches } from '../../src/records/record-iterator.js';
import { Random } from '../helpers/random.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { COMPACT_LOG_CONFIG, NOW } from './compact-log-config.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./compact-child.js', import.meta.url));

interface Rec {
  offset: number;
  key: string;
  value: string | null;
}

/** A log of `batches` batches over 48 keys; returns what was written. */
async function writeLog(dir: string, seed: number, batches = 300): Promise<Rec[]> {
  const random = new Random(seed);
  const log = await PartitionLog.open(dir, { config: COMPACT_LOG_CONFIG });
  const out: Rec[] = [];
  for (let i = 0; i < batches; i++) {
    const n = random.int(1, 3);
    const records = Array.from({ length: n }, () => {
      const key = `key-${random.int(0, 47)}`;
      return { key, value: random.int(0, 9) === 0 ? null : `${key}=${i}`, timestamp: 1000 + i };
    });
    const result = await log.append(encodeRecordBatch(records, { producerId: 7, producerEpoch: 0, baseSequence: out.length }));
    records.forEach((r, j) => out.push({ offset: result.baseOffset + j, key: r.key, value: r.value }));
    if (random.int(0, 5) === 0) log.roll();
  }
  await log.close();
  return out;
}

function readAll(log: PartitionLog): Rec[] {
  const out: Rec[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const read = log.read(offset, { maxBytes: 1 << 20 });
    if (read.views.length === 0) break;
    for (const view of read.views) {
      for (const batch of iterateBatches(view)) {
        for (const r of decodeRecordBatch(batch).records) {
          if (r.offset >= offset) out.push({ offset: r.offset, key: r.key!.toString(), value: r.value?.toString() ?? null });
        }
      }
    }
    offset = read.nextOffset;
  }
  return out;
}

function runChild(dir: string, step: string, killAfterMs?: number): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, dir, step], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (killAfterMs !== undefined && out.startsWith('open\n') && !timer) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    let timer: NodeJS.Timeout | undefined;
    const safety = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (code, signal) => {
      clearTimeout(safety);
      if (timer) clearTimeout(timer);
      resolve({ code, signal, out: out + err });
    });
  });
}

/** What any state of the log must satisfy after a crash: a subset of what was written, with every key's latest record. */
function checkAfterCrash(got: Rec[], written: Rec[], what: string): void {
  const byOffset = new Map(written.map((r) => [r.offset, r]));
  let previous = -1;
  for (const r of got) {
    assert.ok(r.offset > previous, `${what}: offsets increase`);
    previous = r.offset;
    assert.equal(r, byOffset.get(r.offset), `${what}: record at ${r.offset} is the one written there`);
  }
  const latest = new Map<string, Rec>();
  for (const r of written) latest.set(r.key, r);
  const present = new Set(got.map((r) => r.offset));
  for (const r of latest.values()) {
    // A tombstone may be gone (delete.retention.ms 0); any other latest value must be there.
    if (r.value !== null) assert.ok(present.has(r.offset), `${what}: the latest value of ${r.key} (offset ${r.offset}) survived`);
  }
  // No stale value may stand alone where a later one exists is not required mid-pass, but a
  // key's value must never be older than a present later one: checked by the offset order above.
}

/** The log after a complete pass: the last record per key below the active segment, tombstones gone. */
function cleanModel(written: Rec[], activeBase: number): Rec[] {
  const last = new Map<string, number>();
  for (const r of written) if (r.offset < activeBase) last.set(r.key, r.offset);
  return written.filter((r) => r.offset >= activeBase || (last.get(r.key) === r.offset && r.value !== null));
}

let template: { dir: string; written: Rec[] } | undefined;

async function freshLog(): Promise<{ dir: string; written: Rec[] }> {
  if (!template) {
    const dir = join(tempDir(), 'template');
    template = { dir, written: await writeLog(dir, 42) };
  }
  const dir = join(tempDir(), 'log');
  cpSync(template.dir, dir, { recursive: true });
  return { dir, written: template.written };
}

async function reopenAndCheck(dir: string, written: Rec[], what: string): Promise<void> {
  const log = await PartitionLog.open(dir, { config: COMPACT_LOG_CONFIG });
  try {
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.cleaned') || n.endsWith('.swap')), `${what}: no .cleaned or .swap left`);
    checkAfterCrash(readAll(log), written, what);
    const activeBase = log.activeSegmentBaseOffset;
    await log.compact({ force: true, inline: true, now: NOW });
    assert.equal(readAll(log), cleanModel(written, activeBase), `${what}: a new pass leaves exactly the model`);
  } finally {
    await log.close();
  }
}

const STEPS = ['mapped', 'cleaned-written', 'mapped-and-written', 'swap-renamed', 'old-deleted-one', 'old-deleted', 'swap-installed', 'swap-renamed:3', 'old-deleted-one:2'];

for (const step of STEPS) {
  test(`SIGKILL at ${step}: old or new segments, every latest value kept`, async () => {
    const { dir, written } = await freshLog();
    const run = await runChild(dir, step);
    assert.is(run.signal, 'SIGKILL', run.out);
    assert.match(run.out, `step ${step.split(':')[0]}`);
    const leftover = readdirSync(dir);
    if (step.startsWith('swap-renamed') || step.startsWith('old-deleted') || step === 'swap-installed') {
      assert.ok(leftover.some((n) => n.endsWith('.swap')) || step === 'swap-installed', `a swap file is left at ${step}`);
    }
    await reopenAndCheck(dir, written, step);
  });
}

test('no kill: the child compacts and exits cleanly', async () => {
  const { dir, written } = await freshLog();
  const run = await runChild(dir, 'none');
  assert.is(run.code, 0, run.out);
  await reopenAndCheck(dir, written, 'none');
});

test('SIGKILL at random moments of passes on the worker thread never loses a latest value', async () => {
  const random = new Random(7);
  for (let round = 0; round < 8; round++) {
    const { dir, written } = await freshLog();
    const run = await runChild(dir, 'random', random.int(5, 125));
    assert.is(run.signal, 'SIGKILL', run.out);
    await reopenAndCheck(dir, written, `round ${round}`);
  }
});

test.run();
