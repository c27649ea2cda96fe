#!/usr/bin/env node
// Runs every compiled benchmark (out/bench/*.bench.js) in a fresh process, one after the
// other, so state left on disk or in the heap by one cannot skew the next.
// Usage: node scripts/run-bench.mjs [--quick] [filter...]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));
const dir = join(root, 'out', 'bench');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n# ${file}`);
  const result = spawnSync(process.execPath, ['--expose-gc', join(dir, file)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_QUICK: quick ? '1' : '0' },
  });
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
