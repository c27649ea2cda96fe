/**
 * The codecs of src/records/compression/: known vectors written by the reference tools
 * (gzip from Python's zlib, lz4 and zstd from their CLIs, snappy and xerial framing built by
 * hand from the format descriptions), round trips of random data with fast-check, what other
 * Kafka clients' codec packages write (kafkajs-snappy, kafkajs-lz4), zip bombs refused at the
 * cap, corrupt input refused, and codec ids Kafka does not define.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { compressFrameSync } from 'lz4-napi';
import { compress, compressSnappyXerial, decompress, codecId } from '../../src/records/compression/index.js';
import { decodeLz4Blocks, readLz4Frames } from '../../src/records/compression/lz4-frame.js';
import { isXerialFramed, XERIAL_MAGIC } from '../../src/records/compression/xerial.js';
import { SkeinError } from '../../src/errors.js';

const require = createRequire(import.meta.url);
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const HELLO = Buffer.from('hello, kafka\n');
const ABCD = Buffer.from('abcd'.repeat(64));

function throwsCode(fn: () => unknown, code: string, what = ''): SkeinError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `${what}: expected a SkeinError, got ${String(err)}`);
    assert.is((err as SkeinError).code, code, `${what}: ${(err as Error).message}`);
    return err as SkeinError;
  }
  assert.unreachable(`${what}: expected ${code}`);
  throw new Error('unreachable');
}

test('gzip: a member written by Python (zlib, mtime 0) decodes', () => {
  assert.equal(decompress('gzip', hex('1f8b0800000000000203cb48cdc9c9d751c84e4ccb4ee40200da2a43980d000000')), HELLO);
  // Two members back to back read as one stream, as zlib and Java's GZIPInputStream do.
  assert.equal(decompress(1, Buffer.concat([gzipSync('ab'), gzipSync('cd')])).toString(), 'abcd');
});

test('gzip: inflated in one chunk sized from the trailer, which is not trusted', () => {
  const text = Buffer.from('order:42,user:7,status:shipped;'.repeat(7000));
  const member = gzipSync(text);
  const out = decompress('gzip', member);
  assert.ok(out.equals(text));
  assert.ok(out.buffer.byteLength - out.byteLength <= 4096, 'no large unused tail kept alive');
  // A trailer that understates, overstates or wildly overstates the length (ISIZE is not in
  // the CRC's reach: zlib checks it and refuses a mismatch, so these fail the same way as
  // before, and no huge chunk is allocated on its word).
  for (const isize of [10, text.length * 2, 0xffffffff]) {
    const lying = Buffer.from(member);
    lying.writeUInt32LE(isize >>> 0, lying.length - 4);
    throwsCode(() => decompress('gzip', lying), 'SKEIN_CORRUPT_MESSAGE', `ISIZE ${isize}`);
  }
  // Several members: the last one's trailer names only its own length; all are read.
  const two = Buffer.concat([gzipSync(text), gzipSync('tail')]);
  assert.ok(decompress('gzip', two).equals(Buffer.concat([text, Buffer.from('tail')])));
  const longFirst = Buffer.concat([gzipSync('head'), member]);
  assert.ok(decompress('gzip', longFirst).equals(Buffer.concat([Buffer.from('head'), text])));
});

test('snappy: raw blocks built from the format description (literal, 1-byte-offset copy)', () => {
  // varint length 5, literal tag (5-1)<<2, "hello"
  assert.equal(decompress('snappy', hex('05 10 68656c6c6f')).toString(), 'hello');
  // length 10, literal "a", copy length 9 offset 1: tag ((9-4)<<2)|1, offset byte 1
  assert.equal(decompress('snappy', hex('0a 00 61 15 01')).toString(), 'a'.repeat(10));
});

test('snappy: xerial framing (Java client, kafka-python) is read; our writer matches its layout', () => {
  const framed = Buffer.concat([
    XERIAL_MAGIC,
    hex('00000001 00000001'),
    hex('00000007 0510 68656c6c6f'),
    hex('00000005 0a 00 61 15 01'),
  ]);
  assert.ok(isXerialFramed(framed));
  assert.equal(decompress('snappy', framed).toString(), 'hello' + 'a'.repeat(10));

  const data = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 251));
  const written = compressSnappyXerial(data);
  assert.equal(written.subarray(0, 16), Buffer.concat([XERIAL_MAGIC, hex('00000001 00000001')]));
  // 100000 bytes in 32 KiB blocks: 4 length-prefixed blocks follow the header.
  let pos = 16;
  let blocks = 0;
  while (pos < written.length) {
    pos += 4 + written.readInt32BE(pos);
    blocks++;
  }
  assert.is(pos, written.length);
  assert.is(blocks, 4);
  assert.equal(decompress('snappy', written), data);
  // Our default writer sends a raw block, as librdkafka does.
  assert.not.ok(isXerialFramed(compress('snappy', data)));

  throwsCode(() => decompress('snappy', Buffer.concat([framed, hex('000000ff 00')])), 'SKEIN_CORRUPT_MESSAGE', 'block past the end');
});

test('lz4: frames written by the lz4 CLI (stored block, linked blocks + content size, block checksums) decode', () => {
  assert.equal(decompress('lz4', hex('04224d186440a70d00008068656c6c6f2c206b61666b610a0000000029fa0429')), HELLO);
  const linked = hex('04224d186c400001000000000000db0e0000004f616263640400e450646162636400000000a416db1b');
  const checksummed = hex('04224d187c400001000000000000f20e0000004f616263640400e4506461626364e0e6700900000000a416db1b');
  for (const frame of [linked, checksummed]) {
    assert.equal(decompress('lz4', frame), ABCD);
    // Our capped decoder (used when the frame's bound passes the cap) gives the same bytes.
    assert.equal(decodeLz4Blocks(frame, readLz4Frames(frame), 1 << 20), ABCD);
  }
});

test('zstd: frames written by the zstd CLI (raw block + checksum, compressed) and hand-built RLE decode', () => {
  assert.equal(decompress('zstd', hex('28b52ffd045869000068656c6c6f2c206b61666b610a5b96dd6d')), HELLO);
  assert.equal(decompress('zstd', hex('28b52ffd6000005d000020616263640100f9294704')), ABCD);
  // Single-segment frame, content size 10, one last RLE block of 10 × 'a'.
  assert.equal(decompress('zstd', hex('28b52ffd 20 0a 530000 61')).toString(), 'a'.repeat(10));
});

test('property: every codec round-trips random bytes; our lz4 decoder reads node-lz4 frames too', () => {
  const nodeLz4 = require('lz4') as { encode(b: Buffer): Buffer };
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 5000 }),
    // Compressible: a few symbols repeated.
    fc.array(fc.constantFrom(0, 1, 97, 98, 255), { maxLength: 20000 }).map((a) => Uint8Array.from(a)),
  );
  fc.assert(
    fc.property(bytes, fc.constantFrom('gzip', 'snappy', 'lz4', 'zstd'), (data, codec) => {
      const packed = compress(codec, data);
      assert.equal(new Uint8Array(decompress(codec, packed)), data);
      if (codec === 'snappy') assert.equal(new Uint8Array(decompress('snappy', compressSnappyXerial(data, 1000))), data);
      if (codec === 'lz4') {
        assert.equal(new Uint8Array(decodeLz4Blocks(packed, readLz4Frames(packed), data.length)), data);
        // An independent encoder (kafkajs-lz4's), checksums on: read by the same decoder.
        if (data.length > 0) assert.equal(new Uint8Array(decompress('lz4', nodeLz4.encode(Buffer.from(data)))), data);
      }
    }),
    { numRuns: 300 },
  );
});

test('interop: what kafkajs-snappy (snappyjs) and kafkajs-lz4 (node lz4) write decodes, and they read ours', async () => {
  const data = Buffer.from(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ i, name: `record-${i}` }))));
  const snappyCodec = require('kafkajs-snappy')();
  const theirSnappy: Buffer = await snappyCodec.compress({ buffer: data });
  assert.equal(decompress('snappy', theirSnappy), data);
  assert.equal(await snappyCodec.decompress(compress('snappy', data)), data);
  assert.equal(await snappyCodec.decompress(compressSnappyXerial(data)), data);

  const Lz4Codec = require('kafkajs-lz4');
  const lz4Codec = new Lz4Codec().codec();
  const theirLz4: Buffer = await lz4Codec.compress({ buffer: data });
  assert.equal(decompress('lz4', theirLz4), data);
  assert.equal(decodeLz4Blocks(theirLz4, readLz4Frames(theirLz4), data.length), data);
  assert.equal(await lz4Codec.decompress(compress('lz4', data)), data);
});

/** An LZ4 frame of `blocks` blocks (4 MiB maximum each), each a 1-byte literal and one long match. */
function lz4Bomb(blocks: number, matchBytesPerBlock: number): Buffer {
  // Match length 15 + 4 + Σ extension bytes: 255s then a remainder.
  const extra = matchBytesPerBlock - 19;
  const ext = [...Array(Math.floor(extra / 255)).fill(255), extra % 255];
  const block = Buffer.from([0x1f, 0x00, 0x01, 0x00, ...ext, 0x00]); // token, literal 0, offset 1, lengths, final empty literal run
  const parts = [hex('04224d18 60 70 73')]; // FLG: independent blocks; BD: 4 MiB; header checksum
  for (let i = 0; i < blocks; i++) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(block.length);
    parts.push(size, block);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** A zstd frame with no content size: `blocks` RLE blocks of 128 KiB zeros. */
function zstdRleBomb(blocks: number): Buffer {
  const parts = [hex('28b52ffd 00 38')]; // no single segment, no content size; window 128 KiB
  for (let i = 0; i < blocks; i++) {
    const header = (128 * 1024) * 8 + (1 << 1) + (i === blocks - 1 ? 1 : 0); // size << 3 | RLE << 1 | last
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x00]));
  }
  return Buffer.concat(parts);
}

