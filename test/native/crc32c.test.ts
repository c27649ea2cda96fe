/**
 * native/crc32c*.cc through the addon: known answers (RFC 3720 iSCSI vectors, the "123456789"
 * check value), an independent bitwise JS reference and the kafkajs implementation as oracles,
 * the hardware path against the table path on every length 0..4096 at random unaligned
 * subarray offsets, chaining through `initial`, and big buffers that cross every stride of
 * the 3-way interleave.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { randomBytes, randomInt } from 'node:crypto';
import { native } from '../../src/native/binding.js';
import { caught } from './helpers.js';

const require = createRequire(import.meta.url);
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (buf: Buffer) => number;

/** CRC-32C one bit at a time, straight from the definition (reflected polynomial 0x82F63B78). */
function bitwiseCrc32c(buf: Uint8Array, initial = 0): number {
  let crc = ~initial >>> 0;
  for (const byte of buf) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

const both = [
  ['crc32c', (b: Uint8Array, i?: number) => native.crc32c(b, i)],
  ['crc32cTable', (b: Uint8Array, i?: number) => native.crc32cTable(b, i)],
] as const;

test('the implementation matches this CPU', () => {
  const flags = readFileSync('/proc/cpuinfo', 'utf8');
  if (process.arch === 'x64') {
    assert.is(native.crc32cImplementation, /\bsse4_2\b/.test(flags) ? 'sse42' : 'table');
  } else if (process.arch === 'arm64') {
    assert.is(native.crc32cImplementation, /\bcrc32\b/.test(flags) ? 'armv8' : 'table');
  } else {
    assert.is(native.crc32cImplementation, 'table');
  }
});

test('known answers (RFC 3720 B.4 and the check value)', () => {
  const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
  const descending = Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i));
  for (const [name, crc] of both) {
    assert.is(crc(Buffer.from('123456789')), 0xe3069283, `${name} 123456789`);
    assert.is(crc(Buffer.alloc(0)), 0, `${name} empty`);
    assert.is(crc(Buffer.alloc(32, 0)), 0x8a9136aa, `${name} 32 zeros`);
    assert.is(crc(Buffer.alloc(32, 0xff)), 0x62a8ab43, `${name} 32 0xFF`);
    assert.is(crc(ascending), 0x46dd794e, `${name} 0..31`);
    assert.is(crc(descending), 0x113fdb5c, `${name} 31..0`);
  }
});

test('results are unsigned 32-bit numbers', () => {
  for (let i = 0; i < 200; i++) {
    const value = native.crc32c(randomBytes(randomInt(0, 64)));
    assert.ok(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, String(value));
  }
});

test('agrees with a bitwise reference and with kafkajs', () => {
  for (let length = 0; length <= 300; length++) {
    const buf = randomBytes(length);
    const expected = bitwiseCrc32c(buf);
    assert.is(native.crc32c(buf), expected, `crc32c length ${length}`);
    assert.is(native.crc32cTable(buf), expected, `crc32cTable length ${length}`);
    assert.is(kafkajsCrc32C(buf) >>> 0, expected, `kafkajs length ${length}`);
  }
  const big = randomBytes(100_000);
  assert.is(native.crc32c(big), bitwiseCrc32c(big));
});

test('hardware and table agree on every length 0..4096 at unaligned subarray offsets', () => {
  const pool = randomBytes(4096 + 64);
  for (let length = 0; length <= 4096; length++) {
    const offset = randomInt(0, 64);
    const view = pool.subarray(offset, offset + length);
    const initial = randomInt(0, 2 ** 32);
    const hardware = native.crc32c(view, initial);
    assert.is(hardware, native.crc32cTable(view, initial), `length ${length} offset ${offset}`);
    // The subarray's own byteOffset and length are used, not the whole ArrayBuffer.
    assert.is(hardware, native.crc32c(Buffer.from(view), initial), `copy, length ${length}`);
  }
});

test('a plain Uint8Array subarray of a larger ArrayBuffer', () => {
  const backing = new Uint8Array(randomBytes(1000));
  const view = backing.subarray(13, 913);
  assert.is(native.crc32c(view), bitwiseCrc32c(view));
  assert.is(native.crc32c(new Uint8ClampedArray(view.buffer, 13, 900) as unknown as Uint8Array), bitwiseCrc32c(view));
});

test('initial continues a running CRC', () => {
  for (let i = 0; i < 300; i++) {
    const a = randomBytes(randomInt(0, 2000));
    const b = randomBytes(randomInt(0, 2000));
    const whole = Buffer.concat([a, b]);
    for (const [name, crc] of both) {
      assert.is(crc(b, crc(a)), crc(whole), `${name} ${a.length}+${b.length}`);
    }
  }
  // A running CRC read back as a signed int32 (readInt32BE) works too.
  const a = Buffer.from('1234');
  const signed = native.crc32c(a) | 0;
  assert.is(native.crc32c(Buffer.from('56789'), signed), 0xe3069283);
});

test('big buffers: 1 MiB, 16 MiB + odd tail, chained across interleave strides', () => {
  const mib = randomBytes(1 << 20);
  assert.is(native.crc32c(mib), native.crc32cTable(mib));
  const big = randomBytes((16 << 20) + 13);
  const expected = native.crc32cTable(big);
  assert.is(native.crc32c(big), expected);
  // Splits around the 3 x 8192, 3 x 1024 and 3 x 128 block sizes and elsewhere.
  for (const split of [1, 383, 384, 385, 3071, 3072, 3073, 24575, 24576, 24577, 1 << 20, big.length - 1]) {
    assert.is(native.crc32c(big.subarray(split), native.crc32c(big.subarray(0, split))), expected, `split ${split}`);
  }
});

test('bad arguments are SKEIN_INVALID_ARGUMENT', async () => {
  const bad: unknown[][] = [
    [],
    ['123'],
    [123],
    [null],
    [new Float64Array(4)],
    [new Uint16Array(4)],
    [new ArrayBuffer(4)],
    [Buffer.alloc(4), 'x'],
    [Buffer.alloc(4), 1.5],
    [Buffer.alloc(4), 2 ** 32],
    [Buffer.alloc(4), -(2 ** 31) - 1],
    [Buffer.alloc(4), NaN],
  ];
  for (const args of bad) {
    for (const [name, crc] of both) {
      const err = await caught(() => (crc as (...a: unknown[]) => number)(...args));
      assert.is(err.code, 'SKEIN_INVALID_ARGUMENT', `${name}(${args.map(String).join(', ')})`);
      assert.is(err.name, 'SkeinError');
    }
  }
});

test.run();
