/**
 * One system's run in its own process: `node system-child.js <id> <root> <options json>`.
 * A fresh process per system keeps heaps, page-cache state in the heap and client CPU apart,
 * and a system that crashes its process (an uncaught error in a client library or in Skein)
 * costs only its own figures. Prints "RESULT <json>" (SystemResults) on stdout, also after
 * a crash, with what it had measured.
 */
import { killAll } from './proc.js';
import { note } from './progress.js';
import { loadSystem } from './systems/index.js';
import { runSystem, type SystemResults } from './workloads.js';
import type { RunOptions } from './report-data.js';

const [id, root, optionsJson] = process.argv.slice(2) as [string, string, string];
const options = JSON.parse(optionsJson) as RunOptions;
const results: SystemResults = { systems: [], throughput: [], latency: [], errors: [] };
let printed = false;

function finish(code: number): never {
  killAll();
  if (!printed) {
    printed = true;
    process.stdout.write(`RESULT ${JSON.stringify(results)}\n`);
  }
  process.exit(code);
}

process.on('uncaughtException', (err) => {
  results.errors.push(`${id}: the process crashed: ${(err as Error).stack?.split('\n').slice(0, 3).join(' ') ?? String(err)}`);
  note(`  CRASHED ${id}: ${(err as Error).message}`);
  finish(1);
});
process.on('unhandledRejection', (err) => {
  results.errors.push(`${id}: unhandled rejection: ${(err as Error)?.message ?? String(err)}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => finish(130));

async function main(): Promise<void> {
  let system;
  try {
    system = await loadSystem(id);
  } catch (err) {
    const reason = `could not load its adapter: ${(err as Error).message.split('\n')[0]}`;
    results.systems.push({ id, label: id, version: 'n/a', durability: { policy: 'n/a', ack: 'n/a' }, batching: 'n/a', settings: {}, skipped: reason });
    note(`SKIPPED ${id}: ${reason}`);
    return;
  }
  await runSystem(system, options, root, results);
}

main().then(
  () => finish(0),
  (err) => {
    results.errors.push(`${id}: ${(err as Error).message}`);
    finish(1);
  },
);
