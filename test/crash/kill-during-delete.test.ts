/**
 * Issue 8's reproduction of a deletion cut short, with a real SIGKILL: a 200-partition topic
 * is deleted and the process is killed 0-60 ms after the call (mid-way through the folders on
 * the old code). Afterwards the topic is either wholly there (killed before the deletion was
 * recorded) or wholly gone: no folder of it is left, and a topic re-created under the same
 * name serves none of the old records.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Broker } from '../../src/broker/broker.js';
import { iterateBatches, iterateRecords } from '../../src/records/record-iterator.js';
import { Random } from '../helpers/random.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { withTimeout } from '../helpers/timeout.js';

test.after(cleanupTempDirs);

const CHILD = fileURLToPath(new URL('./delete-child.js', import.meta.url));
const PARTITIONS = 200;
const ROUNDS = 4;

function run(args: string[], killAfterDeletingMs?: number): Promise<string[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const safety = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lines.push(line);
        if (line === 'deleting' && killAfterDeletingMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterDeletingMs);
        if (line === 'deleted') child.kill('SIGKILL');
      }
    });
    child.on('close', () => {
      clearTimeout(safety);
      resolve(lines);
    });
  });
}

async function firstValue(broker: Broker, partition: number): Promise<string | undefined> {
  const result = await broker.fetch({ partitions: [{ topic: 'big', partition, fetchOffset: 0, maxBytes: 1 << 20 }], maxWaitMs: 0 });
  for (const view of result.partitions[0]!.records) for (const b of iterateBatches(Buffer.from(view))) for (const r of iterateRecords(b)) return r.value!.toString();
  return undefined;
}

test(`SIGKILL during the deletion of a ${PARTITIONS}-partition topic: all or nothing, and a re-created topic is empty (${ROUNDS} rounds)`, withTimeout(280_000, async () => {
  const seed = Number(process.env.SKEIN_CRASH_SEED ?? Date.now() % 1_000_000);
  const rng = new Random(seed);
  const outcomes: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dir = join(tempDir('skein-delete-'), 'd');
    const delay = round === 0 ? 0 : rng.int(1, 60);
    const where = `seed ${seed} round ${round} (kill ${delay} ms after deleting)`;
    await run([dir, 'setup', String(PARTITIONS)]);
    const lines = await run([dir, 'delete'], delay);
    const broker = await Broker.open({ dir, maxBrokerPartitions: 100_000, maxPartitionsPerRequest: 100_000, onWarning: () => {} });
    try {
      const folders = readdirSync(dir).filter((n) => /^big-\d+$/.test(n));
      if (broker.hasTopic('big')) {
        assert.is(lines.includes('deleted'), false, `${where}: an acknowledged deletion holds`);
        assert.is(folders.length, PARTITIONS, `${where}: not deleted, so whole`);
        for (const p of [0, PARTITIONS - 1]) assert.is(await firstValue(broker, p), `old-${p}`, where);
        outcomes.push('kept');
        continue;
      }
      assert.equal(folders, [], `${where}: no folder of the deleted topic is left`);
      await broker.createTopic({ topic: 'big', numPartitions: PARTITIONS, configEntries: [{ name: 'segment.bytes', value: '65536' }] });
      for (let p = 0; p < PARTITIONS; p++) assert.is(await firstValue(broker, p), undefined, `${where}: partition ${p} of the re-created topic serves old records`);
      outcomes.push('deleted');
    } finally {
      await broker.close();
    }
  }
  console.log(`seed ${seed}: ${outcomes.join(', ')}`);
}));

test.run();
