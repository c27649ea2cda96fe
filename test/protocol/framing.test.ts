/**
 * src/protocol/framing.ts: a stream of frames cut at every possible byte boundary (and at
 * random sets of boundaries) yields the same frames (undici's split-data idea); frames
 * inside one chunk are views of it; oversize and negative sizes are coded errors; an
 * outgoing frame's size prefix covers exactly what follows.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { SkeinError } from '../../src/errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder, encodeFrame } from '../../src/protocol/framing.js';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

const PAYLOADS = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(300, 7), Buffer.from([0, 0, 0, 4])];
const STREAM = Buffer.concat(PAYLOADS.map(frame));

function decodeChunks(chunks: Buffer[], decoder = new FrameDecoder()): Buffer[] {
  return chunks.flatMap((c) => decoder.push(c));
}

test('one cut at every byte position gives the same frames', () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    const frames = decodeChunks([STREAM.subarray(0, cut), STREAM.subarray(cut)]);
    assert.equal(frames.map((f) => f.toString('hex')), PAYLOADS.map((p) => p.toString('hex')), `cut at ${cut}`);
  }
});

test('byte by byte, and any random cuts, give the same frames and leave nothing buffered', () => {
  const decoder = new FrameDecoder();
  const frames = decodeChunks([...STREAM].map((b) => Buffer.from([b])), decoder);
  assert.equal(frames, PAYLOADS);
  assert.is(decoder.bufferedBytes, 0);
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (payloads, cuts) => {
      const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
      const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
      const chunks: Buffer[] = [];
      let from = 0;
      for (const p of [...points, stream.length]) {
        chunks.push(stream.subarray(from, p));
        from = p;
      }
      const d = new FrameDecoder();
      assert.equal(decodeChunks(chunks, d), payloads.map((p) => Buffer.from(p)));
      assert.is(d.bufferedBytes, 0);
    }),
    { numRuns: 500 },
  );
});

test('frames inside one chunk are views of it; split frames are joined once', () => {
  const decoder = new FrameDecoder();
  const frames = decoder.push(STREAM);
  assert.is(frames.length, PAYLOADS.length);
  for (const f of frames) assert.is(f.buffer, STREAM.buffer, 'a view, not a copy');
  const split = decoder.push(STREAM.subarray(0, 6));
  assert.equal(split, []);
  assert.is(decoder.bufferedBytes, 2);
  const [hello] = decoder.push(STREAM.subarray(6, 9));
  assert.is(hello!.toString(), 'hello');
  assert.is.not(hello!.buffer, STREAM.buffer);
});

function refused(fn: () => unknown, frameSize: number, maxFrameBytes: number): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError);
    assert.is((err as SkeinError).code, 'SKEIN_INVALID_REQUEST');
    assert.is((err as SkeinError).frameSize, frameSize);
    assert.is((err as SkeinError).maxFrameBytes, maxFrameBytes);
    return;
  }
  assert.unreachable('accepted');
}

test('a size above the maximum or below zero is a coded error, even before the body arrives', () => {
  assert.is(new FrameDecoder().maxFrameBytes, DEFAULT_MAX_FRAME_BYTES);
  assert.is(DEFAULT_MAX_FRAME_BYTES, 100 * 1024 * 1024);
  const decoder = new FrameDecoder({ maxFrameBytes: 10 });
  assert.equal(decoder.push(frame(Buffer.alloc(10))), [Buffer.alloc(10)]);
  refused(() => decoder.push(Buffer.from([0, 0, 0, 11])), 11, 10);
  assert.throws(() => decoder.push(frame(Buffer.alloc(1))), (e: SkeinError) => e.code === 'SKEIN_INVALID_REQUEST', 'unusable after');
  const split = new FrameDecoder({ maxFrameBytes: 10 });
  split.push(Buffer.from([0, 0]));
  refused(() => split.push(Buffer.from([1, 0])), 256, 10);
  refused(() => new FrameDecoder().push(Buffer.from([0xff, 0xff, 0xff, 0xfe])), -2, DEFAULT_MAX_FRAME_BYTES);
  refused(() => new FrameDecoder().push(Buffer.from([0x06, 0x40, 0x00, 0x01])), 0x06400001, DEFAULT_MAX_FRAME_BYTES);
  assert.throws(() => new FrameDecoder({ maxFrameBytes: -1 }), (e: SkeinError) => e.code === 'SKEIN_INVALID_ARGUMENT');
});

test('encodeFrame prefixes what was written with its size, and round-trips through the decoder', () => {
  const records = Buffer.alloc(1000, 3);
  const chunks = encodeFrame((w) => {
    w.writeInt32(42);
    w.writeRecords(records);
  });
  assert.ok(chunks.includes(records), 'the record set is a chunk of its own');
  const wire = Buffer.concat(chunks);
  assert.is(wire.readInt32BE(0), wire.length - 4);
  const [payload] = new FrameDecoder().push(wire);
  assert.is(payload!.readInt32BE(0), 42);
  assert.is(payload!.length, 4 + 4 + 1000);
});

test.run();
