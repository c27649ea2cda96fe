/**
 * src/protocol/peer/response-reader.ts: frames come out whole and in order whatever sizes the
 * socket's reads have (random cuts, frames far larger than the scratch buffer), over a real
 * loopback socket reading through Node's onread; a frame lent from the reusable buffer is not
 * overwritten before release() (a second large frame gets its own buffer), and is reused
 * after; oversize and negative sizes are coded errors.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { connect, createServer, type AddressInfo } from 'node:net';
import { SkeinError } from '../../../src/errors.js';
import { ResponseReader } from '../../../src/protocol/peer/response-reader.js';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

function pattern(length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Plays `stream` into the reader as reads of the given sizes (each capped by the buffer offered); copies of the frames. */
function play(reader: ResponseReader, stream: Buffer, readSizes: number[], release = true): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  let i = 0;
  while (pos < stream.length) {
    const into = reader.nextBuffer();
    const n = Math.max(1, Math.min(into.length, stream.length - pos, readSizes.length ? readSizes[i++ % readSizes.length]! : into.length));
    into.set(stream.subarray(pos, pos + n));
    pos += n;
    for (const f of reader.onRead(n, into)) {
      out.push(Buffer.from(f));
      if (release) reader.release();
    }
  }
  return out;
}

test('random payloads cut at random read sizes give the same frames', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.nat({ max: 300 }), fc.integer({ min: 60_000, max: 300_000 })), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 200_000 }), { maxLength: 10 }),
      (sizes, reads) => {
        const payloads = sizes.map((n, i) => pattern(n, i));
        const frames = play(new ResponseReader(), Buffer.concat(payloads.map(frame)), reads);
        assert.equal(frames.length, payloads.length);
        frames.forEach((f, i) => assert.ok(f.equals(payloads[i]!), `frame ${i} of ${sizes.length}`));
      },
    ),
    { numRuns: 60 },
  );
});

test('a lent frame is not overwritten before release; after release the buffer is reused', () => {
  const reader = new ResponseReader();
  const a = pattern(200_000, 1);
  const b = pattern(150_000, 2);
  const c = pattern(100_000, 3);
  const got: Buffer[] = [];
  const feed = (payload: Buffer) => {
    const stream = frame(payload);
    let pos = 0;
    while (pos < stream.length) {
      const into = reader.nextBuffer();
      const n = Math.min(into.length, stream.length - pos);
      into.set(stream.subarray(pos, pos + n));
      pos += n;
      got.push(...reader.onRead(n, into));
    }
  };
  feed(a);
  feed(b); // a is still lent: b must not land on it
  assert.ok(got[0]!.equals(a), 'the lent frame kept its bytes');
  assert.ok(got[1]!.equals(b));
  assert.is.not(got[0]!.buffer, got[1]!.buffer);
  reader.release();
  feed(c);
  assert.ok(got[2]!.equals(c));
  assert.is(got[2]!.buffer, got[0]!.buffer, 'the released buffer is read into again');
});

test('oversize and negative sizes are SKEIN_INVALID_REQUEST, and the reader stays failed', () => {
  for (const size of [-1, 1025]) {
    const reader = new ResponseReader({ maxFrameBytes: 1024 });
    const into = reader.nextBuffer();
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(size);
    into.set(prefix);
    try {
      reader.onRead(4, into);
      assert.unreachable('accepted a bad size');
    } catch (err) {
      assert.instance(err, SkeinError);
      assert.is((err as SkeinError).code, 'SKEIN_INVALID_REQUEST');
    }
    assert.throws(() => reader.onRead(0, reader.nextBuffer()), (e: unknown) => e instanceof SkeinError && e.code === 'SKEIN_INVALID_REQUEST');
  }
});

test('over a real socket reading through onread: small and multi-megabyte frames arrive whole', async () => {
  const payloads = [pattern(10, 1), pattern(3 * 1024 * 1024 + 7, 2), pattern(0, 3), pattern(70_000, 4), pattern(5, 5)];
  const server = createServer((s) => {
    // Two writes that split frames mid-way, then the rest.
    const stream = Buffer.concat(payloads.map(frame));
    s.write(stream.subarray(0, 13));
    s.end(stream.subarray(13));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const reader = new ResponseReader();
    const frames: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), 10_000);
      const socket = connect({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        onread: {
          buffer: () => reader.nextBuffer(),
          callback: (n, buf) => {
            for (const f of reader.onRead(n, buf)) {
              frames.push(Buffer.from(f));
              reader.release();
            }
            return true;
          },
        },
      });
      socket.on('error', reject);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    assert.equal(frames.length, payloads.length);
    frames.forEach((f, i) => assert.ok(f.equals(payloads[i]!), `frame ${i}`));
  } finally {
    server.close();
  }
});

test.run();
