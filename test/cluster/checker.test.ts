/**
 * The fault tests' history checker (test/helpers/cluster/checker.ts) on hand-made histories:
 * a clean history passes, and each anomaly (lost, moved, duplicated, unexpected, reordered,
 * offsets not increasing) is found, named and counted, so a fault test that passes means the
 * checker looked, not that it could not see.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { check, describe, History, parseValue, partitionKey, valueOf, type ReadBack, type ReadRecord } from '../helpers/cluster/checker.js';

const it = suite('fault-test checker');

/** Writer w1 sends seq 0..n-1 to t/0, acknowledged at offsets 0..n-1. */
function cleanHistory(n: number): { history: History; readBack: ReadBack } {
  const history = new History();
  const records: ReadRecord[] = [];
  for (let seq = 0; seq < n; seq++) {
    const value = valueOf('w1', seq);
    history.attempt(value);
    history.ack({ topic: 't', partition: 0, offset: seq, value });
    records.push({ offset: seq, value });
  }
  return { history, readBack: new Map([[partitionKey('t', 0), records]]) };
}

it('a clean history has no anomaly', () => {
  const { history, readBack } = cleanHistory(10);
  const result = check(history, readBack);
  assert.ok(result.ok, describe(result));
  assert.is(result.acknowledged, 10);
  assert.is(result.read, 10);
  assert.equal(result.anomalies, []);
});

it('attempted but unacknowledged records may be present or absent (once), and are counted', () => {
  const { history, readBack } = cleanHistory(3);
  history.attempt(valueOf('w1', 3));
  history.attempt(valueOf('w1', 4));
  readBack.get('t/0')!.push({ offset: 3, value: valueOf('w1', 3) });
  const result = check(history, readBack);
  assert.ok(result.ok, describe(result));
  assert.is(result.unacknowledgedPresent, 1);
  assert.is(result.attempted, 5);
});

it('finds a lost acknowledged record', () => {
  const { history, readBack } = cleanHistory(5);
  readBack.set('t/0', readBack.get('t/0')!.filter((r) => r.offset !== 2));
  const result = check(history, readBack);
  assert.not.ok(result.ok);
  assert.is(result.counts.lost, 1);
  assert.is(result.anomalies[0]!.value, 'w1:2');
  assert.match(describe(result), /lost t\/0: acknowledged at offset 2/);
});

it('finds a lost tail: a truncated partition loses every acknowledged record past the cut', () => {
  const { history, readBack } = cleanHistory(10);
  readBack.set('t/0', readBack.get('t/0')!.slice(0, 6));
  const result = check(history, readBack);
  assert.is(result.counts.lost, 4);
  assert.equal(result.anomalies.map((a) => a.value), ['w1:6', 'w1:7', 'w1:8', 'w1:9']);
});

it('finds an acknowledged offset given to another record (moved), as a divergent log would', () => {
  const { history, readBack } = cleanHistory(4);
  // The leader acknowledged w1:3 at offset 3, was truncated, and the new leader put w2:0 there
  // and w1:3 (re-sent by the producer's retry) at offset 4.
  history.attempt('w2:0');
  readBack.set('t/0', [...readBack.get('t/0')!.slice(0, 3), { offset: 3, value: 'w2:0' }, { offset: 4, value: 'w1:3' }]);
  const result = check(history, readBack);
  assert.is(result.counts.moved, 1);
  assert.is(result.counts.lost, 0);
  assert.match(result.anomalies[0]!.detail, /acknowledged at offset 3, read at t\/0@4/);
});

it('finds a record acknowledged on one partition but read on another (moved)', () => {
  const { history, readBack } = cleanHistory(2);
  readBack.set('t/0', [{ offset: 0, value: 'w1:0' }]);
  readBack.set('t/1', [{ offset: 0, value: 'w1:1' }]);
  const result = check(history, readBack);
  assert.is(result.counts.moved, 1);
  assert.is(result.anomalies[0]!.value, 'w1:1');
});

