// Version ranges of the Kafka message specs ("0+", "3-7", "5", "none") as closed intervals
// { lo, hi } (hi = Infinity for "N+"; lo > hi is the empty range), and the JavaScript
// conditions on `version` that test them, simplified against the versions a function can
// be called with, so a field present in every served version gets no test at all.

export const EMPTY = Object.freeze({ lo: 1, hi: 0 });

export function parseVersions(text, what) {
  if (text === undefined) return undefined;
  if (text === 'none') return EMPTY;
  let m = /^(\d+)\+$/.exec(text);
  if (m) return { lo: Number(m[1]), hi: Infinity };
  m = /^(\d+)-(\d+)$/.exec(text);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(text);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`${what}: cannot parse versions ${JSON.stringify(text)}`);
}

export const isEmpty = (r) => r.lo > r.hi;
export const intersect = (a, b) => ({ lo: Math.max(a.lo, b.lo), hi: Math.min(a.hi, b.hi) });
/** The smallest range holding both (ranges used for one struct need not touch). */
export const hull = (a, b) => (isEmpty(a) ? b : isEmpty(b) ? a : { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) });
/** Whether every version of `inner` lies in `outer`. */
export const covers = (outer, inner) => isEmpty(inner) || (outer.lo <= inner.lo && outer.hi >= inner.hi);
export const sameRange = (a, b) => (isEmpty(a) && isEmpty(b)) || (a.lo === b.lo && a.hi === b.hi);

export function formatRange(r) {
  if (isEmpty(r)) return 'none';
  if (r.hi === Infinity) return `${r.lo}+`;
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

/**
 * A condition that is true for the versions of `range` among those of `context`:
 * 'true', 'false', or a test on `version`.
 */
export function condition(range, context) {
  const within = intersect(range, context);
  if (isEmpty(within)) return 'false';
  if (covers(range, context)) return 'true';
  const single = within.lo === within.hi;
  // A range reaching the last version generated reads as "version >= N", as the spec's "N+".
  if (within.hi >= context.hi) return `version >= ${within.lo}`;
  if (single) return `version === ${within.lo}`;
  if (within.lo <= context.lo) return `version <= ${within.hi}`;
  return `version >= ${within.lo} && version <= ${within.hi}`;
}

/** A condition true for the versions of `context` outside `range` (range must be an interval). */
export function complement(range, context) {
  const within = intersect(range, context);
  if (isEmpty(within)) return 'true';
  const below = { lo: context.lo, hi: within.lo - 1 };
  const above = { lo: within.hi + 1, hi: context.hi };
  if (isEmpty(below) && isEmpty(above)) return 'false';
  if (isEmpty(above)) return within.lo - 1 === context.lo ? `version === ${context.lo}` : `version < ${within.lo}`;
  if (isEmpty(below)) return `version > ${within.hi}`;
  return `(version < ${within.lo} || version > ${within.hi})`;
}

/**
 * The versions of `context` inside and outside `range`, as two ranges, so code under a
 * test on `range` can simplify further tests. `range` meets `context` as a prefix or a
 * suffix in every spec (flexible and nullable versions are open-ended), else the outside
 * part is left as the whole context.
 */
export function split(range, context) {
  const inside = intersect(range, context);
  if (isEmpty(inside)) return [inside, context];
  if (inside.hi >= context.hi) return [inside, { lo: context.lo, hi: inside.lo - 1 }];
  if (inside.lo <= context.lo) return [inside, { lo: inside.hi + 1, hi: context.hi }];
  return [inside, context];
}
