/**
 * bufferView: the same bytes and memory as subarray, as a real Buffer (prototype
 * Buffer.prototype, Buffer.isBuffer, node:assert's deepStrictEqual against Buffer.from), for
 * views of a pooled Buffer, of a Buffer at an offset in its ArrayBuffer, and empty ones.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { deepStrictEqual } from 'node:assert';
import { bufferView } from '../../src/records/buffer-view.js';

test('views are real Buffers over the same memory as subarray', () => {
  const pooled = Buffer.from('hello, pooled world'); // small: a slice of Node's pool, byteOffset > 0 likely
  const big = Buffer.alloc(100_000, 7);
  const inner = big.subarray(1000, 2000);
  for (const [buf, start, length] of [
    [pooled, 7, 6],
    [pooled, 0, 0],
    [big, 99_990, 10],
    [inner, 10, 20],
  ] as const) {
    const view = bufferView(buf, start, length);
    assert.ok(Buffer.isBuffer(view));
    assert.is(Object.getPrototypeOf(view), Buffer.prototype);
    assert.is(view.constructor, Buffer);
    assert.is(view.length, length);
    assert.is(view.buffer, buf.buffer, 'same memory');
    assert.is(view.byteOffset, buf.byteOffset + start);
    deepStrictEqual(view, Buffer.from(buf.subarray(start, start + length)));
    assert.is(view.toString('hex'), buf.subarray(start, start + length).toString('hex'));
  }
  // Writes through the view reach the source (it is a view, not a copy).
  const view = bufferView(inner, 0, 4);
  view.fill(9);
  assert.is(big[1000], 9);
});

test.run();
