/**
 * The README's examples, run as a user runs them, so a broken example fails CI: every ```js
 * and ```sh block is extracted and run in a fresh folder where `skein` is installed
 * (node_modules/skein is this checkout, node_modules/.bin/skein its bin/skein.js, and dist/ is
 * rebuilt first), `node example.mjs` for js and `bash -e` for sh, and must exit 0.
 *
 * A block that talks to a broker (it names 127.0.0.1:9092 or runs a `skein` client command)
 * gets one: `skein serve` started by the test in that folder (data in ./skein-data, as the
 * default), on a free port that replaces 127.0.0.1:9092 in the block and is SKEIN_BOOTSTRAP.
 * An HTML comment right above a block may say `readme-test: skip (why)` (installs, or runs the
 * whole suite) or `readme-test: server` (each line is a long-running server: it must print
 * that it listens, then SIGTERM must stop it with exit 0; --port and --http-port become 0). Lines saying
 * `// prints: …` must appear in the output. Each folder is removed afterwards.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { startServe } from '../cli/helpers/cli-child.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO, 'bin', 'skein.js');

interface Block {
  lang: 'js' | 'sh';
  code: string;
  line: number;
  directive: string | undefined;
}

function extractBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(js|sh)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    const above = lines[start - 1] ?? '';
    const directive = /^<!-- readme-test: (.*) -->$/.exec(above)?.[1];
    blocks.push({ lang: open[1] as 'js' | 'sh', code: body.join('\n') + '\n', line: start + 1, directive });
  }
  return blocks;
}

/** A fresh folder where `import 'skein'`, `import 'kafkajs'` and `npx skein` work as after `npm install skein kafkajs`. */
function userFolder(): string {
  const dir = tempDir('skein-readme-');
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(REPO, join(dir, 'node_modules', 'skein'));
  symlinkSync(join(REPO, 'node_modules', 'kafkajs'), join(dir, 'node_modules', 'kafkajs'));
  symlinkSync(BIN, join(dir, 'node_modules', '.bin', 'skein'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-example', private: true, type: 'module' }));
  return dir;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

const blocks = extractBlocks(readFileSync(join(REPO, 'README.md'), 'utf8'));
const baseEnv = { ...process.env, SKEIN_BOOTSTRAP: '', SKEIN_CONFIG: '', npm_config_yes: 'false', npm_config_update_notifier: 'false' };

test.before(() => {
  // bin/skein.js and `import 'skein'` use dist/: build it from this checkout, as `npm pack` would.
  const built = spawnSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.build.json')], { encoding: 'utf8', timeout: 300_000 });
  if (built.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed: ${built.stdout}${built.stderr}`);
});
test.after(cleanupTempDirs);

test('the README has runnable js and sh examples, and says why when one is skipped', () => {
  assert.ok(blocks.filter((b) => b.lang === 'js').length >= 4);
  assert.ok(blocks.filter((b) => b.lang === 'sh').length >= 4);
  for (const b of blocks) {
    if (b.directive === undefined) continue;
    assert.ok(/^skip \(.+\)$/.test(b.directive) || b.directive.startsWith('server'), `line ${b.line}: unknown directive ${b.directive}`);
  }
  assert.ok(blocks.filter((b) => b.directive?.startsWith('skip')).length <= 3, 'at most the install, cluster (needs etcd) and develop blocks are skipped');
});

const needsBroker = (code: string) => code.includes('127.0.0.1:9092') || /npx skein (topics|produce|consume|groups|records)/.test(code);

for (const block of blocks) {
  const title = `README line ${block.line}: ${block.lang} ${block.code.split('\n')[0]!.slice(0, 60)}`;
  if (block.directive?.startsWith('skip')) continue;
  test(title, async () => {
    const dir = userFolder();
    const env: NodeJS.ProcessEnv = { ...baseEnv };
    let code = block.code;

    if (block.directive?.startsWith('server')) {
      for (const line of code.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean)) {
        const args = line.replace(/^npx skein /, '').split(/\s+/);
        assert.is(args[0], 'serve', `a server line runs skein serve: ${line}`);
        for (const flag of ['--port', '--http-port']) {
          const at = args.indexOf(flag);
          if (at >= 0) args[at + 1] = '0';
        }
        const server = await startServeIn(dir, args.slice(1));
        assert.match(server.stdout(), 'skein listening on 127.0.0.1:');
        assert.is(await server.stop(), 0, server.stderr());
      }
      return;
    }

    let server: Awaited<ReturnType<typeof startServe>> | undefined;
    if (needsBroker(code)) {
      server = await startServeIn(dir, ['--log-level', 'warn']);
      code = code.replaceAll('127.0.0.1:9092', server.bootstrap);
      env.SKEIN_BOOTSTRAP = server.bootstrap;
    }
    try {
      let result;
      if (block.lang === 'js') {
        writeFileSync(join(dir, 'example.mjs'), code);
        result = await run(process.execPath, ['example.mjs'], dir, env);
      } else {
        writeFileSync(join(dir, 'example.sh'), code);
        result = await run('bash', ['-e', '-o', 'pipefail', 'example.sh'], dir, env);
      }
      assert.is(result.code, 0, `exit ${result.code}\nstdout: ${result.out}\nstderr: ${result.err}`);
      for (const m of code.matchAll(/\/\/ prints: (.*)$/gm)) assert.ok(result.out.includes(m[1]!.trim()), `expected "${m[1]}" in:\n${result.out}`);
    } finally {
      if (server) assert.is(await server.stop(), 0, `the test's broker did not stop cleanly: ${server.stderr()}`);
    }
  });
}

/** `skein serve` via bin/skein.js in the user's folder (port 0 unless the args say otherwise). */
function startServeIn(dir: string, args: string[]) {
  return startServe(args, BIN, dir);
}

test.run();
