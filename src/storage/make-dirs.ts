/**
 * `mkdir -p` without Node's recursive mkdir, which loops forever at 100% CPU on some paths
 * (Node 20: `mkdirSync('/proc/skein', { recursive: true })` never returns, because mkdir there
 * fails with ENOENT although the parent exists). Each missing level is made on its own, and
 * the first failure is thrown as it is, so a folder that cannot be made fails at once.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function makeDirs(path: string): void {
  const missing: string[] = [];
  let at = resolve(path);
  for (;;) {
    try {
      if (statSync(at).isDirectory()) break;
      // A file in the way: let mkdir below report it (EEXIST / ENOTDIR).
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw err;
    }
  }
}
