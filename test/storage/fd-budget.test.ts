/**
 * The fd and mapping budget after a reopen (issue 8 item 5). A reopened log used to keep an fd
 * for every sealed segment, outside the MappingLru: 200 partitions with 2,802 segments opened
 * 2,823 fds and failed with EMFILE under `ulimit -n 2048`; and fds and mappings went only
 * with a garbage collection, even after close(). Now sealed segments open on demand under
 * the LRU and close() releases everything at once.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogManager } from '../../src/storage/log-manager.js';
import { MappingLru } from '../../src/storage/mapping-lru.js';
import { SMALL_PROFILE, batchForBase, checkWholeLog } from '../helpers/offset-batches.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { T0 } from './fd-budget-shared.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./fd-budget-child.js', import.meta.url));
const PARTITIONS = 100;
const BATCHES_PER_PARTITION = 15;
const FD_LIMIT = 512;
const config = { segmentBytes: 4096, preallocateBytes: 4096 };

function fdsUnder(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith(path);
    } catch {
      return false;
    }
  }).length;
}
const mapsUnder = (path: string) => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(path)).length;

let dir = '';
let segmentFiles = 0;

test('building the folder: close() leaves no fd and no mapping of it, without a garbage collection', async () => {
  dir = join(tempDir('skein-fd-budget-'), 'data');
  const manager = LogManager.open({ dir, mappingLru: new MappingLru(16) });
  for (let p = 0; p < PARTITIONS; p++) {
    const log = await manager.open(`p-${p}`, config);
    for (let i = 0; i < BATCHES_PER_PARTITION; i++) log.appendSync(batchForBase(log.logEndOffset, T0, SMALL_PROFILE));
    // Read some of it, so mappings and views of sealed segments exist.
    checkWholeLog(log, T0, SMALL_PROFILE, 2048);
  }
  assert.ok(fdsUnder(dir) > PARTITIONS, 'the open logs hold fds');
  await manager.close();
  assert.is(fdsUnder(dir), 0, 'fds of the folder after close()');
  assert.is(mapsUnder(dir), 0, 'mappings of the folder after close()');
  for (let p = 0; p < PARTITIONS; p++) segmentFiles += readdirSync(join(dir, `p-${p}`)).filter((f) => f.endsWith('.log')).length;
  assert.ok(segmentFiles > 2 * FD_LIMIT, `${segmentFiles} segments, far more than the ${FD_LIMIT} fds allowed`);
});

test(`a child under ulimit -n ${FD_LIMIT} reopens ${PARTITIONS} partitions with more segments than fds and reads every record`, async () => {
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
    const child = execFile(
      'sh',
      ['-c', `ulimit -n ${FD_LIMIT}; exec "$0" "$@"`, process.execPath, CHILD, dir, String(PARTITIONS), '128'],
      { timeout: 120_000 },
      (error, stdout, stderr) => resolve({ stdout, stderr, code: error ? (typeof error.code === 'number' ? error.code : -1) : 0 }),
    );
    child.stdin?.end();
  });
  assert.is(code, 0, `the child failed: ${stderr.slice(0, 2000)}`);
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
    batches: number;
    segments: number;
    peakFds: number;
    beforeClose: { fds: number; maps: number };
    afterClose: { fds: number; maps: number };
  };
  console.log(`  ${result.segments} segments, ${result.batches} batches read, peak ${result.peakFds} fds (limit ${FD_LIMIT})`);
  assert.is(result.segments, segmentFiles);
  assert.is(result.batches, PARTITIONS * BATCHES_PER_PARTITION, 'every batch read back');
  assert.ok(result.peakFds < FD_LIMIT);
  assert.ok(result.beforeClose.fds > 0 && result.beforeClose.maps > 0, 'the folder was in use before close');
  assert.equal(result.afterClose, { fds: 0, maps: 0 }, 'close() released every fd and mapping of the folder');
});

test.run();
