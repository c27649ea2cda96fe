/**
 * Child process of kill-during-compaction.test.ts: opens the log in <dir> and compacts it.
 *
 * Usage: node compact-child.js <dir> <step>
 *   step  a step name of PartitionLog.compact's onStep hook: the child SIGKILLs itself there
 *         (the k-th time it is reached: "swap-renamed:2" is the second group's); "random":
 *         compact on the worker thread, over and over, until the parent kills it; "none":
 *         compact once and exit 0.
 * Prints `open`, then `step <name>` at each step (stdout is a synchronous pipe), `compacted`.
 */
import { PartitionLog } from '../../src/storage/partition-log.js';
import { COMPACT_LOG_CONFIG, NOW } from './compact-log-config.js';

const [dir, target] = process.argv.slice(2) as [string, string];
const [targetStep, nthText] = target.split(':');
let seen = 0;
const log = await PartitionLog.open(dir, { config: COMPACT_LOG_CONFIG });
process.stdout.write('open\n');
const onStep = (step: string) => {
  process.stdout.write(`step ${step}\n`);
  if (step === targetStep && ++seen === Number(nthText ?? 1)) process.kill(process.pid, 'SIGKILL');
};
if (target === 'random') {
  for (;;) {
    await log.compact({ force: true, now: NOW });
    process.stdout.write('compacted\n');
  }
} else {
  await log.compact({ force: true, inline: true, now: NOW, onStep });
  process.stdout.write('compacted\n');
  await log.close();
}
