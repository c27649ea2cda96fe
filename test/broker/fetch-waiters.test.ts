/**
 * FetchWaiters (the long-poll purgatory): a wait ends on an append to one of its partitions,
 * on its timeout, or on its AbortSignal; one signal serves wait after wait (one listener for
 * its life) and its abort ends exactly the waits still open; an already aborted signal ends a
 * wait at once; notify wakes only the waits of its partition; wakeAll wakes everyone.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { FetchWaiters } from '../../src/broker/fetch-waiters.js';

/** Resolves to 'woken' or 'pending' after the microtasks and timers due now have run. */
async function state(p: Promise<void>): Promise<'woken' | 'pending'> {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done ? 'woken' : 'pending';
}

test('notify wakes the waits of its partition only', async () => {
  const waiters = new FetchWaiters();
  const a = waiters.wait(['t\u00000'], 10_000);
  const b = waiters.wait(['t\u00001'], 10_000);
  const both = waiters.wait(['t\u00000', 't\u00001'], 10_000);
  waiters.notify('t\u00000');
  assert.is(await state(a), 'woken');
  assert.is(await state(both), 'woken');
  assert.is(await state(b), 'pending');
  waiters.notify('t\u00000'); // nobody left on it: nothing happens
  waiters.notify('t\u00001');
  assert.is(await state(b), 'woken');
});

test('a wait ends at its timeout', async () => {
  const waiters = new FetchWaiters();
  const started = Date.now();
  await waiters.wait(['x\u00000'], 30);
  assert.ok(Date.now() - started >= 25);
});

test('one signal, wait after wait: its abort ends the open waits, and later waits at once', async () => {
  const waiters = new FetchWaiters();
  const controller = new AbortController();
  for (let i = 0; i < 5; i++) {
    const w = waiters.wait(['s\u00000'], 10_000, controller.signal);
    waiters.notify('s\u00000');
    assert.is(await state(w), 'woken');
  }
  const open1 = waiters.wait(['s\u00000'], 10_000, controller.signal);
  const open2 = waiters.wait(['s\u00001'], 10_000, controller.signal);
  const other = waiters.wait(['s\u00000'], 10_000, new AbortController().signal);
  assert.is(await state(open1), 'pending');
  controller.abort();
  assert.is(await state(open1), 'woken');
  assert.is(await state(open2), 'woken');
  assert.is(await state(other), 'pending', 'a wait on another signal goes on');
  assert.is(await state(waiters.wait(['s\u00000'], 10_000, controller.signal)), 'woken', 'an aborted signal ends a wait at once');
  waiters.wakeAll();
  assert.is(await state(other), 'woken');
});

test('wakeAll wakes everyone, and waits made after it work as before', async () => {
  const waiters = new FetchWaiters();
  const ws = [waiters.wait(['a\u00000'], 10_000), waiters.wait(['b\u00000'], 10_000)];
  waiters.wakeAll();
  for (const w of ws) assert.is(await state(w), 'woken');
  const again = waiters.wait(['a\u00000'], 10_000);
  waiters.notify('a\u00000');
  assert.is(await state(again), 'woken');
});

test.run();
