/**
 * The identity of a broker's data folder (Kafka's `directory.id` in meta.properties, KIP-858):
 * a random id written into `<dir>/meta.properties` the first time a cluster broker starts on the
 * folder, and read back on every later start. The controller records the id each broker
 * registered with; a broker that comes back with a different id (an emptied, replaced or
 * re-created folder) is known to have lost its replicas and is never elected to lead data it
 * lacks (src/cluster/controller-decisions.ts).
 *
 * Synchronous, called once at start, before the broker joins its cluster. Written to a
 * temporary file, fsynced and renamed, so a crash leaves either no file or a whole one.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';

const FILE = 'meta.properties';

/** Reads this folder's directory id, creating it on first use. */
export function directoryIdOf(dir: string): string {
  const path = join(dir, FILE);
  try {
    const text = readFileSync(path, 'utf8');
    const match = /^directory\.id=(\S+)$/m.exec(text);
    if (match) return match[1]!;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fromSystemError(err as NodeJS.ErrnoException, `reading ${path}`);
  }
  const id = randomUUID();
  const temp = `${path}.tmp`;
  try {
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, `# written by skein when this folder first joined a cluster\nversion=1\ndirectory.id=${id}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `writing ${path}`);
  }
  return id;
}
