#!/usr/bin/env node
// Runs every compiled test file (out/test/**/*.test.js) in its own Node process, so a test
// that crashes or kills children cannot take the others down, then prints one closing line
// "N passed, N failed" summing the uvu totals of every file. A file that dies without a
// uvu summary counts as one failure. Usage: node scripts/run-tests.mjs [filter...]
// A file still running after FILE_TIMEOUT_MS is killed and fails (tests carry their own,
// shorter timeouts: test/helpers/timeout.ts). A compiled file whose test/*.ts source is gone
// (a deleted or renamed test left in out/) is not run: `npm test` also empties out/test first.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const testRoot = join(root, 'out', 'test');
const filters = process.argv.slice(2);
const FILE_TIMEOUT_MS = Number(process.env.SKEIN_TEST_FILE_TIMEOUT_MS ?? 5 * 60 * 1000);

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.js') && hasSource(path)) found.push(path);
  }
  return found;
}

/** The compiled test's source still exists (out/test/a/b.test.js ← test/a/b.test.ts). */
function hasSource(compiled) {
  const source = join(root, 'test', relative(testRoot, compiled)).replace(/\.js$/, '.ts');
  if (existsSync(source)) return true;
  console.log(`skipping ${relative(root, compiled)}: its source ${relative(root, source)} is gone`);
  return false;
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--expose-gc', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; process.stdout.write(chunk); });
    child.stderr.on('data', (chunk) => { output += chunk; process.stderr.write(chunk); });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ output, code, signal: timedOut ? `a kill after the ${FILE_TIMEOUT_MS / 1000} s file timeout` : signal, ms: Date.now() - started });
    });
  });
}

function summaryOf(output) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const total = plain.match(/Total:\s+(\d+)/g);
  const passed = plain.match(/Passed:\s+(\d+)/g);
  const skipped = plain.match(/Skipped:\s+(\d+)/g);
  if (!total || !passed) return null;
  const last = (list) => Number(list[list.length - 1].match(/(\d+)/)[1]);
  return { total: last(total), passed: last(passed), skipped: skipped ? last(skipped) : 0 };
}

const files = findTests(testRoot).filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)));
let passed = 0;
let failed = 0;
let skipped = 0;
const report = [];
for (const file of files) {
  const name = relative(testRoot, file);
  console.log(`\n# ${name}`);
  const { output, code, signal, ms } = await runFile(file);
  const summary = summaryOf(output);
  if (!summary) {
    failed += 1;
    report.push(`FAIL ${name}: exited ${signal ?? code} without a uvu summary (${ms} ms)`);
    continue;
  }
  // uvu's Total counts the tests that ran; test.skip() ones are only in Skipped (subtracting
  // them too gave -1 for a file with a skipped test, which hid a failure elsewhere in the sum).
  const fileFailed = Math.max(0, summary.total - summary.passed);
  // uvu exits non-zero on failure; a non-zero exit with a clean summary still counts as a failure.
  const extra = fileFailed === 0 && code !== 0 ? 1 : 0;
  passed += summary.passed;
  failed += fileFailed + extra;
  skipped += summary.skipped;
  report.push(`${fileFailed + extra === 0 ? 'ok  ' : 'FAIL'} ${name}: ${summary.passed} passed, ${fileFailed + extra} failed (${ms} ms)`);
}
console.log('\n' + report.join('\n'));
if (files.length === 0) {
  console.log('no test files found under out/test');
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 ? 0 : 1);
