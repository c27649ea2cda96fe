/**
 * Record values for the compression and pool benches: 100 bytes of words and numbers from a
 * fixed seed, which compress about as well as JSON does (2-4x), the same in every run.
 */
export function wordValues(n: number): Buffer[] {
  const words = ['order', 'user', 'id', 'amount', 'status', 'shipped', 'created', 'eur', 'sku', 'qty', 'price', 'region'];
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  return Array.from({ length: n }, () => {
    let s = '';
    while (s.length < 100) s += rand() < 0.5 ? words[Math.floor(rand() * words.length)] + ':' : Math.floor(rand() * 1e6).toString(36) + ',';
    return Buffer.from(s.slice(0, 100));
  });
}
