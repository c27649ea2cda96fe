/**
 * A deadline for one test: wraps a uvu test body so that a hang fails in seconds with a
 * message naming the limit, instead of reaching the runner's per-file limit. The timer is
 * unref'd and cleared, so it never keeps a finished test file alive.
 */
export function withTimeout<T>(ms: number, body: () => Promise<T> | T): () => Promise<T> {
  return () =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`test timed out after ${ms} ms`)), ms);
      timer.unref();
      Promise.resolve()
        .then(body)
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
}
