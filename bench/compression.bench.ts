/**
 * The record codecs (src/records/compression/) and the packages they were chosen from, on
 * the records section of one realistic producer batch: 1000 JSON-ish records of ~110 bytes
 * (~125 KiB), the shape kafkajs's and the Java client's default batch.size-bound batches
 * approach. Compression ratios are printed first.
 *
 * Baseline in the same run: Buffer.copy of the same uncompressed bytes (memcpy): every codec
 * must at least touch them once. Throughput is in uncompressed bytes per second both ways.
 * Candidates: node:zlib gzip; npm snappy (napi-rs) vs snappyjs (pure JS, kafkajs-snappy's);
 * lz4-napi (napi-rs) vs lz4 (node-lz4, kafkajs-lz4's) vs our capped JS block decoder; zstd-napi;
 * npm snappy with its default external output buffer vs copyOutputData.
 * @mongodb-js/zstd is not measured: it downloads its binary from GitHub at install and does
 * not install here.
 *
 * Then the broker's validation of one such batch (validateCompressedBatch: CRC, decompress
 * within max.message.bytes, parse every record) per codec, in records/s, against the CRC
 * check of the same batch uncompressed (what an uncompressed append costs).
 *
 * Run: npm run bench -- compression (or node out/bench/compression.bench.js).
 */
import { createRequire } from 'node:module';
import { gzipSync, gunzipSync } from 'node:zlib';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';
import { compress, decompress } from '../src/records/compression/index.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { validateCompressedBatch } from '../src/records/validate-compressed-batch.js';
import { native } from '../src/native/binding.js';
import { compare, printEnvironment } from './harness.js';

const require = createRequire(import.meta.url);
const snappyjs = require('snappyjs') as { compress(b: Buffer): Buffer; uncompress(b: Buffer): Buffer };
const nodeLz4 = require('lz4') as { encode(b: Buffer): Buffer; decode(b: Buffer): Buffer };

const RECORDS = 1000;
let sink = 0;

function records() {
  const now = Date.now();
  return Array.from({ length: RECORDS }, (_, i) => ({
    key: `user-${i % 97}`,
    value: JSON.stringify({ id: i, type: i % 3 === 0 ? 'click' : 'view', page: `/products/${i % 211}`, ms: (i * 7919) % 1000 }),
    timestamp: now + i,
  }));
}

