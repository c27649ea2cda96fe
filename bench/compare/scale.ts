/**
 * Scale workloads of Skein, each in a fresh child process (scale-child.ts):
 *  - records/s as partitions grow from 1 to 1,000, and the resident memory, open file
 *    descriptors and mappings each partition costs (/proc/self/status, fd, maps);
 *  - recovery after an unclean stop: a child writes N GB into one partition and is SIGKILLed,
 *    then a fresh process times Skein.open until the partition's offsets are readable;
 *  - a consumer that starts far behind: the same backlog consumed from the beginning, first
 *    with its pages still cached, then after dropping them from the page cache (per file,
 *    with dd iflag=nocache, so the rest of the machine keeps its cache).
 * Sizes are capped by the free disk space, checked first.
 */
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeBytes } from './machine.js';
import type { Footprint } from './scale-child.js';

const CHILD = fileURLToPath(new URL('./scale-child.js', import.meta.url));

export interface PartitionScale {
  partitions: number;
  records: number;
  produceRps: number;
  consumeRps: number;
  createSec: number;
  /** What Skein added to the process: after consuming minus before Skein.open. */
  total: { rssBytes: number; fds: number; maps: number };
}

export interface Recovery {
  logBytes: number;
  openSec: number;
  secPerGiB: number;
}

export interface Backlog {
  logBytes: number;
  records: number;
  cache: 'warm' | 'cold';
  recordsPerSec: number;
  bytesPerSec: number;
}

export interface ScaleResults {
  partitions: PartitionScale[];
  recovery: Recovery[];
  backlog: Backlog[];
  notes: string[];
}

interface ChildRun {
  results: unknown[];
  child: ReturnType<typeof spawn>;
}

/** Runs the child until it exits (or, with `untilResult`, until its first RESULT line). */
function runChild(args: string[], timeoutMs: number, untilResult = false): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const results: unknown[] = [];
    let stderr = '';
    let buffered = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scale child ${args[0]} took longer than ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('RESULT ')) {
          results.push(JSON.parse(line.slice(7)));
          if (untilResult) {
            clearTimeout(timer);
            resolve({ results, child });
          }
        }
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (untilResult && results.length > 0) return;
      if (code === 0) resolve({ results, child });
      else reject(new Error(`scale child ${args[0]} exited with ${signal ?? code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

function killed(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * Drops the pages of every file under dir from the page cache; false if dd could not. Dirty
 * pages cannot be dropped, so each file is fsynced first.
 */
function dropCache(dir: string): boolean {
  try {
    for (const file of filesUnder(dir)) {
      const fd = openSync(file, 'r');
      fsyncSync(fd);
      closeSync(fd);
      execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    }
    return true;
  } catch {
    return false;
  }
}

export async function measureScale(
  root: string,
  quick: boolean,
  report: (line: string) => void,
): Promise<ScaleResults> {
  const notes: string[] = [];
  const partitionCounts = quick ? [1, 100, 1000] : [1, 10, 100, 1000];
  const records = quick ? 100_000 : 1_000_000;
  const partitions: PartitionScale[] = [];
  for (const p of partitionCounts) {
    const dir = mkdtempSync(join(root, `scale-p${p}-`));
    try {
      const { results } = await runChild(['partitions', dir, String(p), String(records), '100'], quick ? 60_000 : 300_000);
      const r = results[0] as { produceRps: number; consumeRps: number; createSec: number; before: Footprint; after: Footprint };
      const added = (k: keyof Footprint) => r.after[k] - r.before[k];
      partitions.push({ partitions: p, records, produceRps: r.produceRps, consumeRps: r.consumeRps, createSec: r.createSec, total: { rssBytes: added('rssBytes'), fds: added('fds'), maps: added('maps') } });
      report(`partitions ${p}: produce ${(r.produceRps / 1e6).toFixed(2)} M/s, consume ${(r.consumeRps / 1e6).toFixed(2)} M/s; Skein added ${(added('rssBytes') / 2 ** 20).toFixed(0)} MiB RSS, ${added('fds')} fds, ${added('maps')} mappings`);
    } catch (err) {
      notes.push(`partitions ${p}: ${(err as Error).message}`);
      report(`partitions ${p}: failed: ${(err as Error).message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // Recovery and backlog: the log sizes fit the free space with room to spare (x1.5 + 4 GiB).
  const wanted = quick ? [0.25] : [1, 4];
  const free = freeBytes(root);
  const sizes = wanted.filter((gib) => gib * 2 ** 30 * 1.5 + 4 * 2 ** 30 < free);
  if (sizes.length < wanted.length) notes.push(`free disk ${(free / 2 ** 30).toFixed(1)} GiB: backlog sizes limited to ${sizes.join(', ') || 'none'} GiB of ${wanted.join(', ')}`);
  const recovery: Recovery[] = [];
  const backlog: Backlog[] = [];
  for (const gib of sizes) {
    const dir = mkdtempSync(join(root, `recovery-${gib}g-`));
    try {
      const bytes = Math.round(gib * 2 ** 30);
      const writer = await runChild(['write', dir, String(bytes)], quick ? 60_000 : 600_000, true);
      await killed(writer.child); // the unclean stop
      const written = (writer.results[0] as { records: number }).records;
      const logBytes = filesUnder(dir).filter((f) => f.endsWith('.log')).reduce((n, f) => n + statSync(f).size, 0);
      const warm = await runChild(['reopen', dir, String(written), 'warm'], quick ? 60_000 : 600_000);
      const w = warm.results[0] as { openSec: number; high: number; consumeSec: number; consumedBytes: number };
      recovery.push({ logBytes: bytes, openSec: w.openSec, secPerGiB: w.openSec / gib });
      backlog.push({ logBytes: bytes, records: w.high, cache: 'warm', recordsPerSec: w.high / w.consumeSec, bytesPerSec: w.consumedBytes / w.consumeSec });
      report(`recovery of ${gib} GiB (segment files ${(logBytes / 2 ** 30).toFixed(2)} GiB on disk): reopen ${(w.openSec * 1000).toFixed(0)} ms; backlog consume (cached) ${(w.consumedBytes / w.consumeSec / 2 ** 20).toFixed(0)} MiB/s`);
      if (dropCache(dir)) {
        const cold = await runChild(['reopen', dir, String(written), 'cold'], quick ? 60_000 : 600_000);
        const c = cold.results[0] as { high: number; consumeSec: number; consumedBytes: number };
        backlog.push({ logBytes: bytes, records: c.high, cache: 'cold', recordsPerSec: c.high / c.consumeSec, bytesPerSec: c.consumedBytes / c.consumeSec });
        report(`backlog consume of ${gib} GiB from disk (page cache dropped): ${(c.consumedBytes / c.consumeSec / 2 ** 20).toFixed(0)} MiB/s`);
      } else {
        notes.push('could not drop the page cache (dd iflag=nocache): cold backlog not measured');
      }
    } catch (err) {
      notes.push(`recovery/backlog ${gib} GiB: ${(err as Error).message}`);
      report(`recovery/backlog ${gib} GiB: failed: ${(err as Error).message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { partitions, recovery, backlog, notes };
}
