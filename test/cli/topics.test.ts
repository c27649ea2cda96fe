/**
 * `skein topics list | describe | create | delete` against a `skein serve` child, over the
 * Kafka protocol: what each prints, the broker's refusals as Kafka error names with exit
 * code 1 (4 for a missing topic), and a clear message with exit code 3 when no broker answers.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const LAUNCH = fileURLToPath(new URL('./helpers/launch.js', import.meta.url));

let server: ChildProcess;
let bootstrap: string;

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [LAUNCH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test.before(async () => {
  server = spawn(process.execPath, [LAUNCH, 'serve', '--dir', join(tempDir('skein-cli-topics-'), 'data'), '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  server.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  bootstrap = await new Promise<string>((resolve, reject) => {
    server.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /clients connect to (\S+)\)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.on('exit', (code) => reject(new Error(`skein serve exited with ${code}: ${err}`)));
  });
});

test.after(async () => {
  server.kill('SIGTERM');
  await new Promise((r) => server.on('exit', r));
  cleanupTempDirs();
});

test('create, list, describe and delete topics', async () => {
  const created = await run(['topics', 'create', 'orders', '--bootstrap', bootstrap, '--partitions', '3', '--config', 'retention.ms=3600000']);
  assert.is(created.code, 0, created.err);
  assert.is(created.out, 'created topic orders\n');

  const again = await run(['topics', 'create', 'orders', '--bootstrap', bootstrap]);
  assert.is(again.code, 1);
  assert.match(again.err, 'cannot create topic orders: TOPIC_ALREADY_EXISTS');

  const invalid = await run(['topics', 'create', 'bad name', '--bootstrap', bootstrap]);
  assert.is(invalid.code, 1);
  assert.match(invalid.err, 'INVALID_TOPIC_EXCEPTION');

  const listed = await run(['topics', 'list', '--bootstrap', bootstrap]);
  assert.is(listed.out, 'orders\t3 partitions\n');
  const all = await run(['topics', 'list', '--bootstrap', bootstrap, '--internal']);
  // __consumer_offsets is created at the first group use (FindCoordinator), as in Kafka.
  assert.is(all.out, 'orders\t3 partitions\n');

  const described = await run(['topics', 'describe', 'orders', '--bootstrap', bootstrap]);
  assert.is(described.code, 0, described.err);
  assert.match(described.out, 'topic orders: 3 partitions');
  assert.match(described.out, '0\t0\t0\t0\t0\n1\t0\t0\t0\t0\n2\t0\t0\t0\t0\n');
  assert.match(described.out, 'configs: retention.ms=3600000');

  const missing = await run(['topics', 'describe', 'nope', '--bootstrap', bootstrap]);
  assert.is(missing.code, 4);
  assert.match(missing.err, 'topic nope: UNKNOWN_TOPIC_OR_PARTITION');
  assert.is((await run(['topics', 'list', '--bootstrap', bootstrap])).out, 'orders\t3 partitions\n', 'describe created nothing');

  const deleted = await run(['topics', 'delete', 'orders', '--bootstrap', bootstrap]);
  assert.is(deleted.code, 0, deleted.err);
  assert.is(deleted.out, 'deleted topic orders\n');
  assert.is((await run(['topics', 'list', '--bootstrap', bootstrap])).out, '');
  const gone = await run(['topics', 'delete', 'orders', '--bootstrap', bootstrap]);
  assert.is(gone.code, 4);
  assert.match(gone.err, 'UNKNOWN_TOPIC_OR_PARTITION');
});

test('no broker at the address: a clear message and exit code 3', async () => {
  const result = await run(['topics', 'list', '--bootstrap', '127.0.0.1:1']);
  assert.is(result.code, 3);
  assert.match(result.err, 'cannot reach a broker at 127.0.0.1:1');
});

test.run();
