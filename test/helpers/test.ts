/**
 * uvu's `test` with a deadline on every test: a test whose body is not already wrapped by
 * withTimeout gets DEFAULT_TEST_TIMEOUT_MS (SKEIN_TEST_TIMEOUT_MS overrides it), so a hang
 * fails that test in seconds and the file goes on. Same shape as uvu's export: test(name, fn),
 * test.before/after (and .each), test.only, test.skip, test.run.
 *
 * A file whose tests are all done but which does not exit (a test that failed or timed out
 * left a server or a child open) is ended EXIT_GRACE_MS later with the exit code uvu set, so
 * a leak fails in seconds instead of at the runner's per-file limit.
 */
import { test as uvuTest } from 'uvu';
import { hasTimeout, withTimeout } from './timeout.js';

export const DEFAULT_TEST_TIMEOUT_MS = Number(process.env.SKEIN_TEST_TIMEOUT_MS ?? 120_000);
// The clock starts at the first after-hook, so it also covers the others (a sweep of thousands
// of temp folders took over 5 s on a loaded 2-core machine): generous, still seconds not minutes.
const EXIT_GRACE_MS = 20_000;

uvuTest.after(() => {
  setTimeout(() => {
    process.stderr.write(`test file still running ${EXIT_GRACE_MS} ms after its last test: something was left open; exiting\n`);
    process.exit(process.exitCode === undefined || process.exitCode === 0 ? 1 : process.exitCode);
  }, EXIT_GRACE_MS).unref();
});

type Handler = Parameters<typeof uvuTest>[1];

const bounded = (handler: Handler): Handler => (hasTimeout(handler) ? handler : (withTimeout(DEFAULT_TEST_TIMEOUT_MS, handler as (...args: unknown[]) => unknown) as unknown as Handler));

function boundedTest(name: string, handler: Handler): void {
  uvuTest(name, bounded(handler));
}

export const test = Object.assign(boundedTest, {
  before: uvuTest.before,
  after: uvuTest.after,
  only: (name: string, handler: Handler) => uvuTest.only(name, bounded(handler)),
  skip: uvuTest.skip,
  run: uvuTest.run,
});
