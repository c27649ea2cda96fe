/**
 * `skein serve` as a child process, as users run it: it prints where it listens, kafkajs
 * produces and consumes through it, SIGTERM stops it with exit code 0 and every partition
 * folder carries the clean-shutdown marker; a port in use and a data folder that cannot be
 * written each give a clear message and exit code 1; bin/skein.js is the same program.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const { Kafka, logLevel } = kafkajs;
const LAUNCH = fileURLToPath(new URL('./helpers/launch.js', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

test.after(cleanupTempDirs);

interface Child {
  process: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function skein(args: string[], entry = LAUNCH): Child {
  const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  // A hang detector only: a CLI still running after a minute has failed.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { process: child, stdout: () => out, stderr: () => err, exited };
}

async function listeningAddress(child: Child): Promise<string> {
  for (;;) {
    const match = /skein listening on \S+ \(clients connect to (\S+)\)/.exec(child.stdout());
    if (match) return match[1]!;
    const code = await Promise.race([child.exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 20))]);
    if (code !== 'wait') throw new Error(`skein serve exited with ${code} before listening: ${child.stderr()}`);
  }
}

test('serve: kafkajs produces and consumes; SIGTERM exits 0 with clean-shutdown markers', async () => {
  const dir = join(tempDir('skein-cli-'), 'data');
  const child = skein(['serve', '--dir', dir, '--port', '0', '--num-partitions', '2']);
  const bootstrap = await listeningAddress(child);

  const kafka = new Kafka({ clientId: 'cli-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'cli', messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'cli-group', maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'cli', fromBeginning: true });
  const got = new Set<string>();
  await consumer.run({ eachMessage: async ({ message }) => void got.add(message.value!.toString()) });
  const deadline = Date.now() + 30_000;
  while (got.size < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await consumer.disconnect();
  assert.is(got.size, 100);

  child.process.kill('SIGTERM');
  assert.is(await child.exited, 0, child.stderr());
  assert.match(child.stderr(), 'SIGTERM received, shutting down');
  const partitions = readdirSync(dir).filter((name) => name.startsWith('cli-'));
  assert.equal(partitions.sort(), ['cli-0', 'cli-1'], 'auto-created with --num-partitions 2');
  for (const p of partitions) assert.ok(existsSync(join(dir, p, '.clean-shutdown')), `${p} was closed cleanly`);
});

test('serve --schema-registry-port: the registry answers over HTTP and keeps its schemas across a restart', async () => {
  const dir = join(tempDir('skein-cli-'), 'data');
  const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });
  for (const round of [1, 2]) {
    const child = skein(['serve', '--dir', dir, '--port', '0', '--schema-registry-port', '0']);
    await listeningAddress(child);
    const url = /schema registry on (\S+)/.exec(child.stdout())?.[1];
    assert.ok(url, child.stdout());
    if (round === 1) {
      const res = await fetch(`${url}/subjects/cli-value/versions`, { method: 'POST', headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify({ schema }) });
      assert.equal(await res.json(), { id: 1 });
    }
    const latest = await fetch(`${url}/subjects/cli-value/versions/latest`);
    assert.is(latest.headers.get('content-type'), 'application/vnd.schemaregistry.v1+json');
    assert.equal(await latest.json(), { subject: 'cli-value', version: 1, id: 1, schema });
    child.process.kill('SIGTERM');
    assert.is(await child.exited, 0, child.stderr());
  }
  const off = skein(['serve', '--dir', dir, '--port', '0']);
  await listeningAddress(off);
  assert.not.match(off.stdout(), 'schema registry', 'off unless asked');
  off.process.kill('SIGTERM');
  assert.is(await off.exited, 0);
});

test('serve: a port in use is refused with a clear message and exit code 1', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  const child = skein(['serve', '--dir', join(tempDir('skein-cli-'), 'data'), '--port', String(port)]);
  assert.is(await child.exited, 1);
  assert.match(child.stderr(), `cannot listen on 127.0.0.1:${port}: the port is already in use`);
  assert.not.match(child.stdout(), 'listening');
  await new Promise((resolve) => blocker.close(resolve));
});

test('serve: a data folder that cannot be written is refused with a clear message and exit code 1', async () => {
  const base = tempDir('skein-cli-');
  const file = join(base, 'a-file');
  writeFileSync(file, 'not a folder');
  const child = skein(['serve', '--dir', join(file, 'data'), '--port', '0']);
  assert.is(await child.exited, 1);
  assert.match(child.stderr(), `the data folder ${join(file, 'data')} is not writable`);

  // A read-only folder stops everyone but root.
  if (process.getuid?.() !== 0) {
    const readOnly = join(base, 'read-only');
    mkdirSync(readOnly, { mode: 0o555 });
    const again = skein(['serve', '--dir', readOnly, '--port', '0']);
    assert.is(await again.exited, 1);
    assert.match(again.stderr(), 'is not writable');
  }
});

test('serve --sasl-plain-users: clients must log in; a bad users file is refused', async () => {
  const base = tempDir('skein-cli-');
  const usersFile = join(base, 'users');
  writeFileSync(usersFile, '# who may connect\nalice:open:sesame\n\n');
  const child = skein(['serve', '--dir', join(base, 'data'), '--port', '0', '--sasl-plain-users', usersFile]);
  const bootstrap = await listeningAddress(child);
  assert.match(child.stdout(), 'SASL/PLAIN for 1 user');
  const kafka = new Kafka({ clientId: 'cli-sasl', brokers: [bootstrap], sasl: { mechanism: 'plain', username: 'alice', password: 'open:sesame' }, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'locked', numPartitions: 1 }] });
  assert.ok((await admin.listTopics()).includes('locked'));
  await admin.disconnect();
  child.process.kill('SIGINT');
  assert.is(await child.exited, 0);

  const empty = join(base, 'empty');
  writeFileSync(empty, '# nobody\n');
  const refused = skein(['serve', '--dir', join(base, 'data2'), '--port', '0', '--sasl-plain-users', empty]);
  assert.is(await refused.exited, 1);
  assert.match(refused.stderr(), `cannot use the SASL users file ${empty}: it lists no user`);
});

test('serve: bad options are refused by the parser with exit code 2 (usage)', async () => {
  const child = skein(['serve', '--port', 'ninety']);
  assert.is(await child.exited, 2);
  assert.match(child.stderr(), "option '--port <port>' argument 'ninety' is invalid");
});

const BIN = join(REPO, 'bin/skein.js');
const built = existsSync(join(REPO, 'dist/cli/main.js'));
(built ? test : test.skip)('bin/skein.js runs the built CLI (dist/)', async () => {
  const child = skein(['serve', '--help'], BIN);
  assert.is(await child.exited, 0);
  assert.match(child.stdout(), '--no-auto-create-topics');
});
if (!built) console.log('dist/ is not built (npm run build): skipping the bin/skein.js check');

test.run();
