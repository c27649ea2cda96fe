/**
 * Worker-thread side of worker.test.ts (not a test file itself): loads the addon through the
 * binding in a worker, maps the file it is given, takes a view, starts async work, reports,
 * and then ends the way the test asks while the mapping is alive.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { native } from '../../src/native/binding.js';

const { path, mode } = workerData as { path: string; mode: 'exit' | 'return' | 'wait' };
const file = new native.MappedFile(path, { writable: true });
file.map(1 << 20);
const view = file.buffer()!;
view.write('from worker', 0);
(globalThis as { keep?: unknown }).keep = view;
// A second handle with a pending truncate, and async work in flight at exit.
const other = new native.MappedFile(path, { writable: true });
other.map(file.fileSize);
(globalThis as { keepOther?: unknown }).keepOther = other.buffer();
void file.scanAsync(0, file.fileSize);
void file.flushAsync(0, file.fileSize);

parentPort!.postMessage({ stats: native.stats(), implementation: native.crc32cImplementation, crc: native.crc32c(Buffer.from('123456789')) });

if (mode === 'exit') process.exit(0);
if (mode === 'wait') setInterval(() => {}, 1000);
