import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { FlushScheduler } from '../../src/storage/flush-scheduler.js';

function controllableFlush() {
  const pending: Array<() => void> = [];
  let calls = 0;
  const flushAll = () => {
    calls += 1;
    return new Promise<void>((resolve) => pending.push(resolve));
  };
  return { flushAll, pending, calls: () => calls };
}

test('appends below flush.messages need no flush; reaching it starts one', () => {
  const f = controllableFlush();
  const s = new FlushScheduler(f.flushAll, 10, Infinity);
  assert.is(s.appended(4), undefined);
  assert.is(s.appended(5), undefined);
  assert.ok(s.appended(1) instanceof Promise);
  assert.is(f.calls(), 1);
});

test('waiters during a running flush share exactly one next flush', async () => {
  const f = controllableFlush();
  const s = new FlushScheduler(f.flushAll, 1, Infinity);
  const first = s.appended(1)!;
  const waiting = [s.appended(1)!, s.appended(1)!, s.appended(1)!];
  assert.is(f.calls(), 1);
  let settled = 0;
  waiting.forEach((p) => p.then(() => (settled += 1)));
  f.pending.shift()!();
  await first;
  await new Promise((r) => setImmediate(r));
  assert.is(f.calls(), 2, 'one more flush serves all three waiters');
  assert.is(settled, 0, 'waiters are not answered by the flush that started before them');
  f.pending.shift()!();
  await Promise.all(waiting);
  assert.is(settled, 3);
  assert.is(s.flushCount, 2);
});

test('a failed flush rejects its waiters and the next flush runs again', async () => {
  let fail = true;
  const s = new FlushScheduler(async () => {
    if (fail) throw new Error('EIO');
  }, 1, Infinity);
  await s.appended(1)!.then(
    () => assert.unreachable('should reject'),
    (err: Error) => assert.is(err.message, 'EIO'),
  );
  fail = false;
  await s.appended(1);
  assert.is(s.flushCount, 2);
});

test.run();
