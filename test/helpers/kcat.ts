/**
 * Running Debian's kcat (librdkafka) against a test broker: whether it is installed, and one
 * run of it with its exit code, raw stdout and stderr. Shared by the interop tests.
 */
import { spawn, spawnSync } from 'node:child_process';

/** True when `kcat -V` runs here (CI installs it; a developer machine may lack it). */
export const KCAT_AVAILABLE = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status === 0;

export interface KcatRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `kcat -b <bootstrap> ...args` to its end. */
export function runKcat(bootstrap: string, args: string[]): Promise<KcatRun> {
  return new Promise((resolve) => {
    const child = spawn('kcat', ['-b', bootstrap, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // A hang detector only: a kcat still running after a minute has failed.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
  });
}
