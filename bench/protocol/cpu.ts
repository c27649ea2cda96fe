/**
 * CPU time of processes, for the protocol benchmark: another process's from /proc/<pid>/stat
 * (utime + stime, in clock ticks), this process's from process.cpuUsage(), and a child
 * command's from bash's `times` (user and system time of the shell's children).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** Seconds of CPU (user + system) process `pid` has used so far. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at ") ": utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Seconds of CPU (user + system) this process has used so far. */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

export interface CommandRun {
  code: number | null;
  cpuSeconds: number;
  wallSeconds: number;
  stderr: string;
}

/** Runs `command` (shell words already quoted) under bash and reports its CPU time from `times`; its stderr goes to `errFile`. */
export function runMeasured(command: string, errFile: string): Promise<CommandRun> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn('bash', ['-c', `${command} >/dev/null 2>'${errFile}'; code=$?; times >&2; exit $code`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      // `times` prints two lines: the shell's own user/system, then its children's.
      const lines = err.trim().split('\n');
      const children = lines[lines.length - 1] ?? '';
      const cpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
      resolve({ code, cpuSeconds, wallSeconds, stderr: err });
    });
  });
}
