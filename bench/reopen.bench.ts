/**
 * Start-up cost of a data folder: time, peak fds, peak mappings and peak RSS to reopen
 * 1,000 partitions × 10 segments (clean and unclean shutdown), next to the same figures for
 * a fresh log of the same size (open 1,000 empty partitions, then write the 10 segments each).
 * Issue 8 item 5: a reopen used to keep an fd for every sealed segment (10,000 here) outside
 * the MappingLru; now sealed segments open on demand under it.
 *
 * Each scenario runs in a child process of its own (argv: <scenario> <dir> <partitions>), so
 * fds, mappings and RSS are the scenario's alone; the parent prints one table with ratios to
 * the fresh log. Default storage settings except segment.bytes (16 KiB, so 10 segments per
 * partition take 160 MB of disk, not 10 GB) and the default shared MappingLru (512).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, mkdtempSync, unlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUICK, printEnvironment } from './harness.js';

const SEGMENTS = 10;
const SEGMENT_BYTES = 16 * 1024;
const VALUE_BYTES = 1500;
/** Batches of one ~1.56 KiB record: 10 fill a 16 KiB segment, so 100 make 10 segments. */
const BATCHES = 10 * SEGMENTS;

interface Figures {
  startupMs: number;
  peakFds: number;
  peakMappings: number;
  peakRssMb: number;
  /** After reading every batch (reopen) or writing them (fresh). */
  afterWork: { ms: number; peakFds: number; peakMappings: number; peakRssMb: number };
  segments: number;
}

const fds = () => readdirSync('/proc/self/fd').length;
const mappings = () => readFileSync('/proc/self/maps', 'utf8').split('\n').length - 1;
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

class Peak {
  fds = 0;
  mappings = 0;
  rss = 0;
  sample(): void {
    this.fds = Math.max(this.fds, fds());
    this.mappings = Math.max(this.mappings, mappings());
    this.rss = Math.max(this.rss, rssMb());
  }
}

async function child(scenario: string, dir: string, partitions: number): Promise<Figures> {
  const { LogManager } = await import('../src/storage/log-manager.js');
  const { batchOf } = await import('../test/helpers/batches.js');
  const config = { segmentBytes: SEGMENT_BYTES };
  const peak = new Peak();
  peak.sample();
  const started = performance.now();
  const manager = LogManager.open({ dir });
  const logs = [];
  for (let p = 0; p < partitions; p++) {
    logs.push(await manager.open(`t-${p}`, config));
    if (p % 20 === 0) peak.sample();
  }
  peak.sample();
  const startupMs = performance.now() - started;
  const work = new Peak();
  work.sample();
  const workStarted = performance.now();
  let segments = 0;
  if (scenario === 'fresh') {
    const batch = batchOf('v', 1, VALUE_BYTES);
    for (const log of logs) {
      for (let i = 0; i < BATCHES; i++) log.appendSync(batch);
      work.sample();
      // Let the event loop turn between partitions, as a broker's does: finalizers of
      // collected views (which release their mappings) run from immediates.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } else {
    for (const log of logs) {
      for (let offset = log.logStartOffset; offset < log.logEndOffset; ) offset = log.read(offset, { maxBytes: 64 * 1024 }).nextOffset;
      work.sample();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const workMs = performance.now() - workStarted;
  for (const log of logs) segments += log.segmentCount;
  await manager.close();
  return {
    startupMs,
    peakFds: peak.fds,
    peakMappings: peak.mappings,
    peakRssMb: peak.rss,
    afterWork: { ms: workMs, peakFds: work.fds, peakMappings: work.mappings, peakRssMb: work.rss },
    segments,
  };
}

function runChild(scenario: string, dir: string, partitions: number): Figures {
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, [self, scenario, dir, String(partitions)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`scenario ${scenario} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Figures;
}

function removeCleanShutdownMarkers(dir: string): void {
  for (const name of readdirSync(dir)) {
    const marker = join(dir, name, '.clean-shutdown');
    if (existsSync(marker)) unlinkSync(marker);
  }
}

async function main(): Promise<void> {
  const [scenario, dir, partitions] = process.argv.slice(2);
  if (scenario) {
    process.stdout.write(JSON.stringify(await child(scenario, dir!, Number(partitions))) + '\n');
    return;
  }
  printEnvironment();
  const count = QUICK ? 200 : 1000;
  const root = mkdtempSync(join(tmpdir(), 'skein-reopen-bench-'));
  const data = join(root, 'data');
  try {
    const rows: Array<[string, Figures]> = [];
    rows.push(['fresh: open empty, then write', runChild('fresh', data, count)]);
    rows.push(['reopen after a clean close, then read all', runChild('reopen', data, count)]);
    removeCleanShutdownMarkers(data);
    rows.push(['reopen after a crash (recovery), then read all', runChild('reopen', data, count)]);
    const base = rows[0]![1];
    console.log(`\n## Start-up of ${count} partitions × ${SEGMENTS} segments (${rows[1]![1].segments} segments), one child process per scenario`);
    console.log('| scenario | start-up ms | ratio to fresh | peak fds | peak mappings | peak RSS MB | then: ms | peak fds | peak mappings | peak RSS MB |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, f] of rows) {
      console.log(
        `| ${name} | ${f.startupMs.toFixed(0)} | ${(f.startupMs / base.startupMs).toFixed(2)}x | ${f.peakFds} | ${f.peakMappings} | ${f.peakRssMb.toFixed(0)} | ` +
          `${f.afterWork.ms.toFixed(0)} | ${f.afterWork.peakFds} | ${f.afterWork.peakMappings} | ${f.afterWork.peakRssMb.toFixed(0)} |`,
      );
    }
    console.log('(fds and mappings are the whole process: node itself holds ~20 fds and ~100 mappings.)');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
