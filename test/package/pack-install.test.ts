/**
 * What `npm install skein` gets: the files `npm pack` puts in the tarball (dist, bin, the
 * prebuilt addon, the console, native sources for the compile fallback, LICENSE; no tests,
 * sources or build output), and an install of that tarball into a clean folder with the
 * compiler hidden (PATH holds node, npm and sh only, and g++/c++/make there fail loudly): Skein's
 * install script (node-gyp-build) must find the prebuilt linux-x64 binary rather than compile,
 * and the installed package opens, produces, consumes, and runs `skein`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const NPM = '/usr/bin/npm';

test.before(() => {
  const built = spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.build.json')], { encoding: 'utf8', timeout: 300_000 });
  if (built.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed: ${built.stdout}${built.stderr}`);
});
test.after(cleanupTempDirs);

let tarball = '';

test('npm pack: what the tarball holds', () => {
  const out = tempDir('skein-pack-');
  const packed = spawnSync(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  assert.is(packed.status, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(out, info!.filename);
  const files = new Set(info!.files.map((f) => f.path));
  for (const wanted of [
    'package.json',
    'README.md',
    'LICENSE',
    'bin/skein.js',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/cli/main.js',
    'dist/admin/admin-server.js',
    'dist/native/binding.js',
    'prebuilds/linux-x64/skein.node',
    'console/index.html',
    'console/console.js',
    'console/console.css',
    'binding.gyp',
    'native/addon.cc',
  ]) {
    assert.ok(files.has(wanted), `the tarball lacks ${wanted}`);
  }
  for (const path of files) {
    assert.not.match(path, /^(src|test|out|build|bench|scripts|docs|node_modules|\.ci)\//, `the tarball should not hold ${path}`);
  }
});

test('an install of the tarball with the compiler hidden uses the prebuilt addon', async () => {
  assert.ok(tarball, 'the pack test ran first');
  const app = tempDir('skein-install-');
  // A PATH with node, npm and sh only; a compiler or make, if anything asked for one, fails.
  const bin = join(app, '.bin-no-compiler');
  mkdirSync(bin);
  for (const tool of ['node', 'npm', 'sh']) symlinkSync(tool === 'sh' ? '/bin/sh' : tool === 'node' ? process.execPath : NPM, join(bin, tool));
  for (const tool of ['g++', 'c++', 'gcc', 'cc', 'make']) {
    writeFileSync(join(bin, tool), '#!/bin/sh\necho "compiler hidden by the test: $0 was called" >&2\nexit 1\n');
    chmodSync(join(bin, tool), 0o755);
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'skein-install-check', private: true, type: 'module' }));
  const env = { HOME: process.env.HOME, PATH: bin, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  // Dependencies' own install scripts are skipped: zstd-napi fetches its prebuilt binary from
  // GitHub (unreachable here) or compiles. Skein's install script then runs on its own, as
  // `npm install` would run it, with the compiler hidden.
  const installed = spawnSync(NPM, ['install', '--no-package-lock', '--prefer-offline', '--ignore-scripts', tarball], { cwd: app, env, encoding: 'utf8', timeout: 480_000 });
  assert.is(installed.status, 0, `npm install failed:\n${installed.stdout}\n${installed.stderr}`);
  const script = spawnSync(NPM, ['rebuild', 'skein', '--foreground-scripts'], { cwd: app, env, encoding: 'utf8', timeout: 120_000 });
  assert.is(script.status, 0, `skein's install script failed:\n${script.stdout}\n${script.stderr}`);
  assert.not.match(script.stderr, 'compiler hidden by the test');
  const pkg = join(app, 'node_modules', 'skein');
  assert.not.ok(existsSync(join(pkg, 'build')), 'nothing was compiled');
  assert.equal(readdirSync(join(pkg, 'prebuilds')), ['linux-x64']);

  writeFileSync(
    join(app, 'smoke.mjs'),
    `import { Skein } from 'skein';
const skein = await Skein.open({ dir: './data' });
const producer = skein.producer();
await producer.send({ topic: 't', messages: [{ key: 'k', value: 'installed' }] });
const consumer = skein.consumer({ groupId: 'g' });
await consumer.subscribe({ topic: 't', fromBeginning: true });
const got = new Promise((resolve) => consumer.run({ eachMessage: async ({ message }) => resolve(message.value.toString()) }));
console.log(await got);
await skein.close();
`,
  );
  const smoke = spawnSync(process.execPath, ['smoke.mjs'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
  assert.is(smoke.status, 0, smoke.stderr);
  assert.is(smoke.stdout, 'installed\n');
  const inspect = spawnSync(process.execPath, [join(app, 'node_modules', '.bin', 'skein'), 'log', 'inspect', 'data/t-0', '--json'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
  assert.is(inspect.status, 0, inspect.stderr);
  assert.is((JSON.parse(inspect.stdout) as { partitions: Array<{ segments: Array<{ records: number }> }> }).partitions[0]!.segments[0]!.records, 1);
});

test.run();
