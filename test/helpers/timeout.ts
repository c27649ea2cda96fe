/**
 * Deadlines for tests, so a hang fails in seconds with a message naming the limit instead of
 * reaching the runner's per-file limit. `withTimeout(ms, body)` wraps one test body;
 * test/helpers/test.ts gives every test of a file DEFAULT_TEST_TIMEOUT_MS unless its body is
 * already wrapped. The timer is unref'd and cleared, so it never keeps a finished file alive.
 */
const WRAPPED = Symbol('skein.test-timeout');

export function withTimeout<A extends unknown[], T>(ms: number, body: (...args: A) => Promise<T> | T): (...args: A) => Promise<T> {
  const wrapped = (...args: A) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`test timed out after ${ms} ms`)), ms);
      timer.unref();
      Promise.resolve()
        .then(() => body(...args))
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
  return Object.assign(wrapped, { [WRAPPED]: true });
}

export function hasTimeout(fn: unknown): boolean {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[WRAPPED] === true;
}

/** Fails the test instead of hanging when `work` does not settle in `ms`; else its result. */
export async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