async function main(): Promise<void> {
  printEnvironment();
  const input = records();
  const plainBatch = encodeRecordBatch(input);
  const plain = plainBatch.subarray(61);
  const target = Buffer.allocUnsafe(plain.length);
  const copy = { name: 'Buffer.copy (memcpy)', unitsPerOp: plain.length, fn: () => plain.copy(target) };

  const packed = {
    gzip: gzipSync(plain),
    snappy: snappyCompress(plain),
    snappyjs: snappyjs.compress(plain),
    lz4: compressFrameSync(plain),
    nodeLz4: nodeLz4.encode(plain),
    zstd: zstdCompress(plain),
  };
  console.log(`\nrecords section: ${RECORDS} records, ${plain.length} bytes uncompressed`);
  for (const [name, bytes] of Object.entries(packed)) console.log(`  ${name.padEnd(9)} ${String(bytes.length).padStart(7)} bytes  (${(plain.length / bytes.length).toFixed(2)}:1)`);
  for (const [name, bytes] of Object.entries(packed)) {
    const back = name === 'gzip' ? gunzipSync(bytes) : name === 'snappy' ? snappyUncompress(bytes) : name === 'snappyjs' ? Buffer.from(snappyjs.uncompress(bytes)) : name === 'nodeLz4' ? nodeLz4.decode(bytes) : name === 'lz4' ? decompressFrameSync(bytes) : zstdDecompress(bytes);
    if (!Buffer.from(back as Uint8Array).equals(plain)) throw new Error(`${name} does not round-trip`);
  }

  await compare('compress one records section (uncompressed bytes/s)', {
    unit: 'bytes',
    baseline: copy,
    tasks: [
      { name: 'gzip (node:zlib, level 6)', unitsPerOp: plain.length, fn: () => (sink ^= compress('gzip', plain).length) },
      { name: 'snappy (npm snappy, copyOutputData: ours)', unitsPerOp: plain.length, fn: () => (sink ^= compress('snappy', plain).length) },
      { name: 'snappy (npm snappy, external buffer)', unitsPerOp: plain.length, fn: () => (sink ^= snappyCompress(plain).length) },
      { name: 'snappy (snappyjs, pure JS)', unitsPerOp: plain.length, fn: () => (sink ^= snappyjs.compress(plain).length) },
      { name: 'lz4 frame (lz4-napi, napi-rs)', unitsPerOp: plain.length, fn: () => (sink ^= compress('lz4', plain).length) },
      { name: 'lz4 frame (node-lz4)', unitsPerOp: plain.length, fn: () => (sink ^= nodeLz4.encode(plain).length) },
      { name: 'zstd (zstd-napi, level 3)', unitsPerOp: plain.length, fn: () => (sink ^= compress('zstd', plain).length) },
    ],
  });

    await compare('decompress one records section (uncompressed bytes/s)', {
    unit: 'bytes',
    baseline: copy,
    tasks: [
      { name: 'gzip (node:zlib, maxOutputLength)', unitsPerOp: plain.length, fn: () => (sink ^= decompress('gzip', packed.gzip, { maxBytes: 1 << 20 }).length) },
      { name: 'snappy (npm snappy, copyOutputData: ours)', unitsPerOp: plain.length, fn: () => (sink ^= decompress('snappy', packed.snappy, { maxBytes: 1 << 20 }).length) },
      { name: 'snappy (npm snappy, external buffer)', unitsPerOp: plain.length, fn: () => (sink ^= (snappyUncompress(packed.snappy, { asBuffer: true }) as Buffer).length) },
      { name: 'snappy (snappyjs, pure JS)', unitsPerOp: plain.length, fn: () => (sink ^= snappyjs.uncompress(packed.snappyjs).length) },
      { name: 'lz4 (lz4-napi decompressFrameSync)', unitsPerOp: plain.length, fn: () => (sink ^= decompressFrameSync(packed.lz4).length) },
      { name: 'lz4 (ours: capped JS block decoder)', unitsPerOp: plain.length, fn: () => (sink ^= decompress('lz4', packed.lz4, { maxBytes: 1 << 20 }).length) },
      { name: 'lz4 (node-lz4)', unitsPerOp: plain.length, fn: () => (sink ^= nodeLz4.decode(packed.nodeLz4).length) },
      { name: 'zstd (zstd-napi, declared size)', unitsPerOp: plain.length, fn: () => (sink ^= decompress('zstd', packed.zstd, { maxBytes: 1 << 20 }).length) },
    ],
  });

  const batches = {
    gzip: encodeRecordBatch(input, { compression: 'gzip' }),
    snappy: encodeRecordBatch(input, { compression: 'snappy' }),
    lz4: encodeRecordBatch(input, { compression: 'lz4' }),
    zstd: encodeRecordBatch(input, { compression: 'zstd' }),
  };
  const cap = { maxDecompressedBytes: 1024 * 1024 + 12 };
  await compare(`broker validation of one ${RECORDS}-record batch (records/s)`, {
    unit: 'records',
    baseline: {
      name: 'CRC-32C of the uncompressed batch',
      unitsPerOp: RECORDS,
      fn: () => (sink ^= native.crc32c(plainBatch.subarray(21))),
    },
    tasks: Object.entries(batches).map(([name, batch]) => ({
      name: `validateCompressedBatch ${name}`,
      unitsPerOp: RECORDS,
      fn: () => (sink ^= validateCompressedBatch(batch, cap).recordCount),
    })),
  });
  if (sink === 0.5) console.log(sink);
}

await main();
