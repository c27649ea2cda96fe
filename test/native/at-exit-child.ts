/**
 * Child-process side of at-exit.test.ts (not a test file itself): makes lots of mappings in
 * `dir`, drops most of their views, leaves some alive, some with pending truncates and some
 * async work in flight, then ends as told: 'return' (the event loop drains), 'exit'
 * (process.exit with work in flight) or 'throw' (an uncaught exception).
 */
import { join } from 'node:path';
import { native } from '../../src/native/binding.js';

const [dir, mode] = process.argv.slice(2) as [string, 'return' | 'exit' | 'throw'];
const FILES = 64;
const MAPS_PER_FILE = 20;
const kept: Buffer[] = [];

for (let f = 0; f < FILES; f++) {
  const file = new native.MappedFile(join(dir, `${f}.log`), { create: true });
  file.allocate(64 * 1024);
  for (let m = 0; m < MAPS_PER_FILE; m++) {
    file.map(4096 * (m + 1)); // each size is a new mapping; the previous one lives on in its view
    const view = file.buffer()!;
    view.writeUInt32BE(m, 0);
    if (m % 7 === 0) kept.push(view);
  }
  void file.flushAsync(0, 4096);
  void file.scanAsync(0, 4096);
  if (f % 2 === 0) file.truncate(1000); // pending: views and async work are alive
  if (f % 3 === 0) file.close(); // closed handles with live views
}
(globalThis as { gc?: () => void }).gc?.();
console.log(`mapped ${FILES * MAPS_PER_FILE}, live ${native.stats().liveMappings}, kept ${kept.length}`);

if (mode === 'exit') process.exit(0);
if (mode === 'throw') throw new Error('uncaught on purpose');
