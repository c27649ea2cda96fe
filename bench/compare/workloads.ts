/**
 * One system's workloads, the same for every system: start it (or record why it is skipped),
 * then for each value size and partition count produce N records and consume them all back in
 * order, then single-record latency with a consumer waiting; client and server CPU around
 * every timed section. Runs inside system-child.ts, one process per system.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bottleneck, percentiles, timed, withTimeout } from './measure.js';
import { note, progress } from './progress.js';
import { SkipError, type LatencyResult, type System, type SystemInfo, type ThroughputResult, type Workload } from './types.js';
import type { RunOptions } from './report-data.js';

/** What one system's run adds to the report. */
export interface SystemResults {
  systems: SystemInfo[];
  throughput: ThroughputResult[];
  latency: LatencyResult[];
  errors: string[];
}

const sizeLabel = (b: number) => (b >= 1024 ? `${b / 1024} KiB` : `${b} B`);

/** What the report says about a system; version() may run a binary or read a file, so guarded. */
function describe(system: System, skipped?: string): SystemInfo {
  let version: string;
  try {
    version = system.version();
  } catch (err) {
    version = `unknown (${(err as Error).message.split('\n')[0]})`;
  }
  return { id: system.id, label: system.label, version, durability: system.durability(), batching: system.batching(), settings: system.settings(), ...(skipped ? { skipped } : {}) };
}

export async function runSystem(system: System, options: RunOptions, root: string, report: SystemResults): Promise<void> {
  const dir = mkdtempSync(join(root, `${system.id}-`));
  const workloadMs = options.quick ? 30_000 : 300_000;
  try {
    try {
      await withTimeout(system.start(dir), 30_000, `${system.id} start`);
    } catch (err) {
      const reason = err instanceof SkipError ? err.message : `failed to start: ${(err as Error).message}`;
      report.systems.push(describe(system, reason));
      note(`SKIPPED ${system.label}: ${reason}`);
      return;
    }
    const info = describe(system);
    report.systems.push(info);
    note(`\n${system.label} (${info.version})`);
    const pid = system.serverPid();
    for (const size of options.sizes) {
      const value = Buffer.alloc(size, 0x61);
      for (const partitions of options.partitions) {
        if (partitions > system.maxPartitions) continue;
        const count = options.counts[size]!;
        const log = `t${size}p${partitions}`;
        const what = `${sizeLabel(size)} x${partitions}`;
        try {
          const bar = progress(`${system.id} produce ${what}`, count);
          const w: Workload = { log, partitions, count, value, tick: (n) => bar.tick(n) };
          await system.prepare(w);
          const produced = await timed(() => withTimeout(system.produce(w), workloadMs, `${system.id} produce ${what}`), pid);
          const produceRate = count / produced.cpu.wallSec;
          report.throughput.push({ system: system.id, label: system.label, phase: 'produce', valueBytes: size, partitions, records: count, recordsPerSec: produceRate, bytesPerSec: produceRate * size, cpu: produced.cpu, bottleneck: bottleneck(produced.cpu) });
          bar.done(`${(produceRate / 1e3).toFixed(1)} k records/s; ${bottleneck(produced.cpu)}`);

          const cbar = progress(`${system.id} consume ${what}`, count);
          w.tick = (n) => cbar.tick(n);
          const consumed = await timed(() => withTimeout(system.consume(w), workloadMs, `${system.id} consume ${what}`), pid);
          if (consumed.value.records !== count) throw new Error(`${system.id} consumed ${consumed.value.records} of ${count} records`);
          if (consumed.value.bytes !== count * size) throw new Error(`${system.id} consumed ${consumed.value.bytes} bytes, expected ${count * size}`);
          const consumeRate = count / consumed.cpu.wallSec;
          report.throughput.push({ system: system.id, label: system.label, phase: 'consume', valueBytes: size, partitions, records: count, recordsPerSec: consumeRate, bytesPerSec: consumeRate * size, cpu: consumed.cpu, bottleneck: bottleneck(consumed.cpu) });
          cbar.done(`${(consumeRate / 1e3).toFixed(1)} k records/s; ${bottleneck(consumed.cpu)}`);
        } catch (err) {
          // A failed workload leaves the system in an unknown state: record it and move on.
          report.errors.push(`${system.label}, ${what}: ${(err as Error).message}`);
          note(`  FAILED ${what}: ${(err as Error).message}`);
          return;
        }
      }
    }
    const total = options.latencyWarmup + options.latencySamples;
    const samples = new Float64Array(options.latencySamples);
    let n = 0;
    const bar = progress(`${system.id} latency`, total);
    try {
      const value = Buffer.alloc(options.latencyValueBytes, 0x61);
      const run = await timed(
        () => withTimeout(system.latency(total, value, (us) => {
          if (n >= options.latencyWarmup) samples[n - options.latencyWarmup] = us;
          n += 1;
          bar.tick(1);
        }), workloadMs * 2, `${system.id} latency`),
        pid,
      );
      const p = percentiles(samples);
      report.latency.push({ system: system.id, label: system.label, valueBytes: options.latencyValueBytes, samples: options.latencySamples, ...p, cpu: run.cpu, bottleneck: bottleneck(run.cpu) });
      bar.done(`p50 ${p.p50.toFixed(0)} us, p99 ${p.p99.toFixed(0)} us, p99.9 ${p.p999.toFixed(0)} us`);
    } catch (err) {
      report.errors.push(`${system.label}, latency: ${(err as Error).message}`);
      note(`  FAILED latency: ${(err as Error).message}`);
    }
  } finally {
    await withTimeout(system.stop(), 30_000, `${system.id} stop`).catch((err) => note(`  stop ${system.id}: ${(err as Error).message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

