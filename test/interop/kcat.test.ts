/**
 * kcat (librdkafka 2.0.2 on Debian) against `skein.listen()`, as a child process: metadata
 * listing, produce from a file with keys and headers (plain and idempotent), consume by
 * partition to the end, and consume as a consumer group that commits and, run again, resumes
 * after what it committed. Keys, values and headers come back byte for byte.
 *
 * kcat is a system package (.ci/run installs it); without it the tests are skipped, saying so.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { KCAT_AVAILABLE, runKcat, type KcatRun as Run } from '../helpers/kcat.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../helpers/random.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { serveSkein, type Served } from './helpers/skein-server.js';

const KCAT = KCAT_AVAILABLE;
const check = KCAT ? test : test.skip;
if (!KCAT) console.log('kcat is not installed (apt-get install kcat): skipping the kcat interop tests');

/** Record and key separators for kcat's -D/-K and -f: bytes that never occur in the test data. */
const RS = 0x1e;
const US = 0x1f;

let served: Served;

test.before(async () => {
  if (KCAT) served = await serveSkein({ numPartitions: 3 });
});

test.after(async () => {
  if (served) await served.close();
  cleanupTempDirs();
});

const kcat = (args: string[]): Promise<Run> => runKcat(served.bootstrap, args);

interface Sample {
  key: string;
  value: string;
}

/** Keys and values of printable ASCII, UTF-8, tabs and newlines: anything but the separators. */
function samples(count: number, seed: number): Sample[] {
  const random = new Random(seed);
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \t\n{}[]":,.-_=+é漢字🙂';
  const chars = [...alphabet];
  const text = (min: number, max: number) => Array.from({ length: random.int(min, max) }, () => chars[random.int(0, chars.length - 1)]).join('');
  return Array.from({ length: count }, (_, i) => ({ key: `key-${i}-${text(0, 8)}`, value: `${i}:${text(1, 200)}` }));
}

function inputFile(rows: Sample[]): string {
  const path = join(tempDir('skein-kcat-'), 'input');
  const parts: Buffer[] = [];
  for (const r of rows) parts.push(Buffer.from(r.key), Buffer.from([US]), Buffer.from(r.value), Buffer.from([RS]));
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

interface Consumed {
  key: string;
  value: string;
  headers: string;
  partition: number;
}

/** Parses -f '%p\x1f%k\x1f%s\x1f%h\x1e' output. */
function parse(stdout: Buffer): Consumed[] {
  const rows: Consumed[] = [];
  let start = 0;
  for (let i = 0; i < stdout.length; i++) {
    if (stdout[i] !== RS) continue;
    const fields: string[] = [];
    let from = start;
    for (let j = start; j <= i; j++) {
      if (j === i || (stdout[j] === US && fields.length < 3)) {
        fields.push(stdout.subarray(from, j).toString('utf8'));
        from = j + 1;
      }
    }
    rows.push({ partition: Number(fields[0]), key: fields[1]!, value: fields[2]!, headers: fields[3]! });
    start = i + 1;
  }
  return rows;
}

const FORMAT = '%p\\x1f%k\\x1f%s\\x1f%h\\x1e';
const byKey = (rows: Array<{ key: string }>) => [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

check('kcat -L lists this broker as controller and the topics with their partitions', async () => {
  await served.skein.admin.createTopics({ topics: [{ topic: 'listed', numPartitions: 4 }] });
  const run = await kcat(['-L', '-t', 'listed']);
  assert.is(run.code, 0, run.stderr);
  const text = run.stdout.toString();
  assert.match(text, `broker 0 at ${served.bootstrap} (controller)`);
  assert.match(text, 'topic "listed" with 4 partitions');
});

check('kcat -P from a file (keys -K, headers -H), then -C -e: every byte comes back', async () => {
  const rows = samples(500, 1);
  const produced = await kcat(['-P', '-t', 'kc', '-D', '\\x1e', '-K', '\\x1f', '-H', 'source=kcat', '-H', 'trace=t-1', '-l', inputFile(rows)]);
  assert.is(produced.code, 0, produced.stderr);
  const ends = await served.skein.admin.fetchTopicOffsets('kc');
  assert.is(ends.reduce((n, p) => n + Number(p.high), 0), rows.length);

  const consumed = await kcat(['-C', '-t', 'kc', '-e', '-o', 'beginning', '-f', FORMAT]);
  assert.is(consumed.code, 0, consumed.stderr);
  const got = parse(consumed.stdout);
  assert.equal(byKey(got.map(({ key, value }) => ({ key, value }))), byKey(rows));
  for (const row of got) assert.is(row.headers, 'source=kcat,trace=t-1');
  // librdkafka's default partitioner is consistent: one key, one partition, and all three used.
  assert.is(new Set(got.map((r) => r.partition)).size, 3);
});

check('kcat -P with enable.idempotence=true writes each record once', async () => {
  const rows = samples(200, 2);
  const produced = await kcat(['-P', '-t', 'kc-idem', '-X', 'enable.idempotence=true', '-D', '\\x1e', '-K', '\\x1f', '-l', inputFile(rows)]);
  assert.is(produced.code, 0, produced.stderr);
  const consumed = await kcat(['-C', '-t', 'kc-idem', '-e', '-o', 'beginning', '-f', FORMAT]);
  assert.is(consumed.code, 0, consumed.stderr);
  assert.equal(byKey(parse(consumed.stdout).map(({ key, value }) => ({ key, value }))), byKey(rows));
});

check('kcat -G consumes as a group, commits, and a second run of the group resumes after it', async () => {
  const rows = samples(300, 3);
  const produced = await kcat(['-P', '-t', 'kc-group', '-D', '\\x1e', '-K', '\\x1f', '-H', 'n=1', '-l', inputFile(rows)]);
  assert.is(produced.code, 0, produced.stderr);
  const first = await kcat(['-G', 'kgroup', '-e', '-X', 'auto.offset.reset=earliest', '-f', FORMAT, 'kc-group']);
  assert.is(first.code, 0, first.stderr);
  const got = parse(first.stdout);
  assert.equal(byKey(got.map(({ key, value }) => ({ key, value }))), byKey(rows), 'every record once');
  for (const row of got) assert.is(row.headers, 'n=1');

  const committed = served.skein.broker.groups.committedOffsets('kgroup');
  const ends = await served.skein.admin.fetchTopicOffsets('kc-group');
  assert.equal(
    committed.map((c) => [c.partition, c.offset]),
    ends.map((e) => [e.partition, Number(e.high)]).sort((a, b) => a[0]! - b[0]!),
    'positions committed at the end of every partition',
  );

  const more = samples(20, 4).map((r) => ({ key: `more-${r.key}`, value: r.value }));
  assert.is((await kcat(['-P', '-t', 'kc-group', '-D', '\\x1e', '-K', '\\x1f', '-l', inputFile(more)])).code, 0);
  const second = await kcat(['-G', 'kgroup', '-e', '-X', 'auto.offset.reset=earliest', '-f', FORMAT, 'kc-group']);
  assert.is(second.code, 0, second.stderr);
  assert.equal(byKey(parse(second.stdout).map(({ key, value }) => ({ key, value }))), byKey(more), 'only what came after the commit');
  assert.equal(served.problems, []);
});

test.run();
