/**
 * The data folder check `skein serve` makes before opening a broker: the folder exists (it
 * is created if missing) and a file can be written in it. Done up front because the storage
 * layer would otherwise fail later and less clearly (on the first topic, or on close), and
 * because a server that cannot keep what it acknowledges must not start at all.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDirs } from '../storage/make-dirs.js';

export interface DataDirProblem {
  dir: string;
  reason: string;
}

/** The absolute folder, ready for use; or why it is not. */
export function prepareDataDir(dir: string): { dir: string } | { problem: DataDirProblem } {
  const absolute = resolve(dir);
  const probe = join(absolute, `.skein-write-check-${process.pid}`);
  try {
    makeDirs(absolute); // not mkdirSync recursive: it spins forever on /proc/skein
    writeFileSync(probe, 'skein\n');
    rmSync(probe, { force: true });
    return { dir: absolute };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { problem: { dir: absolute, reason: e.message ?? String(err) } };
  }
}
