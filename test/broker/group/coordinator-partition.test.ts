/**
 * A group's __consumer_offsets partition is Kafka's: Utils.abs(groupId.hashCode()) % N, with
 * Java's String.hashCode over UTF-16 code units and Utils.abs mapping Integer.MIN_VALUE to 0.
 * Expected hashes are Java's (the two MIN_VALUE strings are well-known Java curiosities), and
 * are checked again against an independent BigInt evaluation of the polynomial.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { coordinatorPartition, javaStringHashCode, kafkaAbs } from '../../../src/broker/group/coordinator-partition.js';

/** s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, reduced to a signed 32-bit int. */
function polynomial(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) % 2n ** 32n;
  return Number(BigInt.asIntN(32, h));
}

const JAVA_HASHES: Array<[string, number]> = [
  ['', 0],
  ['a', 97],
  ['hello', 99162322],
  ['é', 233],
  ['日本', 26085 * 31 + 26412],
  // One code point outside the BMP: Java hashes its two surrogates, 0xD83D then 0xDE00.
  ['😀', 0xd83d * 31 + 0xde00],
  ['Grüße-gruppe', 244589393],
  ['consumer-group', -1738392088],
  ['polygenelubricants', -2147483648],
  ['GydZG_', -2147483648],
];

test('String.hashCode as Java computes it, non-ASCII and surrogate pairs included', () => {
  for (const [s, hash] of JAVA_HASHES) {
    assert.is(javaStringHashCode(s), hash, JSON.stringify(s));
    assert.is(polynomial(s), hash, `independent check of ${JSON.stringify(s)}`);
  }
});

test('Utils.abs: Integer.MIN_VALUE goes to partition 0; other negatives are negated, not masked', () => {
  assert.is(kafkaAbs(-2147483648), 0);
  assert.is(coordinatorPartition('polygenelubricants', 50), 0);
  assert.is(coordinatorPartition('GydZG_', 50), 0);
  // Math.abs(-1738392088) % 50 = 38; masking with 0x7fffffff (Utils.toPositive) would give 10.
  assert.is(coordinatorPartition('consumer-group', 50), 38);
  assert.is(coordinatorPartition('analytics', 50), 10);
  assert.is(coordinatorPartition('hello', 50), 99162322 % 50);
});

test('always a partition in range, equal to the polynomial for any string', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 1000 }), (s, n) => {
      const p = coordinatorPartition(s, n);
      const h = polynomial(s);
      return p >= 0 && p < n && p === (h === -2147483648 ? 0 : Math.abs(h)) % n;
    }),
  );
});

test.run();
