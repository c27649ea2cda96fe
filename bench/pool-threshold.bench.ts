/**
 * The data behind the pool thresholds (docs/compression.md, Pools): what one task costs on a
 * partition's lane against doing the same work inline, by codec and batch size, in the same
 * run. For each: the inline time of one batch (validation of a produce request; decompression
 * for a consumer), and the time from submitting the same work to the pool to having its
 * result back on the event loop, one at a time (latency) and 16 in flight (throughput, what
 * a busy partition sees), plus the event loop's own cost per pooled task (submit, copy, and
 * settle: what the pool does NOT take off the loop). Work moves to the pool where the inline
 * cost exceeds that own cost by a margin and the work is large enough to stall other
 * partitions; the crossover is where inline time ≈ pooled latency.
 */
import { performance } from 'node:perf_hooks';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { validateCompressedBatches } from '../src/records/validate-compressed-batch.js';
import { decompress } from '../src/records/compression/index.js';
import { COMPRESSION_NAMES, HEADER_SIZE } from '../src/records/batch-header.js';
import { WorkerPool } from '../src/workers/pool.js';
import { printEnvironment, QUICK } from './harness.js';
import { wordValues } from './word-values.js';

const SIZES = [100, 1000, 2000, 5000];
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const ROUNDS = QUICK ? 20 : 60;

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Work {
  inline: () => void;
  pooled: () => Promise<unknown>;
}

function validation(pool: WorkerPool, batch: Buffer): Work {
  return {
    inline: () => validateCompressedBatches(batch, { maxDecompressedBytes: 1 << 30, verifyCrc: false }),
    pooled: () => {
      const copy = new Uint8Array(batch);
      return pool.run('bench\u00000', 'validateCompressed', { batches: copy, maxDecompressedBytes: 1 << 30 }, [copy.buffer as ArrayBuffer]);
    },
  };
}

function decompression(pool: WorkerPool, batch: Buffer, codec: number): Work {
  const section = batch.subarray(HEADER_SIZE);
  return {
    inline: () => decompress(codec, section, { maxBytes: 1 << 30 }),
    pooled: () => {
      const data = new Uint8Array(section);
      return pool.run('bench\u00000', 'decompress', { codec, data, maxBytes: 1 << 30 }, [data.buffer as ArrayBuffer]);
    },
  };
}

async function measure(work: Work): Promise<{ inline: number; latency: number; pipelined: number; loopCost: number }> {
  for (let i = 0; i < 5; i++) {
    work.inline();
    await work.pooled();
  }
  const inline: number[] = [];
  const latency: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    work.inline();
    inline.push(performance.now() - t);
    t = performance.now();
    await work.pooled();
    latency.push(performance.now() - t);
  }
  // 16 in flight: time per task, and the event loop's busy time per task meanwhile.
  const n = 16 * Math.max(1, Math.floor(ROUNDS / 16));
  const elu = performance.eventLoopUtilization();
  const t = performance.now();
  const inFlight: Array<Promise<unknown>> = [];
  for (let i = 0; i < n; i++) {
    inFlight.push(work.pooled());
    if (inFlight.length >= 16) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const pipelined = (performance.now() - t) / n;
  const loopCost = performance.eventLoopUtilization(elu).active / n;
  return { inline: median(inline), latency: median(latency), pipelined, loopCost };
}

const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

async function main(): Promise<void> {
  printEnvironment();
  const pool = new WorkerPool({ size: 1 });
  await pool.warmUp();
  // The hop alone: an empty task's round trip.
  const hop: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await pool.run('bench\u00000', 'ready', null);
    hop.push(performance.now() - t);
  }
  console.log(`\nempty task round trip (the hop alone): median ${us(median(hop))}`);
  for (const [title, make] of [
    ['produce validation (validateCompressed)', (b: Buffer) => validation(pool, b)],
    ['consumer decompression (decompress)', (b: Buffer, codec: number) => decompression(pool, b, codec)],
  ] as const) {
    console.log(`\n## ${title}: one batch inline vs on the pool (medians of ${ROUNDS})`);
    console.log('| codec | records | inline | pool latency | pool per task, 16 in flight | event-loop cost per pooled task | inline / loop cost |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const codec of CODECS) {
      for (const size of SIZES) {
        const batch = encodeRecordBatch(wordValues(size).map((value) => ({ value })), { compression: codec });
        const m = await measure(make(batch, COMPRESSION_NAMES.indexOf(codec)));
        console.log(`| ${codec} | ${size} | ${us(m.inline)} | ${us(m.latency)} | ${us(m.pipelined)} | ${us(m.loopCost)} | ${(m.inline / m.loopCost).toFixed(1)}x |`);
      }
    }
  }
  await pool.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
