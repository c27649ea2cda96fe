/**
 * Child process of fd-budget.test.ts, run under `ulimit -n`. argv: <dir> <partitions> <lru>.
 * Opens the data folder <dir> with a LogManager whose MappingLru holds <lru> sealed segments,
 * opens p-0 .. p-<partitions-1>, reads every batch of every log (checking each against its
 * offsets), closes, and prints one JSON line: batches read, peak fds, and the fds and
 * mappings of the folder left after close() (no garbage collection is run).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { LogManager } from '../../src/storage/log-manager.js';
import { MappingLru } from '../../src/storage/mapping-lru.js';
import { SMALL_PROFILE, checkWholeLog } from '../helpers/offset-batches.js';
import { T0 } from './fd-budget-shared.js';

const [dir, partitionsText, lruText] = process.argv.slice(2);
const partitions = Number(partitionsText);

function fdsUnder(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(path)) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}
const fdCount = () => readdirSync('/proc/self/fd').length;
const mapsUnder = (path: string) => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(path)).length;

let peakFds = fdCount();
const manager = LogManager.open({ dir: dir!, mappingLru: new MappingLru(Number(lruText)) });
let batches = 0;
let segments = 0;
for (let p = 0; p < partitions; p++) {
  const log = await manager.open(`p-${p}`);
  segments += log.segmentCount;
  peakFds = Math.max(peakFds, fdCount());
}
for (let p = 0; p < partitions; p++) {
  batches += checkWholeLog(manager.get(`p-${p}`)!, T0, SMALL_PROFILE, 2048).length;
  peakFds = Math.max(peakFds, fdCount());
}
const beforeClose = { fds: fdsUnder(dir!), maps: mapsUnder(dir!) };
await manager.close();
process.stdout.write(JSON.stringify({ batches, segments, peakFds, beforeClose, afterClose: { fds: fdsUnder(dir!), maps: mapsUnder(dir!) } }) + '\n');
