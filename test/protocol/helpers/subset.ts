/**
 * Deep "contains" for the kafkajs oracle tests: every key of `expected` must be in
 * `actual` with an equal value (recursively; arrays element by element and of the same
 * length; Buffers by content). Keys of `actual` that `expected` does not name are ignored.
 */
import * as assert from 'uvu/assert';

export function assertSubset(actual: unknown, expected: unknown, path: string): void {
  if (Buffer.isBuffer(expected) || expected instanceof Uint8Array) {
    assert.ok(actual instanceof Uint8Array, `${path}: expected bytes, got ${String(actual)}`);
    assert.is(Buffer.from(actual as Uint8Array).toString('hex'), Buffer.from(expected).toString('hex'), path);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    const list = actual as unknown[];
    assert.is(list.length, expected.length, `${path}: length`);
    expected.forEach((item, i) => assertSubset(list[i], item, `${path}[${i}]`));
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    assert.ok(actual !== null && typeof actual === 'object', `${path}: expected an object, got ${String(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      assertSubset((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return;
  }
  assert.is(actual, expected, path);
}