test('zip bombs are refused at the cap (SKEIN_MESSAGE_TOO_LARGE) without inflating the whole', () => {
  const cap = 1 << 20;
  const zeros = Buffer.alloc(64 << 20);
  const gzipBomb = gzipSync(zeros);
  assert.ok(gzipBomb.length < 100_000);
  throwsCode(() => decompress('gzip', gzipBomb, { maxBytes: cap }), 'SKEIN_MESSAGE_TOO_LARGE', 'gzip');

  // snappy declares its length up front: refused before anything is inflated.
  throwsCode(() => decompress('snappy', compress('snappy', zeros.subarray(0, 8 << 20)), { maxBytes: cap }), 'SKEIN_MESSAGE_TOO_LARGE', 'snappy raw');
  throwsCode(() => decompress('snappy', compressSnappyXerial(zeros.subarray(0, 8 << 20)), { maxBytes: cap }), 'SKEIN_MESSAGE_TOO_LARGE', 'snappy xerial');

  // lz4: 16 blocks of 4 MiB from ~256 KiB of input; the capped decoder stops at 1 MiB.
  const bomb = lz4Bomb(16, (4 << 20) - 1);
  assert.ok(bomb.length < 300_000);
  assert.is(readLz4Frames(bomb).bound, 16 * (4 << 20));
  assert.is(decodeLz4Blocks(bomb, readLz4Frames(bomb), 64 << 20).length, 64 << 20, 'the bomb is real: it inflates to 64 MiB');
  throwsCode(() => decompress('lz4', bomb, { maxBytes: cap }), 'SKEIN_MESSAGE_TOO_LARGE', 'lz4');
  // A frame whose bound passes the cap but whose content fits is decoded, not refused.
  const small = lz4Bomb(1, 1000);
  assert.equal(decompress('lz4', small, { maxBytes: 2000 }), Buffer.alloc(1001));
  // A block may not decode to more than the frame's block maximum.
  throwsCode(() => decompress('lz4', lz4Bomb(1, 4 << 20)), 'SKEIN_CORRUPT_MESSAGE', 'lz4 block over its maximum');
  throwsCode(() => decompress('lz4', compressFrameSync(zeros.subarray(0, 4 << 20)), { maxBytes: cap }), 'SKEIN_MESSAGE_TOO_LARGE', 'lz4 from lz4-napi');

  // zstd: declared content size checked first; without one, the streaming decoder stops.
  throwsCode(() => decompress('zstd', compress('zstd', zeros), { maxBytes: cap }), 'SKEIN_MESSAGE_TOO_LARGE', 'zstd declared');
  const rle = zstdRleBomb(512); // 64 MiB from 2 KiB
  assert.is(decompress('zstd', zstdRleBomb(4)).length, 512 * 1024);
  throwsCode(() => decompress('zstd', rle, { maxBytes: cap }), 'SKEIN_MESSAGE_TOO_LARGE', 'zstd streamed');
  // Exactly at the cap is allowed.
  assert.is(decompress('zstd', zstdRleBomb(8), { maxBytes: cap }).length, cap);
  assert.is(decompress('gzip', gzipSync(zeros.subarray(0, cap)), { maxBytes: cap }).length, cap);
});

