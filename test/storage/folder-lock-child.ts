/**
 * Child process of folder-lock.test.ts. argv: <root> <mode: log|manager> <count>.
 * Prints "ready", waits for "go" on stdin, then tries to open <root>/f0 .. f<count-1> (a
 * PartitionLog or a LogManager each) as fast as it can, keeps every one it got open, prints
 * `{"won":[...]}` and then holds them until stdin closes (or it is killed).
 * With count 1 and "hold" as mode it opens <root>/f0 as a log, prints "held" and waits.
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { LogManager } from '../../src/storage/log-manager.js';
import { SkeinError } from '../../src/errors.js';

const [root, mode, countText] = process.argv.slice(2);
const count = Number(countText);
const config = { preallocateBytes: 4096, segmentBytes: 64 * 1024 };
const held: Array<{ close(): Promise<void> }> = [];

async function openOne(dir: string): Promise<boolean> {
  try {
    held.push(mode === 'manager' ? LogManager.open({ dir }) : await PartitionLog.open(dir, { config }));
    return true;
  } catch (err) {
    if (err instanceof SkeinError && err.code === 'SKEIN_LOG_LOCKED') return false;
    throw err;
  }
}

const lines = createInterface({ input: process.stdin });
if (mode === 'hold') {
  await openOne(join(root!, 'f0'));
  process.stdout.write('held\n');
} else {
  process.stdout.write('ready\n');
  for await (const line of lines) {
    if (line.trim() !== 'go') continue;
    const won: number[] = [];
    for (let i = 0; i < count; i++) if (await openOne(join(root!, `f${i}`))) won.push(i);
    process.stdout.write(JSON.stringify({ won }) + '\n');
    break;
  }
}
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
