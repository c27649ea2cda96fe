/**
 * MurmurHash2, 32-bit, exactly as Kafka's Java client computes it (Utils.murmur2): seed
 * 0x9747b28c, m 0x5bd1e995, r 24, little-endian 4-byte blocks, tail bytes xored in, then the
 * final mix. Math.imul keeps the 32-bit multiplications exact. Used by the default
 * partitioner so that keys land on the partitions a Java producer would choose.
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** `length`: hash only the first `length` bytes of `data` (a scratch buffer). Default: all. */
export function murmur2(data: Uint8Array, length: number = data.length): number {
  let h = SEED ^ length;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const at = i * 4;
    let k = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const tail = blocks * 4;
  // Java's switch falls through from the highest remaining byte down.
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}
