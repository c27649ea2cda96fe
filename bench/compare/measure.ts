/**
 * Timing and CPU accounting shared by every workload: wall time, the client process's CPU
 * (process.cpuUsage, all threads) and the server process's CPU (/proc/<pid>/stat, all
 * threads), read just before and after the timed section. The split names the bottleneck.
 */
import { processCpuSeconds } from './proc.js';
import type { CpuSplit } from './types.js';

export async function timed<T>(fn: () => Promise<T>, serverPid: number | undefined): Promise<{ value: T; cpu: CpuSplit }> {
  const serverBefore = serverPid ? processCpuSeconds(serverPid) : NaN;
  const clientBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const value = await fn();
  const wallSec = Number(process.hrtime.bigint() - started) / 1e9;
  const client = process.cpuUsage(clientBefore);
  const serverCpuSec = serverPid ? processCpuSeconds(serverPid) - serverBefore : NaN;
  return { value, cpu: { wallSec, clientCpuSec: (client.user + client.system) / 1e6, clientSysSec: client.system / 1e6, serverCpuSec } };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * Which side limited the figure. A side using most of a core is the bottleneck (Redis runs
 * commands on one thread; NATS and Node may use more than one). When neither is busy the
 * time went to waiting: round trips, fsync or page faults.
 */
export function bottleneck(cpu: CpuSplit): string {
  const client = cpu.clientCpuSec / cpu.wallSec;
  if (Number.isNaN(cpu.serverCpuSec)) {
    // The kernel share tells page faults and syscalls apart from the engine's own code.
    const kernel = cpu.clientCpuSec > 0 ? `, ${pct(cpu.clientSysSec / cpu.clientCpuSec)} of it in the kernel` : '';
    return client >= 0.8 ? `in-process CPU (${pct(client)} of a core${kernel})` : `waiting on I/O or fsync (CPU ${pct(client)} of a core${kernel})`;
  }
  const server = cpu.serverCpuSec / cpu.wallSec;
  if (Math.max(client, server) < 0.6) return `neither (round trips or disk): client ${pct(client)}, server ${pct(server)}`;
  return client >= server ? `client CPU ${pct(client)} (server ${pct(server)})` : `server CPU ${pct(server)} (client ${pct(client)})`;
}

/** Exact percentiles of a sample set (a few tens of thousands: sorting is cheap and exact). */
export function percentiles(samples: Float64Array): { p50: number; p99: number; p999: number; max: number; curve: Array<[number, number]> } {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const points = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];
  return { p50: at(50), p99: at(99), p999: at(99.9), max: sorted[sorted.length - 1]!, curve: points.map((p) => [p, at(p)]) };
}

/** Rejects after `ms` so one stuck workload cannot hold the whole run. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
