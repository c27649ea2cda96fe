/**
 * CRC-32C through the addon, against the baselines of the same run:
 *  - 1 MiB: native.crc32c (the hardware path: 3-way interleaved crc32), native.crc32cTable
 *    (slicing-by-8 in C++), a byte-at-a-time table CRC in JavaScript, all as ratios to
 *    Buffer.copy (memcpy) of the same 1 MiB;
 *  - 100 bytes (one small producer batch): ns per call of crc32c, crc32cTable and the JS
 *    table CRC, against native.noop() (the cost of one N-API crossing).
 * Small calls are timed 1000 per tinybench iteration so the timer's own cost (tens of ns)
 * does not swamp them. Inputs are made before timing. Run: node out/bench/crc32c.bench.js
 */
import { randomBytes } from 'node:crypto';
import { native } from '../src/native/binding.js';
import { compare, printEnvironment, QUICK, type Measured } from './harness.js';

/** The classic byte-at-a-time table CRC-32C in JavaScript: the baseline without native code. */
const JS_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function jsTableCrc32c(buf: Uint8Array, initial = 0): number {
  let crc = ~initial;
  for (let i = 0; i < buf.length; i++) crc = JS_TABLE[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const CALLS_PER_OP = 1000;
let sink = 0; // results feed a sink so no call can be optimised away

async function main(): Promise<void> {
  printEnvironment();
  console.log(`crc32cImplementation: ${native.crc32cImplementation}`);

  const big = randomBytes(1 << 20);
  const target = Buffer.allocUnsafe(big.length);
  const small = randomBytes(100);
  const expected = native.crc32cTable(big);
  if (native.crc32c(big) !== expected || jsTableCrc32c(big) !== expected) throw new Error('the CRC implementations disagree');

  const bulk = await compare('CRC-32C of 1 MiB', {
    unit: 'bytes',
    baseline: { name: 'Buffer.copy 1 MiB (memcpy)', unitsPerOp: big.length, fn: () => big.copy(target) },
    tasks: [
      { name: `native.crc32c (${native.crc32cImplementation})`, unitsPerOp: big.length, fn: () => (sink ^= native.crc32c(big)) },
      { name: 'native.crc32cTable (slicing-by-8)', unitsPerOp: big.length, fn: () => (sink ^= native.crc32cTable(big)) },
      { name: 'JS table CRC (byte at a time)', unitsPerOp: big.length, fn: () => (sink ^= jsTableCrc32c(big)) },
    ],
  });

  const perCall = await compare(`100-byte buffer, ${CALLS_PER_OP} calls per iteration`, {
    unit: 'records',
    baseline: {
      name: 'native.noop()',
      unitsPerOp: CALLS_PER_OP,
      fn: () => {
        for (let i = 0; i < CALLS_PER_OP; i++) native.noop();
      },
    },
    tasks: [
      {
        name: 'native.crc32c(100 B)',
        unitsPerOp: CALLS_PER_OP,
        fn: () => {
          for (let i = 0; i < CALLS_PER_OP; i++) sink ^= native.crc32c(small);
        },
      },
      {
        name: 'native.crc32cTable(100 B)',
        unitsPerOp: CALLS_PER_OP,
        fn: () => {
          for (let i = 0; i < CALLS_PER_OP; i++) sink ^= native.crc32cTable(small);
        },
      },
      {
        name: 'JS table CRC(100 B)',
        unitsPerOp: CALLS_PER_OP,
        fn: () => {
          for (let i = 0; i < CALLS_PER_OP; i++) sink ^= jsTableCrc32c(small);
        },
      },
    ],
  });

  const byName = (rows: Measured[], prefix: string) => rows.find((r) => r.name.startsWith(prefix))!;
  const memcpy = bulk[0]!;
  const hardware = byName(bulk, 'native.crc32c');
  console.log('\n## Summary');
  console.log(`| figure | value |`);
  console.log('| --- | ---: |');
  console.log(`| crc32c 1 MiB | ${(hardware.unitsPerSec / 1e9).toFixed(2)} GB/s (${hardware.ratio.toFixed(2)}x memcpy) |`);
  console.log(`| crc32cTable 1 MiB | ${(byName(bulk, 'native.crc32cTable').unitsPerSec / 1e9).toFixed(2)} GB/s |`);
  console.log(`| JS table CRC 1 MiB | ${(byName(bulk, 'JS table').unitsPerSec / 1e9).toFixed(3)} GB/s |`);
  console.log(`| memcpy 1 MiB | ${(memcpy.unitsPerSec / 1e9).toFixed(2)} GB/s |`);
  const ns = (row: Measured) => 1e9 / row.unitsPerSec;
  const noop = ns(perCall[0]!);
  console.log(`| native.noop() | ${noop.toFixed(1)} ns/call |`);
  for (const row of perCall.slice(1)) {
    console.log(`| ${row.name} | ${ns(row).toFixed(1)} ns/call (${(ns(row) - noop).toFixed(1)} ns over noop) |`);
  }
  if (QUICK) console.log('(quick run: figures are rough)');
  if (sink === 0.5) console.log(sink); // never true; keeps `sink` observable
}

await main();
