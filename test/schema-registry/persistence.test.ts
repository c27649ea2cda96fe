/**
 * Registry contents survive a clean restart and a SIGKILL: subjects, versions, global ids,
 * soft deletes and configs come back from `_schemas`, ids stay stable, and new ids continue
 * after the highest one stored.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./registry-child.js', import.meta.url));
const schema = (n: number) => JSON.stringify({ type: 'record', name: 'P', fields: [{ name: 'a', type: 'int' }, ...Array.from({ length: n }, (_, i) => ({ name: `x${i}`, type: 'long', default: 0 }))] });

test('a clean restart keeps subjects, versions, ids, deletes and configs', async () => {
  const dir = join(tempDir(), 'data');
  let skein = await Skein.open({ dir });
  let registry = await skein.schemaRegistry();
  for (let n = 0; n < 4; n++) await registry.register('p-value', schema(n));
  await registry.register('q-value', schema(2));
  await registry.setConfig('q-value', 'FULL_TRANSITIVE');
  await registry.setConfig(null, 'FORWARD');
  await registry.deleteVersion('p-value', 2);
  await registry.setMode('r', 'READONLY');
  const encoded = registry.encode({ subject: 'q-value' }, { a: 5, x0: 1, x1: 2 });
  await skein.close();

  skein = await Skein.open({ dir });
  try {
    registry = await skein.schemaRegistry();
    assert.equal(registry.listSubjects(), ['p-value', 'q-value']);
    assert.equal(registry.listVersions('p-value'), [1, 3, 4]);
    assert.equal(registry.listVersions('p-value', { deleted: true }), [1, 2, 3, 4]);
    assert.equal(registry.getVersion('q-value', 1).id, 3, 'q reuses the id of the identical schema');
    assert.is(registry.getConfig('q-value'), 'FULL_TRANSITIVE');
    assert.is(registry.getConfig(null), 'FORWARD');
    assert.is(registry.getMode('r'), 'READONLY');
    assert.equal(JSON.parse(JSON.stringify(registry.decode(encoded))), { a: 5, x0: 1, x1: 2 });
    assert.equal(await registry.register('new', schema(9)), { id: 5, version: 1 }, 'ids continue after the highest');
  } finally {
    await skein.close();
  }
});

test('SIGKILL: every acknowledged registration is there after reopening', async () => {
  const dir = join(tempDir(), 'data');
  const child = spawn(process.execPath, [CHILD, dir, '12'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const safety = setTimeout(() => child.kill('SIGKILL'), 30_000);
  // Kill it part-way: after the 5th acknowledgement (more may be in flight).
  while (!/registered 5 /.test(out)) {
    if (child.exitCode !== null) assert.unreachable(`child exited: ${err}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  await exited;
  clearTimeout(safety);
  const acked = [...out.matchAll(/registered (\d+) (\d+)/g)].map((m) => ({ version: Number(m[1]), id: Number(m[2]) }));
  assert.ok(acked.length >= 5);

  const skein = await Skein.open({ dir });
  try {
    const registry = await skein.schemaRegistry();
    const versions = registry.listVersions('kill-me');
    for (const { version, id } of acked) {
      assert.ok(versions.includes(version), `version ${version} survived`);
      assert.is(registry.getVersion('kill-me', version).id, id, `version ${version} keeps id ${id}`);
    }
    // Anything past the acknowledged ones is whole: versions run 1..n without holes.
    assert.equal(versions, Array.from({ length: versions.length }, (_, i) => i + 1));
  } finally {
    await skein.close();
  }
});

test('_schemas is compacted by the log cleaner and replays to the same registry', async () => {
  const dir = join(tempDir(), 'data');
  let skein = await Skein.open({ dir, logCleanerIntervalMs: 0 });
  // Created ahead with small segments, so the records roll into segments the cleaner may clean.
  await skein.broker.createTopic({ topic: '_schemas', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '2048' }] });
  let registry = await skein.schemaRegistry();
  for (let n = 0; n < 30; n++) {
    await registry.setConfig('c', n % 2 === 0 ? 'FULL' : 'NONE');
    await registry.register('c', schema(n));
  }
  await registry.deleteSubject('c');
  await registry.register('d', schema(0));
  const versions = registry.listVersions('c', { deleted: true });
  for (let i = 0; i < 40; i++) await registry.setMode('m', i % 2 === 0 ? 'READONLY' : 'READWRITE');
  const before = skein.broker.offsets('_schemas', 0).highWatermark;
  const round = await skein.broker.runLogCleaner();
  assert.is(round.partitionsCleaned, 1);
  await skein.close();

  skein = await Skein.open({ dir, logCleanerIntervalMs: 0 });
  try {
    registry = await skein.schemaRegistry();
    assert.equal(registry.listVersions('c', { deleted: true }), versions);
    assert.equal(registry.listSubjects(), ['d']);
    assert.is(registry.getConfig('c'), 'NONE');
    assert.is(registry.getMode('m'), 'READWRITE');
    assert.is(registry.getVersion('d', 1).id, 1, 'd reuses the id of schema(0)');
    assert.ok(before > 100);
  } finally {
    await skein.close();
  }
});

test.run();
