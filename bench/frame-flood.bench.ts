/**
 * Broker memory under the frame flood of issue 8: 8 raw connections each announce a 100 MiB
 * request and send 95 MiB of it, never the rest. Measured: the broker's peak RSS (a child
 * process, read from /proc) with the frame pool off (baseline: unlimited, as before the pool),
 * at its default (queued.max.request.bytes 100 MiB) and at 16 MiB. Ratios are to the baseline
 * of the same run. BENCH_QUICK=1 uses 4 connections.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QUICK } from './harness.js';
import { floodFrames, rssOf } from '../test/helpers/frame-flood.js';

const MiB = 1024 * 1024;
const CHILD = fileURLToPath(new URL('../test/protocol/server/flood-child.js', import.meta.url));
const CONNECTIONS = QUICK ? 4 : 8;

async function measure(queuedMaxRequestBytes: number | undefined): Promise<{ before: number; peak: number; finished: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'skein-flood-bench-'));
  const options = queuedMaxRequestBytes === undefined ? {} : { queuedMaxRequestBytes };
  const child = spawn(process.execPath, [CHILD, join(dir, 'd'), JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (line: Buffer) => resolve((JSON.parse(line.toString()) as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`the broker exited with ${code}`)));
    });
    const before = rssOf(child.pid!);
    const flood = await floodFrames({ port, pid: child.pid!, connections: CONNECTIONS, frameBytes: 100 * MiB, sendBytes: 95 * MiB });
    for (const socket of flood.sockets) socket.destroy();
    return { before, peak: flood.peakRssBytes, finished: flood.finished };
  } finally {
    child.stdin.end();
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

const cases: Array<[string, number | undefined]> = [
  ['no cap (baseline)', Number.MAX_SAFE_INTEGER],
  ['default cap (100 MiB)', undefined],
  ['cap 16 MiB', 16 * MiB],
];
console.log(`frame flood: ${CONNECTIONS} connections × 100 MiB announced, 95 MiB sent each`);
console.log('| setting | RSS before | peak RSS | growth | growth vs baseline | connections fully read |');
console.log('|---|---|---|---|---|---|');
let baseline = NaN;
for (const [name, cap] of cases) {
  const { before, peak, finished } = await measure(cap);
  const growth = peak - before;
  if (Number.isNaN(baseline)) baseline = growth;
  console.log(`| ${name} | ${(before / MiB).toFixed(0)} MiB | ${(peak / MiB).toFixed(0)} MiB | ${(growth / MiB).toFixed(0)} MiB | ${(growth / baseline).toFixed(2)}× | ${finished} of ${CONNECTIONS} |`);
}
