/**
 * Server processes for the networked peers: free loopback ports, start and wait until the port
 * answers, CPU time from /proc/<pid>/stat, and one place that kills every child we started
 * (in `finally` and on SIGINT/SIGTERM), so an interrupted run leaves no server behind.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { readFileSync, existsSync } from 'node:fs';
import { SkipError } from './types.js';

const children = new Set<ChildProcess>();

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Absolute path of an executable on PATH (or in sbin, where Debian puts nats-server), or undefined. */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/** The skip reason for a missing server binary, with the exact command that installs it. */
export function missingBinary(name: string, aptPackage: string): SkipError {
  return new SkipError(`${name} not found on PATH; install it with: apt-get update && apt-get install -y ${aptPackage}`);
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Spawns a server and resolves once `port` accepts connections. Its output is kept (last 4 KiB)
 * so a failure to start can say why.
 */
export async function startServer(binary: string, args: string[], port: number, timeoutMs = 10_000): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4096);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
    children.delete(child);
  });
  child.once('error', (err) => {
    exited = err.message;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new SkipError(`${binary} ${exited}: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    if (await portAnswers(port)) return child;
    await new Promise((r) => setTimeout(r, 25));
  }
  await stopServer(child);
  throw new SkipError(`${binary} did not answer on 127.0.0.1:${port} within ${timeoutMs} ms: ${output.trim().split('\n').slice(-3).join(' | ')}`);
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export async function stopServer(child: ChildProcess | undefined, graceMs = 5000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
  children.delete(child);
}

/** Kills every server still running, synchronously: safe in an exit or signal handler. */
export function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  children.clear();
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // Linux's USER_HZ on every common build.
    }
  }
  return clockTicks;
}

/** User + system CPU seconds of a process (all its threads) so far, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: fields restart after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / ticksPerSecond();
}

/** First line of a command's output, or a note that it could not run; for version stamps. */
export function commandVersion(binary: string, args: string[]): string {
  try {
    return execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0]!;
  } catch (err) {
    return `unknown (${(err as Error).message.split('\n')[0]})`;
  }
}