it('finds a duplicate, within a partition and across partitions', () => {
  const { history, readBack } = cleanHistory(3);
  readBack.get('t/0')!.push({ offset: 3, value: 'w1:2' });
  let result = check(history, readBack);
  assert.is(result.counts.duplicated, 1);
  assert.match(result.anomalies.find((a) => a.kind === 'duplicated')!.detail, /read 2 times: t\/0@2, t\/0@3/);
  readBack.get('t/0')!.pop();
  readBack.set('t/1', [{ offset: 0, value: 'w1:0' }]);
  result = check(history, readBack);
  assert.is(result.counts.duplicated, 1);
});

it('a duplicate of an unacknowledged record is still a duplicate', () => {
  const { history, readBack } = cleanHistory(1);
  history.attempt('w1:1');
  readBack.get('t/0')!.push({ offset: 1, value: 'w1:1' }, { offset: 2, value: 'w1:1' });
  const result = check(history, readBack);
  assert.is(result.counts.duplicated, 1);
  assert.is(result.counts.lost, 0);
});

it('finds a record nobody attempted', () => {
  const { history, readBack } = cleanHistory(2);
  readBack.get('t/0')!.push({ offset: 2, value: 'intruder' });
  const result = check(history, readBack);
  assert.is(result.counts.unexpected, 1);
  assert.is(result.anomalies[0]!.value, 'intruder');
});

it('finds records of one writer read out of send order (reordered), but not across writers', () => {
  const history = new History();
  for (const v of ['a:0', 'a:1', 'a:2', 'b:0', 'b:1']) history.attempt(v);
  // Interleaving writers is fine; a:2 before a:1 is not.
  const readBack: ReadBack = new Map([
    ['t/0', [
      { offset: 0, value: 'b:0' },
      { offset: 1, value: 'a:0' },
      { offset: 2, value: 'a:2' },
      { offset: 3, value: 'b:1' },
      { offset: 4, value: 'a:1' },
    ]],
  ]);
  const result = check(history, readBack);
  assert.is(result.counts.reordered, 1);
  assert.is(result.anomalies[0]!.value, 'a:1');
  assert.match(result.anomalies[0]!.detail, /a:1 at offset 4 after a:2 at offset 2/);
});

it('per-writer order is judged per partition', () => {
  const history = new History();
  for (const v of ['a:0', 'a:1']) history.attempt(v);
  const readBack: ReadBack = new Map([
    ['t/0', [{ offset: 0, value: 'a:1' }]],
    ['t/1', [{ offset: 0, value: 'a:0' }]],
  ]);
  assert.ok(check(history, readBack).ok);
});

it('finds offsets that do not increase in a partition read-back', () => {
  const { history, readBack } = cleanHistory(3);
  const records = readBack.get('t/0')!;
  records[2] = { offset: 1, value: records[2]!.value };
  const result = check(history, readBack);
  assert.is(result.counts.offsetsNotIncreasing, 1);
  // w1:2 is also read at 1, not at its acknowledged 2.
  assert.is(result.counts.moved, 1);
});

it('the history refuses a value attempted twice and an ack for a value never attempted', () => {
  const history = new History();
  history.attempt('w:0');
  assert.throws(() => history.attempt('w:0'), /attempted twice/);
  assert.throws(() => history.ack({ topic: 't', partition: 0, offset: 0, value: 'w:1' }), /never attempted/);
});

it('parseValue reads writer:seq and nothing else', () => {
  assert.equal(parseValue('w-1:12'), { writer: 'w-1', seq: 12 });
  assert.equal(parseValue('a:b:3'), { writer: 'a:b', seq: 3 });
  assert.is(parseValue('w:'), undefined);
  assert.is(parseValue(':3'), undefined);
  assert.is(parseValue('w:03'), undefined);
  assert.is(parseValue('plain'), undefined);
});

it.run();
