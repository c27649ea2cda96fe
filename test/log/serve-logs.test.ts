/**
 * `skein serve --log-format json`: every stderr log line is a pino JSON object with an ISO
 * timestamp and a level; one line each for topic create, config change, partitions added and
 * delete, for a group rebalance, for a refused produce (at debug), and for the recovery after
 * an unclean stop (SIGKILL, then start again). The pretty format puts the same on one
 * readable line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { prettyLine } from '../../src/log/logger.js';
import { runSkein, startServe } from '../cli/helpers/cli-child.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const { Kafka, logLevel } = kafkajs;
test.after(cleanupTempDirs);

interface Line {
  time: string;
  level: number;
  msg: string;
  [field: string]: unknown;
}

function jsonLines(stderr: string): Line[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
}

test('json logs: topic changes, a rebalance, a refused produce, recovery after SIGKILL', async () => {
  const dir = join(tempDir(), 'data');
  let server = await startServe(['--dir', dir, '--log-format', 'json', '--log-level', 'debug', '--no-auto-create-topics']);
  const b = server.bootstrap;
  assert.is((await runSkein(['topics', 'create', 'logged', '--partitions', '2', '--bootstrap', b])).code, 0);
  assert.is((await runSkein(['topics', 'alter-config', 'logged', '--set', 'retention.ms=1000', '--bootstrap', b])).code, 0);
  assert.is((await runSkein(['topics', 'add-partitions', 'logged', '--total', '3', '--bootstrap', b])).code, 0);
  const kafka = new Kafka({ clientId: 'logs', brokers: [b], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'log-watchers' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'logged' });
  await consumer.run({ eachMessage: async () => undefined });
  await consumer.disconnect();
  const refused = await runSkein(['produce', 'missing', '--partition', '0', '--bootstrap', b], { stdin: 'x\n' });
  assert.is(refused.code, 4);
  assert.is((await runSkein(['topics', 'delete', 'logged', '--bootstrap', b])).code, 0);
  await runSkein(['topics', 'create', 'survivor', '--bootstrap', b]);
  await runSkein(['produce', 'survivor', '--bootstrap', b], { stdin: 'a\nb\n' });

  const lines = jsonLines(server.stderr());
  for (const l of lines) {
    assert.ok(!Number.isNaN(Date.parse(l.time)) && l.time.endsWith('Z'), `ISO time in ${JSON.stringify(l)}`);
    assert.ok([20, 30, 40, 50].includes(l.level));
  }
  const find = (msg: string) => lines.filter((l) => l.msg === msg);
  assert.equal(find('topic created').map((l) => [l.topic, l.partitions]), [['logged', 2], ['survivor', 1]]);
  assert.equal(find('topic configs-changed')[0]?.configs, { 'retention.ms': '1000' });
  assert.is(find('topic partitions-added')[0]?.partitions, 3);
  assert.is(find('topic deleted')[0]?.topic, 'logged');
  const rebalance = find('group rebalanced')[0];
  assert.ok(rebalance, 'a rebalance line');
  assert.is(rebalance!.group, 'log-watchers');
  assert.is(rebalance!.members, 1);
  assert.is(rebalance!.level, 30);
  assert.ok(find('listening').length === 1);

  // An unclean stop, then a start that recovers: a warning says so.
  server.process.kill('SIGKILL');
  await new Promise((r) => server.process.once('close', r));
  server = await startServe(['--dir', dir, '--log-format', 'json']);
  const recovered = jsonLines(server.stderr()).filter((l) => l.level === 40 && /not closed cleanly/.test(l.msg));
  assert.ok(recovered.length >= 1, server.stderr());
  assert.is(await server.stop(), 0);
});

test('pretty lines: time, level, message and fields on one line', () => {
  const line = prettyLine('{"level":30,"time":"2026-12-04T21:57:00.123Z","pid":1,"msg":"topic created","topic":"orders","partitions":3,"configs":{"a":"b c"}}');
  assert.is(line, '2026-12-04T21:57:00.123Z INFO  topic created topic=orders partitions=3 configs={"a":"b c"}');
});

test.run();
