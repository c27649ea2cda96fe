/**
 * `npm run bench:compare` / `bench:compare:quick`: Skein side by side with the systems users
 * would pick instead, every workload the same for every system, in one run on one machine.
 *
 *   node out/bench/compare/run.js [--quick] [--only=skein,redis] [--sizes=100,1024]
 *        [--partitions=1,8] [--no-physical] [--no-scale] [--out=bench/results]
 *
 * First the physical baselines; then each system in its own process (system-child.ts runs
 * workloads.ts: start it or say why it is skipped, produce and consume every size and
 * partition count, latency); then Skein's scale workloads (scale.ts). Output: markdown on stdout, JSON and HTML
 * under bench/results/ (stamped with the date).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, freeBytes } from './machine.js';
import { measurePhysical } from './physical.js';
import { killAll } from './proc.js';
import { note } from './progress.js';
import { measureScale } from './scale.js';
import { SYSTEM_IDS } from './systems/index.js';
import type { SystemResults } from './workloads.js';
import { renderMarkdown } from './markdown.js';
import { renderHtml } from '../report/html.js';
import type { Report, RunOptions } from './report-data.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function parseOptions(argv: string[]): RunOptions & { out: string } {
  const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const list = (name: string) => flag(name)?.split(',').map((s) => s.trim()).filter(Boolean);
  const quick = argv.includes('--quick');
  const sizes = list('sizes')?.map(Number) ?? [100, 1024, 10 * 1024];
  // Full: about 100 MB of 100 B records and 500 MB of the larger ones per workload.
  const countFor = (size: number) => (quick ? (size <= 100 ? 50_000 : size <= 1024 ? 20_000 : 4_000) : size <= 100 ? 1_000_000 : Math.max(10_000, Math.floor((512 * 2 ** 20) / size)));
  return {
    quick,
    systems: list('only') ?? [...SYSTEM_IDS],
    sizes,
    partitions: list('partitions')?.map(Number) ?? [1, 8, 64],
    counts: Object.fromEntries(sizes.map((s) => [s, countFor(s)])),
    latencySamples: quick ? 1_000 : 20_000,
    latencyWarmup: quick ? 100 : 1_000,
    latencyValueBytes: 100,
    physical: !argv.includes('--no-physical'),
    scale: !argv.includes('--no-scale'),
    out: flag('out') ?? join(REPO, 'bench', 'results'),
  };
}

const CHILD = fileURLToPath(new URL('./system-child.js', import.meta.url));
let running: ChildProcess | undefined;

/** Runs one system in its own process (system-child.ts); stderr is shared for progress bars. */
function runSystemChild(id: string, root: string, options: RunOptions): Promise<SystemResults> {
  const limitMs = options.quick ? 180_000 : 3_600_000;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, id, root, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    running = child;
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => {
      note(`  ${id} ran longer than ${limitMs / 1000} s: stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, limitMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      running = undefined;
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      const empty: SystemResults = { systems: [], throughput: [], latency: [], errors: [] };
      const results: SystemResults = line ? JSON.parse(line.slice(7)) : empty;
      if (!line) results.errors.push(`${id}: its process ended with ${signal ?? code} before reporting`);
      resolve(results);
    });
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const options = parseOptions(process.argv.slice(2));
  const root = mkdtempSync(join(tmpdir(), 'skein-compare-'));
  const cleanup = () => {
    running?.kill('SIGTERM');
    killAll();
    rmSync(root, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      note(`\n${signal}: stopping servers and removing ${root}`);
      cleanup();
      process.exit(130);
    });
  }
  const report: Report = {
    machine: describeMachine(root, REPO),
    options,
    systems: [],
    physical: [],
    throughput: [],
    latency: [],
    errors: [],
    durationSec: 0,
  };
  const m = report.machine;
  note(`skein bench:compare ${options.quick ? '(quick)' : '(full)'} ${m.date}: ${m.cpu} x${m.cores}, ${m.memoryGiB} GiB, ${m.disk}, ${(freeBytes(root) / 2 ** 30).toFixed(0)} GiB free, node ${m.node}`);
  try {
    if (options.physical) {
      note('\nphysical baselines');
      const physicalDir = mkdtempSync(join(root, 'physical-'));
      report.physical = await measurePhysical(physicalDir, options.quick, (p) =>
        note(`  ${p.name}: ${p.unit === 'bytes/s' ? `${(p.value / 2 ** 20).toFixed(0)} MiB/s` : `${p.value.toFixed(0)} ops/s`} (${p.detail})`),
      );
      rmSync(physicalDir, { recursive: true, force: true });
    }
    for (const id of options.systems) {
      const r = await runSystemChild(id, root, options);
      report.systems.push(...r.systems);
      report.throughput.push(...r.throughput);
      report.latency.push(...r.latency);
      report.errors.push(...r.errors);
    }
    if (options.scale && options.systems.some((s) => s.startsWith('skein'))) {
      note('\nscale (Skein)');
      report.scale = await measureScale(root, options.quick, (line) => note(`  ${line}`));
    }
  } finally {
    cleanup();
  }
  report.durationSec = (Date.now() - started) / 1000;
  const markdown = renderMarkdown(report);
  process.stdout.write(markdown);
  mkdirSync(options.out, { recursive: true });
  const stamp = `${m.date.slice(0, 19).replace(/[:T]/g, '-')}${options.quick ? '-quick' : ''}`;
  const base = join(options.out, `compare-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2));
  writeFileSync(`${base}.md`, markdown);
  writeFileSync(`${base}.html`, renderHtml(report));
  note(`\nwrote ${base}.json, .md and .html (${report.durationSec.toFixed(0)} s)`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    killAll();
    process.exit(1);
  },
);
