/**
 * The `skein` command as a child process for CLI tests: run it to completion (with stdin and
 * environment of the test's choosing), or start `skein serve` and wait for its address.
 * Every child is SIGKILLed after a minute so a hang fails the test instead of the suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LAUNCH = fileURLToPath(new URL('./launch.js', import.meta.url));

export interface Ran {
  code: number | null;
  out: string;
  err: string;
}

export function runSkein(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv; cwd?: string; entry?: string } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [options.entry ?? LAUNCH, ...args], {
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? { ...process.env, SKEIN_BOOTSTRAP: '', SKEIN_CONFIG: '' },
      cwd: options.cwd,
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    if (options.stdin !== undefined) child.stdin!.end(options.stdin);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

export interface Server {
  process: ChildProcess;
  bootstrap: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** `skein serve --port 0 <args>` (a later --port in args wins), waiting until it listens. */
export async function startServe(args: string[], entry = LAUNCH, cwd?: string): Promise<Server> {
  const child = spawn(process.execPath, [entry, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /clients connect to (\S+)\)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', check);
    exited.then((code) => reject(new Error(`skein serve exited with ${code} before listening: ${err}`)));
  });
  return {
    process: child,
    bootstrap,
    stdout: () => out,
    stderr: () => err,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