test('corrupt input → SKEIN_CORRUPT_MESSAGE for every codec, including truncation and flipped bytes', () => {
  const data = Buffer.from('the quick brown fox jumps over the lazy dog '.repeat(200));
  for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
    const packed = compress(codec, data);
    throwsCode(() => decompress(codec, packed.subarray(0, Math.floor(packed.length / 2))), 'SKEIN_CORRUPT_MESSAGE', `${codec} truncated`);
    throwsCode(() => decompress(codec, Buffer.alloc(0)), 'SKEIN_CORRUPT_MESSAGE', `${codec} empty`);
    throwsCode(() => decompress(codec, Buffer.from('not compressed at all, just text')), 'SKEIN_CORRUPT_MESSAGE', `${codec} plain text`);
  }
  // Garbage must never crash the process or hang, whatever it decodes to.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom('gzip', 'snappy', 'lz4', 'zstd'), (junk, codec) => {
      try {
        decompress(codec, junk, { maxBytes: 1 << 16 });
      } catch (err) {
        assert.ok(err instanceof SkeinError && ['SKEIN_CORRUPT_MESSAGE', 'SKEIN_MESSAGE_TOO_LARGE'].includes(err.code), String(err));
      }
    }),
    { numRuns: 500 },
  );
});

test('headers that lie about the decompressed size: SKEIN_CORRUPT_MESSAGE, no giant allocation, even without a cap', () => {
  // snappy: a 4 GiB length varint over a 6-byte literal.
  throwsCode(() => decompress('snappy', hex('ffffffff0f 10 68656c6c6f')), 'SKEIN_CORRUPT_MESSAGE', 'snappy raw');
  const xerial = Buffer.concat([XERIAL_MAGIC, hex('00000001 00000001'), hex('0000000a ffffffff0f 10 68656c6c6f')]);
  throwsCode(() => decompress('snappy', xerial), 'SKEIN_CORRUPT_MESSAGE', 'snappy xerial');
  // zstd: single segment, 8-byte content size 2^40, one last raw block "hello".
  throwsCode(() => decompress('zstd', hex('28b52ffd e0 0000000000010000 290000 68656c6c6f')), 'SKEIN_CORRUPT_MESSAGE', 'zstd');
  // lz4: content size 2^40, one stored block "hello".
  throwsCode(() => decompress('lz4', hex('04224d18 68 40 0000000000010000 00 05000080 68656c6c6f 00000000')), 'SKEIN_CORRUPT_MESSAGE', 'lz4');
});

test('codec ids and names: 5-7 are SKEIN_UNSUPPORTED_COMPRESSION, anything else SKEIN_INVALID_ARGUMENT', () => {
  for (const id of [5, 6, 7]) {
    throwsCode(() => decompress(id, Buffer.from('x')), 'SKEIN_UNSUPPORTED_COMPRESSION', `id ${id}`);
    throwsCode(() => compress(id, Buffer.from('x')), 'SKEIN_UNSUPPORTED_COMPRESSION', `id ${id}`);
  }
  for (const bad of [8, -1, 1.5, 'brotli', 'none', 0]) throwsCode(() => compress(bad, Buffer.from('x')), 'SKEIN_INVALID_ARGUMENT', String(bad));
  throwsCode(() => compress('gzip', 'text' as never), 'SKEIN_INVALID_ARGUMENT', 'a string');
  throwsCode(() => decompress('gzip', Buffer.from('x'), { maxBytes: -1 }), 'SKEIN_INVALID_ARGUMENT', 'maxBytes');
  assert.equal([codecId('GZIP'), codecId('snappy'), codecId('lz4'), codecId(4)], [1, 2, 3, 4]);
});

test.run();
