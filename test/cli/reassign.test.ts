/**
 * `skein reassign` against a lone `skein serve` child (the cluster cases, with data moving
 * between brokers, are in test/cluster/controller-processes.test.ts): a broker alone accepts a
 * move to itself only, has nothing in progress, and its partitions are led by their preferred
 * (only) replica; wrong usage and bad plan files exit 2 with one line saying what is wrong.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { runSkein, startServe, type Server } from './helpers/cli-child.js';

let server: Server;

test.before(async () => {
  server = await startServe(['--dir', join(tempDir('skein-cli-reassign-'), 'data'), '--log-level', 'warn', '--node-id', '5']);
  assert.is((await runSkein(['topics', 'create', 'alone', '--partitions', '2', '--bootstrap', server.bootstrap])).code, 0);
});

test.after(async () => {
  assert.is(await server.stop(), 0, server.stderr());
  cleanupTempDirs();
});

const skein = (args: string[]) => runSkein([...args, '--bootstrap', server.bootstrap]);

test('a lone broker: a move to itself is accepted, to another broker refused (exit 2); nothing in progress; no election needed', async () => {
  const self = await skein(['reassign', '--topic', 'alone', '--partition', '1', '--replicas', '5']);
  assert.is(self.code, 0, self.err);
  assert.is(self.out, 'alone\t1\treassignment to 5 started\n');
  const other = await skein(['reassign', '--topic', 'alone', '--partition', '0', '--replicas', '1,2']);
  assert.is(other.code, 2);
  assert.match(other.err, /cannot reassign alone-0: .*only live on broker 5/);
  const missing = await skein(['reassign', '--topic', 'alone', '--partition', '9', '--replicas', '5']);
  assert.is(missing.code, 4, missing.err);
  const cancel = await skein(['reassign', '--topic', 'alone', '--partition', '0', '--cancel']);
  assert.is(cancel.code, 1);
  assert.match(cancel.err, /no reassignment of alone-0 is in progress/);
  assert.is((await skein(['reassign', '--list'])).out, 'no reassignment in progress\n');
  assert.equal(JSON.parse((await skein(['reassign', '--list', '--json'])).out), []);
  const elect = await skein(['reassign', '--elect-preferred']);
  assert.is(elect.code, 0, elect.err);
  assert.is(elect.out, 'alone\t0\tled by its preferred replica already\nalone\t1\tled by its preferred replica already\n');
});

test('plans in kafka-reassign-partitions.sh\'s format; bad plans and wrong usage exit 2', async () => {
  const dir = tempDir('skein-plan-');
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ version: 1, partitions: [{ topic: 'alone', partition: 0, replicas: [5], log_dirs: ['any'] }, { topic: 'alone', partition: 1, replicas: [5] }] }));
  const ran = await skein(['reassign', '--plan', good, '--json']);
  assert.is(ran.code, 0, ran.err);
  assert.equal(JSON.parse(ran.out), [
    { topic: 'alone', partition: 0, replicas: [5], error: null },
    { topic: 'alone', partition: 1, replicas: [5], error: null },
  ]);
  const cases: Array<[string, RegExp]> = [
    ['not json', /is not JSON/],
    [JSON.stringify({ partitions: [] }), /non-empty "partitions"/],
    [JSON.stringify({ partitions: [{ topic: 'alone', partition: -1, replicas: [5] }] }), /entry 0 needs/],
    [JSON.stringify({ partitions: [{ topic: 'alone', partition: 0, replicas: [] }] }), /entry 0 needs/],
  ];
  for (const [text, message] of cases) {
    const file = join(dir, 'bad.json');
    writeFileSync(file, text);
    const bad = await skein(['reassign', '--plan', file]);
    assert.is(bad.code, 2, `${text}: ${bad.err}`);
    assert.match(bad.err, message);
  }
  const absent = await skein(['reassign', '--plan', join(dir, 'absent.json')]);
  assert.is(absent.code, 2);
  const noReplicas = await skein(['reassign', '--topic', 'alone', '--partition', '0']);
  assert.is(noReplicas.code, 2);
  assert.match(noReplicas.err, /needs --topic, --partition and --replicas/);
});

test.run();
