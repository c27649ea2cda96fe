/**
 * Every child process a cluster test starts is tracked here and SIGKILLed when the test
 * process exits, however it exits (a failed assertion, a timeout, run-tests killing the file):
 * a paused (SIGSTOP) or orphaned broker must never outlive its test. SIGKILL also ends a
 * stopped process, so no SIGCONT is needed first.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Sends `signal`; for SIGKILL resolves once the process is gone. */
export async function signal(child: ChildProcess, name: NodeJS.Signals): Promise<void> {
  if (!isRunning(child)) return;
  if (name !== 'SIGKILL') {
    child.kill(name);
    return;
  }
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await gone;
}

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    killAll();
    process.exit(1);
  });
}

/** SIGTERM and the exit code (a controlled shutdown), SIGKILL after `timeoutMs`; a child already gone gives its code. */
export async function terminate(child: ChildProcess | undefined, timeoutMs: number): Promise<number | null> {
  if (!child || !isRunning(child)) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
