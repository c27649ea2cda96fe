/**
 * Every daily CLI command as a user runs it: a child process of `skein` against a
 * `skein serve` child started here, checking what it prints (text and --json) and its exit
 * code: produce (stdin, key separator, headers, --file), consume (--from-beginning, --offset,
 * --partition, --max-messages, --exit, --format, --json, --group), groups (list, describe with
 * lag, reset-offsets, delete), topics alter-config and add-partitions, log inspect on a good
 * and a damaged folder; and bad input: wrong flags, no broker, missing topic or group, a
 * folder that is not a log, an unwritable --dir, a port in use; SKEIN_BOOTSTRAP and the
 * config file; --help with no native addon at all.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, openSync, readSync, symlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { runSkein, startServe, type Server } from './helpers/cli-child.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let server: Server;
let bootstrap: string;
let dataDir: string;

test.before(async () => {
  dataDir = join(tempDir('skein-cli-commands-'), 'data');
  server = await startServe(['--dir', dataDir, '--log-level', 'warn']);
  bootstrap = server.bootstrap;
});

test.after(async () => {
  assert.is(await server.stop(), 0, server.stderr());
  cleanupTempDirs();
});

const skein = (args: string[], stdin?: string) => runSkein([...args, '--bootstrap', bootstrap], { stdin });

test('produce from stdin with keys and headers; consume in every output format', async () => {
  assert.is((await skein(['topics', 'create', 'orders', '--partitions', '3'])).code, 0);
  const produced = await skein(['produce', 'orders', '--key-separator', ':', '--header', 'source=cli', '--header', 'v=1'], 'k1:hello\nk2:world\nk1:again\n');
  assert.is(produced.code, 0, produced.err);
  assert.is(produced.out, 'produced 3 records to orders\n');

  const formatted = await skein(['consume', 'orders', '--from-beginning', '--exit', '--format', '%t|%p|%o|%k|%s|%h\\n']);
  assert.is(formatted.code, 0, formatted.err);
  const lines = formatted.out.trim().split('\n').sort();
  assert.is(lines.length, 3);
  // Same key, same partition (murmur2, as the Java client), in order.
  const k1 = lines.filter((l) => l.includes('|k1|'));
  assert.is(k1.length, 2);
  const [, p1, o1, , v1, h1] = k1[0]!.split('|');
  const [, p2, o2, , v2] = k1[1]!.split('|');
  assert.is(p1, p2);
  assert.equal([o1, v1, o2, v2], ['0', 'hello', '1', 'again']);
  assert.is(h1, 'source=cli,v=1');

  const json = await skein(['consume', 'orders', '--from-beginning', '--exit', '--json']);
  const records = json.out.trim().split('\n').map((l) => JSON.parse(l) as { partition: number; offset: number; key: string; value: string; headers: Record<string, string>; timestamp: number });
  assert.is(records.length, 3);
  assert.equal(records.map((r) => r.value).sort(), ['again', 'hello', 'world']);
  assert.equal(records[0]!.headers, { source: 'cli', v: '1' });
  assert.ok(records.every((r) => Math.abs(r.timestamp - Date.now()) < 3_600_000));

  const one = await skein(['consume', 'orders', '--partition', String(p1), '--offset', '1', '--max-messages', '1']);
  assert.is(one.code, 0, one.err);
  assert.is(one.out, 'again\n');

  const pinned = await skein(['produce', 'orders', '--partition', '1', '--json'], 'a\nb\n');
  assert.equal(JSON.parse(pinned.out), { topic: 'orders', records: 2, partitions: { '1': 2 } });

  const file = join(tempDir(), 'lines.txt');
  writeFileSync(file, Array.from({ length: 2500 }, (_, i) => `line-${i}`).join('\n') + '\n');
  const fromFile = await skein(['produce', 'bulk', '--file', file, '--batch-size', '1000']);
  assert.is(fromFile.code, 0, fromFile.err);
  assert.is(fromFile.out, 'produced 2500 records to bulk\n');
  const counted = await skein(['consume', 'bulk', '--from-beginning', '--exit']);
  assert.is(counted.out.trim().split('\n').length, 2500);
  assert.is(counted.out.split('\n')[2499], 'line-2499');
});

test('groups: consume --group commits, describe shows lag per partition, reset-offsets, delete', async () => {
  assert.is((await skein(['topics', 'create', 'events', '--partitions', '2'])).code, 0);
  await skein(['produce', 'events', '--partition', '0'], 'a\nb\nc\nd\n');
  await skein(['produce', 'events', '--partition', '1'], 'e\nf\n');
  const first = await skein(['consume', 'events', '--group', 'audit', '--from-beginning', '--partition', '0', '--max-messages', '3']);
  assert.is(first.out, 'a\nb\nc\n');
  const next = await skein(['consume', 'events', '--group', 'audit', '--partition', '0', '--exit']);
  assert.is(next.out, 'd\n', 'resumes from the committed offset');
  await skein(['produce', 'events', '--partition', '0'], 'g\n');

  const listed = await skein(['groups', 'list', '--json']);
  assert.ok((JSON.parse(listed.out) as Array<{ groupId: string }>).some((g) => g.groupId === 'audit'));
  const described = await skein(['groups', 'describe', 'audit', '--json']);
  assert.is(described.code, 0, described.err);
  const group = JSON.parse(described.out) as { state: string; partitions: Array<{ partition: number; committedOffset: number; logEndOffset: number; lag: number }>; totalLag: number };
  assert.is(group.state, 'Empty');
  assert.equal(group.partitions.map((p) => [p.partition, p.committedOffset, p.logEndOffset, p.lag]), [[0, 4, 5, 1]]);
  assert.is(group.totalLag, 1);
  const text = await skein(['groups', 'describe', 'audit']);
  assert.match(text.out, 'group audit: Empty, 0 members, total lag 1');
  assert.match(text.out, 'events\t0\t4\t5\t1\t-');

  const reset = await skein(['groups', 'reset-offsets', 'audit', '--topic', 'events', '--to-earliest']);
  assert.is(reset.code, 0, reset.err);
  const after = JSON.parse((await skein(['groups', 'describe', 'audit', '--json'])).out) as { totalLag: number; partitions: Array<{ lag: number }> };
  assert.is(after.totalLag, 5 + 2);
  const toOffset = await skein(['groups', 'reset-offsets', 'audit', '--topic', 'events', '--partition', '1', '--to-offset', '1', '--json']);
  assert.equal(JSON.parse(toOffset.out), { groupId: 'audit', topic: 'events', offsets: { '1': 1 } });
  const noTarget = await skein(['groups', 'reset-offsets', 'audit', '--topic', 'events']);
  assert.is(noTarget.code, 2);

  const deleted = await skein(['groups', 'delete', 'audit']);
  assert.is(deleted.code, 0, deleted.err);
  const gone = await skein(['groups', 'describe', 'audit']);
  assert.is(gone.code, 4);
  assert.match(gone.err, 'group audit does not exist');
});

test('topics alter-config and add-partitions; describe --json', async () => {
  assert.is((await skein(['topics', 'create', 'configs', '--config', 'retention.ms=60000'])).code, 0);
  const altered = await skein(['topics', 'alter-config', 'configs', '--set', 'segment.bytes=1048576']);
  assert.is(altered.code, 0, altered.err);
  const removed = await skein(['topics', 'alter-config', 'configs', '--delete', 'retention.ms']);
  assert.is(removed.code, 0, removed.err);
  const grown = await skein(['topics', 'add-partitions', 'configs', '--total', '4']);
  assert.is(grown.code, 0, grown.err);
  const described = JSON.parse((await skein(['topics', 'describe', 'configs', '--json'])).out) as { partitions: unknown[]; overrides: Record<string, string> };
  assert.is(described.partitions.length, 4);
  assert.equal(described.overrides, { 'segment.bytes': '1048576' });
  const shrink = await skein(['topics', 'add-partitions', 'configs', '--total', '2']);
  assert.is(shrink.code, 1);
  assert.match(shrink.err, 'INVALID_PARTITIONS');
  const listed = JSON.parse((await skein(['topics', 'list', '--json'])).out) as Array<{ name: string; partitions: number }>;
  assert.ok(listed.some((t) => t.name === 'configs' && t.partitions === 4));
});

test('log inspect: segments and batches of a folder; a flipped byte is a CRC error (exit 5); not a log (exit 5)', async () => {
  await skein(['topics', 'create', 'inspected']);
  await skein(['produce', 'inspected'], 'one\ntwo\nthree\n');
  await skein(['produce', 'inspected'], 'four\n');
  const folder = join(dataDir, 'inspected-0');
  const good = await runSkein(['log', 'inspect', folder, '--batches', '--json']);
  assert.is(good.code, 0, good.err);
  const report = JSON.parse(good.out) as { damaged: boolean; partitions: Array<{ segments: Array<{ batches: number; records: number; firstOffset: number; lastOffset: number; batchList: Array<{ baseOffset: number; crcValid: boolean; size: number }> }> }> };
  const segment = report.partitions[0]!.segments[0]!;
  assert.equal([segment.batches, segment.records, segment.firstOffset, segment.lastOffset], [2, 4, 0, 3]);
  assert.ok(segment.batchList.every((b) => b.crcValid));
  const text = await runSkein(['log', 'inspect', folder, '--batches']);
  assert.match(text.out, 'offsets 0..3, 2 batches, 4 records');
  assert.match(text.out, 'baseOffset: 3 lastOffset: 3 count: 1');

  const copy = join(tempDir(), 'inspected-0');
  cpSync(folder, copy, { recursive: true });
  const log = join(copy, '00000000000000000000.log');
  const fd = openSync(log, 'r+');
  const byte = Buffer.alloc(1);
  const at = segment.batchList[0]!.size + 70; // inside the second batch's records
  readSync(fd, byte, 0, 1, at);
  byte[0] = byte[0]! ^ 0xff;
  writeSync(fd, byte, 0, 1, at);
  closeSync(fd);
  const damaged = await runSkein(['log', 'inspect', copy]);
  assert.is(damaged.code, 5);
  assert.match(damaged.out, '1 CRC error');
  assert.match(damaged.out, 'DAMAGED: CRC mismatch in the batch at position');
  assert.match(damaged.err, 'damaged batches found');

  const notLog = await runSkein(['log', 'inspect', tempDir()]);
  assert.is(notLog.code, 5);
  assert.match(notLog.err, 'is not a Skein log');
  const whole = await runSkein(['log', 'inspect', dataDir, '--json']);
  assert.ok((JSON.parse(whole.out) as { partitions: Array<{ dir: string }> }).partitions.some((p) => p.dir.endsWith('inspected-0')));
});

test('bench: produces and fetches back what it says', async () => {
  const result = await skein(['bench', '--topic', 'benched', '--records', '5000', '--size', '50', '--batch', '500', '--json']);
  assert.is(result.code, 0, result.err);
  const r = JSON.parse(result.out) as { records: number; produce: { recordsPerSecond: number }; consume: { records: number; recordsPerSecond: number } };
  assert.is(r.records, 5000);
  assert.is(r.consume.records, 5000);
  assert.ok(r.produce.recordsPerSecond > 0 && r.consume.recordsPerSecond > 0);
  const described = JSON.parse((await skein(['topics', 'describe', 'benched', '--json'])).out) as { partitions: Array<{ endOffset: number }> };
  assert.is(described.partitions[0]!.endOffset, 5000);
});

test('bad input: one line on stderr and a meaningful exit code', async () => {
  const unknownFlag = await skein(['topics', 'list', '--bogus']);
  assert.is(unknownFlag.code, 2);
  assert.match(unknownFlag.err, "unknown option '--bogus'");
  const noBroker = await runSkein(['consume', 'orders', '--bootstrap', '127.0.0.1:1']);
  assert.is(noBroker.code, 3);
  assert.match(noBroker.err, 'cannot reach a broker at 127.0.0.1:1');
  const missingTopic = await skein(['consume', 'nope', '--exit']);
  assert.is(missingTopic.code, 4);
  assert.is(missingTopic.err, 'skein: topic nope: UNKNOWN_TOPIC_OR_PARTITION (skein topics list shows the topics there are)\n');
  const missingPartition = await skein(['consume', 'orders', '--partition', '9', '--exit']);
  assert.is(missingPartition.code, 4);
  const offsetWithoutPartition = await skein(['consume', 'orders', '--offset', '3']);
  assert.is(offsetWithoutPartition.code, 2);
  const noSeparator = await skein(['produce', 'orders', '--key-separator', ':'], 'no separator here\n');
  assert.is(noSeparator.code, 2);
  assert.match(noSeparator.err, 'line 1 has no key separator');
  const badBootstrap = await runSkein(['topics', 'list', '--bootstrap', 'nonsense']);
  assert.is(badBootstrap.code, 2);

  const unwritable = await runSkein(['serve', '--dir', '/proc/skein', '--port', '0']);
  assert.is(unwritable.code, 1);
  assert.match(unwritable.err, 'the data folder /proc/skein is not writable');

  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as AddressInfo).port;
  const inUse = await runSkein(['serve', '--dir', join(tempDir(), 'd'), '--port', String(port)]);
  taken.close();
  assert.is(inUse.code, 1);
  assert.match(inUse.err, 'the port is already in use');
});

test('the broker address from SKEIN_BOOTSTRAP, then the config file', async () => {
  const fromEnv = await runSkein(['topics', 'list'], { env: { ...process.env, SKEIN_BOOTSTRAP: bootstrap, SKEIN_CONFIG: '' } });
  assert.is(fromEnv.code, 0, fromEnv.err);
  assert.match(fromEnv.out, 'orders\t3 partitions');
  const cwd = tempDir();
  writeFileSync(join(cwd, 'skein.config.json'), JSON.stringify({ bootstrap }));
  const fromFile = await runSkein(['topics', 'list'], { cwd, env: { ...process.env, SKEIN_BOOTSTRAP: '', SKEIN_CONFIG: '' } });
  assert.is(fromFile.code, 0, fromFile.err);
  assert.match(fromFile.out, 'orders\t3 partitions');
  writeFileSync(join(cwd, 'skein.config.json'), '{ not json');
  const broken = await runSkein(['topics', 'list'], { cwd, env: { ...process.env, SKEIN_BOOTSTRAP: '', SKEIN_CONFIG: '' } });
  assert.is(broken.code, 2);
  assert.match(broken.err, 'is not valid JSON');
});

test('--help and protocol-only commands work without the native addon; addon commands say what is missing', async () => {
  // A copy of the compiled sources with no build/ folder next to it: the addon cannot load.
  const root = tempDir('skein-no-addon-');
  cpSync(join(REPO, 'out', 'src'), join(root, 'out', 'src'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'bin'));
  const entry = join(root, 'bin', 'skein.mjs');
  writeFileSync(entry, "import { flushAndExit, main } from '../out/src/cli/main.js';\nflushAndExit(await main(process.argv));\n");
  const help = await runSkein(['--help'], { entry });
  assert.is(help.code, 0, help.err);
  assert.match(help.out, 'consume [options] <topic>');
  assert.is((await runSkein(['consume', '--help'], { entry })).code, 0);
  const listed = await runSkein(['topics', 'list', '--bootstrap', bootstrap], { entry });
  assert.is(listed.code, 0, listed.err);
  assert.match(listed.out, 'orders');
  const inspect = await runSkein(['log', 'inspect', dataDir], { entry });
  assert.is(inspect.code, 1);
  assert.match(inspect.err, 'the native addon is not built');
});

test.run();
