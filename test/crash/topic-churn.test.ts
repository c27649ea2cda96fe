/**
 * SIGKILL at random moments while topics are created, deleted, re-created, produced to
 * (acks=all) and committed to (test/crash/topic-churn-child.ts does the work, one operation at
 * a time, and reports each start and acknowledgement). After each kill the parent opens the
 * same folder and checks against everything the children reported so far:
 * - a topic is live exactly when its last acknowledged operation says so (an operation in
 *   flight at the kill may have happened or not), under the id it was created with;
 * - no deleted data is served: every record of a live topic carries that incarnation's id;
 * - no acknowledged record of a live topic is lost: each is at its offset, value for value;
 * - no acknowledged commit of a live topic is lost, and no commit of a deleted incarnation is
 *   served for its successor;
 * - no folder of a deleted incarnation is left (partition folders = live partitions exactly).
 * Bounded: ROUNDS kills, each child killed at most SAFETY_KILL_MS after it started.
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

const CHILD = fileURLToPath(new URL('./topic-churn-child.js', import.meta.url));
const ROUNDS = 12;
const SAFETY_KILL_MS = 15_000;
const NAMES = ['a', 'b', 'c'];

interface Line {
  ready?: boolean;
  start?: string;
  ack?: string;
  topic?: string;
  id?: string;
  partition?: number;
  partitions?: number;
  baseOffset?: number;
  offset?: number;
  values?: string[];
}

function runChild(dir: string, seed: number, killDelayMs: number): Promise<{ lines: Line[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Line[] = [];
    let pending = '';
    let stderr = '';
    const safety = setTimeout(() => child.kill('SIGKILL'), SAFETY_KILL_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop()!; // a line cut by the kill was not reported
      for (const part of parts) {
        const line = JSON.parse(part) as Line;
        lines.push(line);
        if (line.ready) setTimeout(() => child.kill('SIGKILL'), killDelayMs);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('close', () => {
      clearTimeout(safety);
      resolve({ lines, stderr });
    });
  });
}

async function readAll(broker: Broker, topic: string, partition: number): Promise<string[]> {
  const values: string[] = [];
  for (;;) {
    const result = await broker.fetch({ partitions: [{ topic, partition, fetchOffset: values.length, maxBytes: 1 << 20 }], maxWaitMs: 0 });
    const p = result.partitions[0]!;
    if (p.error) throw p.error;
    if (p.bytes === 0) return values;
    for (const view of p.records) for (const b of iterateBatches(Buffer.from(view))) for (const r of iterateRecords(b)) values.push(r.value!.toString());
  }
}

test(`SIGKILL during create, delete, re-create, produce and commit: no deleted data served, nothing acknowledged lost (${ROUNDS} rounds)`, withTimeout(240_000, async () => {
  const dir = join(tempDir('skein-churn-'), 'd');
  const seed = Number(process.env.SKEIN_CRASH_SEED ?? Date.now() % 1_000_000);
  const rng = new Random(seed);
  /** What the children reported, per topic name: the last line about it. */
  const last = new Map<string, Line>();
  /** Acknowledged records per incarnation id: partition → offset → value. */
  const records = new Map<string, Map<number, Map<number, string>>>();
  /** Commits per incarnation and partition: acknowledged offsets, and the one in flight. */
  const commits = new Map<string, { acked: number[]; inFlight?: number }>();
  const deadIds = new Set<string>();
  const stats = { creates: 0, deletes: 0, produces: 0, commits: 0 };

  for (let round = 0; round < ROUNDS; round++) {
    const where = `seed ${seed} round ${round} (rerun with SKEIN_CRASH_SEED=${seed})`;
    const { lines, stderr } = await runChild(dir, rng.u32(), rng.int(30, 400));
    assert.ok(lines.some((l) => l.ready), `${where}: the child opened the folder; stderr: ${stderr}`);
    for (const line of lines) {
      if (!line.topic) continue;
      last.set(line.topic, line);
      const commitKey = `${line.id}\u0000${line.partition}`;
      if (line.ack === 'create') stats.creates++;
      if (line.ack === 'delete') {
        stats.deletes++;
        deadIds.add(line.id!);
      }
      if (line.ack === 'produce') {
        stats.produces++;
        let byPartition = records.get(line.id!);
        if (!byPartition) records.set(line.id!, (byPartition = new Map()));
        let offsets = byPartition.get(line.partition!);
        if (!offsets) byPartition.set(line.partition!, (offsets = new Map()));
        line.values!.forEach((v, i) => offsets!.set(line.baseOffset! + i, v));
      }
      if (line.start === 'commit') {
        const c = commits.get(commitKey) ?? { acked: [] };
        c.inFlight = line.offset;
        commits.set(commitKey, c);
      }
      if (line.ack === 'commit') {
        stats.commits++;
        const c = commits.get(commitKey)!;
        c.acked.push(line.offset!);
        c.inFlight = undefined;
      }
    }

    const broker = await Broker.open({ dir });
    try {
      for (const name of NAMES) {
        const live = broker.topicId(name);
        const line = last.get(name);
        const context = `${where}, topic ${name}, last report ${JSON.stringify(line)}`;
        if (line?.ack === 'delete') assert.is(live, undefined, `${context}: deleted, acknowledged`);
        else if (line?.start === 'delete') assert.ok(live === undefined || live === line.id, `${context}: a deletion in flight happened or not`);
        else if (line?.start === 'create') assert.ok(live === undefined || !deadIds.has(live), `${context}: a creation in flight happened or not`);
        else if (line) assert.is(live, line.id, `${context}: live under the id it was created with`);
        if (live !== undefined && line?.start === 'delete') {
          // The deletion in flight did not happen: the topic goes on as it was.
        } else if (live !== undefined && line?.start === 'create') {
          last.set(name, { ack: 'create', topic: name, id: live });
        }
        if (live === undefined) {
          if (line?.id) deadIds.add(line.id);
          if (line?.start === 'delete' || line?.start === 'create') last.set(name, { ack: 'delete', topic: name, id: line.id });
          assert.equal(readdirSync(dir).filter((n) => new RegExp(`^${name}-\\d+$`).test(n)), [], `${context}: no folder of a topic that is not live`);
          continue;
        }
        const count = broker.partitionCount(name);
        assert.equal(
          readdirSync(dir).filter((n) => new RegExp(`^${name}-\\d+$`).test(n)).sort(),
          Array.from({ length: count }, (_, p) => `${name}-${p}`).sort(),
          `${context}: partition folders are the live partitions`,
        );
        const committed = await broker.groups.fetchOffsets({ groupId: 'g', partitions: Array.from({ length: count }, (_, partition) => ({ topic: name, partition })) });
        for (let p = 0; p < count; p++) {
          const values = await readAll(broker, name, p);
          for (const v of values) assert.ok(v.startsWith(`${live}:`), `${context}: partition ${p} serves ${v}, written by another incarnation`);
          for (const [offset, value] of records.get(live)?.get(p) ?? []) assert.is(values[offset], value, `${context}: acknowledged record at ${p}/${offset}`);
          const c = commits.get(`${live}\u0000${p}`);
          const got = committed[p]!.offset;
          const lastAcked = c?.acked[c.acked.length - 1];
          if (lastAcked !== undefined) assert.ok(got >= lastAcked, `${context}: commit of partition ${p} is ${got}, below the acknowledged ${lastAcked}`);
          const possible = new Set([...(c?.acked ?? []), ...(c?.inFlight !== undefined ? [c.inFlight] : [])]);
          assert.ok(got === -1 ? lastAcked === undefined : possible.has(got), `${context}: commit of partition ${p} is ${got}, never committed for this incarnation`);
          if (c) c.inFlight = undefined;
        }
      }
    } finally {
      await broker.close();
    }
  }
  console.log(`seed ${seed}: ${ROUNDS} kills; acknowledged ${stats.creates} creates, ${stats.deletes} deletes, ${stats.produces} produces, ${stats.commits} commits`);
  assert.ok(stats.creates > 0 && stats.produces > 0 && stats.commits > 0 && stats.deletes > 0, 'every kind of operation was exercised');
}));

test.run();
