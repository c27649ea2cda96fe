/** Runs the collector (tests run with --expose-gc) until `done()` holds or the tries run out. */
export async function collectUntil(done: () => boolean, tries = 50): Promise<boolean> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < tries; i++) {
    if (done()) return true;
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return done();
}
