/**
 * Opening partitions with their scans on the worker pool (partition/pooled-recovery.ts,
 * storage/segment-recovery.ts): after an unclean stop, a log recovered on a pool lane cuts the
 * same damaged tail and writes the same index files as one recovered on the event loop (and
 * so does a clean open whose persisted indexes point past cut data); the
 * producer state rebuilt on the lane answers retries and refuses gaps as before; a broker
 * reopened after an unclean stop runs those scans on its pool and serves every record.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, readFileSync, readdirSync, statSync, truncateSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { Partition } from '../../src/partition/partition.js';
import { poolScanner, partitionKey } from '../../src/partition/pooled-recovery.js';
import { WorkerPool } from '../../src/workers/pool.js';
import { SkeinError } from '../../src/errors.js';
import { Skein } from '../../src/client/skein.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { within } from '../helpers/timeout.js';

test.after(cleanupTempDirs);

const CONFIG = { segmentBytes: 16 * 1024, indexIntervalBytes: 1024, segmentMs: Infinity, retentionMs: -1 };
const PRODUCER = 4242;

/** A closed log of several segments: plain batches with an idempotent producer's batches among them. */
async function buildLog(dir: string): Promise<{ lastSequence: number; batches: number }> {
  const log = await PartitionLog.open(dir, { config: CONFIG });
  const partition = new Partition('p', 0, log);
  let sequence = 0;
  let batches = 0;
  for (let i = 0; i < 120; i++) {
    const records = Array.from({ length: 1 + (i % 5) }, (_, r) => ({ value: Buffer.from(`value-${i}-${r}-`.padEnd(90, 'x')), timestamp: 1_700_000_000_000 + i * 10 + r }));
    const idempotent = i % 3 === 0;
    const options = idempotent ? { producerId: PRODUCER, producerEpoch: 0, baseSequence: sequence } : {};
    await partition.produce(encodeRecordBatch(records, options), 1);
    if (idempotent) sequence += records.length;
    batches += 1;
  }
  await log.close();
  return { lastSequence: sequence, batches };
}

/** Makes the folder look like an unclean stop, with a torn tail in its last segment. */
function damageAsUnclean(dir: string): void {
  unlinkSync(join(dir, '.clean-shutdown'));
  const logs = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  const last = join(dir, logs[logs.length - 1]!);
  const size = statSync(last).size;
  // Cut the last batch in half, then leave garbage after it (a torn write).
  truncateSync(last, size - 40);
  writeFileSync(last, Buffer.alloc(300, 0x5a), { flag: 'a' });
}

function indexFiles(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of readdirSync(dir).sort()) if (name.endsWith('.index') || name.endsWith('.timeindex') || name.endsWith('.log')) files.set(name, readFileSync(join(dir, name)));
  return files;
}

function allBatches(log: PartitionLog): Buffer[] {
  return [...log.batchesFrom(log.logStartOffset)].map((b) => Buffer.from(b));
}

test('a recovery on a pool lane cuts the same tail and writes the same indexes as one on the event loop', async () => {
  const root = tempDir();
  const original = join(root, 'built');
  await buildLog(original);
  damageAsUnclean(original);
  const inlineDir = join(root, 'inline');
  const pooledDir = join(root, 'pooled');
  cpSync(original, inlineDir, { recursive: true });
  cpSync(original, pooledDir, { recursive: true });
  const segments = readdirSync(original).filter((n) => n.endsWith('.log')).length;
  assert.ok(segments >= 3, `the log has several segments (${segments})`);

  const pool = new WorkerPool({ size: 2 });
  try {
    const inlineWarnings: string[] = [];
    const inline = await PartitionLog.open(inlineDir, { config: CONFIG, onWarning: (m) => inlineWarnings.push(m) });
    const before = pool.completed;
    const pooled = await within(20_000, PartitionLog.open(pooledDir, { config: CONFIG, scanner: poolScanner(pool, partitionKey('p', 0)) }));
    assert.ok(pool.completed - before >= 1, 'the scans ran on the pool');
    assert.ok(inlineWarnings.some((m) => m.includes('not closed cleanly')), inlineWarnings.join('\n'));
    assert.is(pooled.logEndOffset, inline.logEndOffset);
    assert.is(pooled.segmentCount, inline.segmentCount);
    const inlineBatches = allBatches(inline);
    const pooledBatches = allBatches(pooled);
    assert.is(pooledBatches.length, inlineBatches.length);
    assert.ok(inlineBatches.length > 100, 'all but the torn batch survive');
    for (let i = 0; i < inlineBatches.length; i++) assert.ok(pooledBatches[i]!.equals(inlineBatches[i]!), `batch ${i} equal`);
    for (const ts of [1_700_000_000_000, 1_700_000_000_333, 1_700_000_000_700, 1_700_000_001_100]) {
      assert.equal(pooled.offsetForTimestamp(ts), inline.offsetForTimestamp(ts), `offsetForTimestamp(${ts})`);
    }
    await inline.close();
    await pooled.close();
    // The indexes each wrote at close, and the cut .log files, are byte for byte the same.
    const a = indexFiles(inlineDir);
    const b = indexFiles(pooledDir);
    assert.equal([...b.keys()], [...a.keys()]);
    for (const [name, bytes] of a) assert.ok(b.get(name)!.equals(bytes), `${name} equal`);
    assert.ok([...a.keys()].some((n) => n.endsWith('.index') && a.get(n)!.length > 0), 'indexes were rebuilt with entries');
  } finally {
    await pool.close();
  }
});

test('after a clean stop, a cut segment whose persisted index points past its data is rebuilt the same on the pool', async () => {
  const root = tempDir();
  const original = join(root, 'built');
  await buildLog(original);
  // Cut every .log to 60% (whole-batch or not): the clean-shutdown marker stays, so the open
  // trusts the persisted indexes, finds their last entry past the data, and rebuilds.
  for (const name of readdirSync(original).filter((n) => n.endsWith('.log'))) {
    const path = join(original, name);
    truncateSync(path, Math.floor(statSync(path).size * 0.6));
  }
  const inlineDir = join(root, 'inline');
  const pooledDir = join(root, 'pooled');
  cpSync(original, inlineDir, { recursive: true });
  cpSync(original, pooledDir, { recursive: true });
  const pool = new WorkerPool({ size: 1 });
  try {
    const inline = await PartitionLog.open(inlineDir, { config: CONFIG });
    const before = pool.completed;
    const pooled = await within(20_000, PartitionLog.open(pooledDir, { config: CONFIG, scanner: poolScanner(pool, partitionKey('p', 0)) }));
    assert.ok(pool.completed - before >= 2, 'tail scans and rebuilds ran on the pool');
    assert.is(pooled.logEndOffset, inline.logEndOffset);
    const a = allBatches(inline);
    const b = allBatches(pooled);
    assert.is(b.length, a.length);
    for (let i = 0; i < a.length; i++) assert.ok(b[i]!.equals(a[i]!), `batch ${i} equal`);
    await inline.close();
    await pooled.close();
    const ai = indexFiles(inlineDir);
    const bi = indexFiles(pooledDir);
    assert.equal([...bi.keys()], [...ai.keys()]);
    for (const [name, bytes] of ai) assert.ok(bi.get(name)!.equals(bytes), `${name} equal`);
  } finally {
    await pool.close();
  }
});

test('producer state rebuilt on the pool answers a retry with its offsets and refuses a gap', async () => {
  const dir = join(tempDir(), 'p-0');
  const { lastSequence } = await buildLog(dir);
  unlinkSync(join(dir, '.clean-shutdown'));
  const pool = new WorkerPool({ size: 1 });
  try {
    const log = await PartitionLog.open(dir, { config: CONFIG, scanner: poolScanner(pool, partitionKey('p', 0)) });
    const before = pool.completed;
    const partition = await within(20_000, Partition.open('p', 0, log, { pool }));
    assert.is(pool.completed - before, 1, 'the producer-state rebuild was one task on the lane');
    // The last idempotent batch, sent again: a duplicate, answered with where it was written.
    const lastBatch = [...log.batchesFrom(log.activeSegmentBaseOffset)].filter((b) => b.readBigInt64BE(43) === BigInt(PRODUCER)).pop()!;
    const lastBase = Number(lastBatch.readBigInt64BE(0));
    const records = lastBatch.readInt32BE(57);
    const end = log.logEndOffset;
    // Sequences are what identify a retry: same first and last sequence, same producer and epoch.
    const retry = encodeRecordBatch(
      Array.from({ length: records }, (_, r) => ({ value: Buffer.from(String(r)) })),
      { producerId: PRODUCER, producerEpoch: 0, baseSequence: lastSequence - records },
    );
    const duplicate = await partition.produce(retry, 1);
    assert.is(duplicate.baseOffset, lastBase, 'a retry is answered with its original offsets');
    assert.is(log.logEndOffset, end, 'and written nowhere');
    // A gap in the sequence is refused.
    const gap = encodeRecordBatch([{ value: Buffer.from('g') }], { producerId: PRODUCER, producerEpoch: 0, baseSequence: lastSequence + 5 });
    try {
      await partition.produce(gap, 1);
      assert.unreachable('a gap is refused');
    } catch (err) {
      assert.ok(err instanceof SkeinError && err.code === 'SKEIN_OUT_OF_ORDER_SEQUENCE_NUMBER', String(err));
    }
    // The next batch in sequence goes in.
    const next = await partition.produce(encodeRecordBatch([{ value: Buffer.from('n') }], { producerId: PRODUCER, producerEpoch: 0, baseSequence: lastSequence }), 1);
    assert.is(next.baseOffset, end);
    await log.close();
  } finally {
    await pool.close();
  }
});

test('a broker reopened after an unclean stop recovers its partitions on the pool and serves every record', async () => {
  const dir = tempDir();
  const first = await Skein.open({ dir, workerPool: { size: 1 } });
  await first.admin.createTopics({ topics: [{ topic: 'r', numPartitions: 3 }] });
  const producer = first.producer();
  for (let i = 0; i < 300; i++) await producer.send({ topic: 'r', messages: [{ key: `k${i}`, value: `v${i}` }] });
  await first.close();
  // Unclean: every partition folder loses its clean-shutdown marker.
  let unclean = 0;
  for (const name of readdirSync(dir)) {
    const marker = join(dir, name, '.clean-shutdown');
    if (name.startsWith('r-') && existsSync(marker)) {
      unlinkSync(marker);
      unclean += 1;
    }
  }
  assert.is(unclean, 3);
  const warnings: string[] = [];
  const second = await within(30_000, Skein.open({ dir, workerPool: { size: 1 }, onWarning: (m: string) => warnings.push(m) }));
  try {
    // Three recovered active segments and three producer-state rebuilds, before any traffic.
    assert.ok(second.broker.workerPool!.completed >= 6, `tasks on the pool at open: ${second.broker.workerPool!.completed}`);
    assert.is(warnings.filter((m) => m.includes('not closed cleanly')).length, 3, warnings.join('\n'));
    let total = 0;
    for (let p = 0; p < 3; p++) total += second.broker.partitionFor('r', p).highWatermark;
    assert.is(total, 300);
  } finally {
    await second.close();
  }
});

test.run();
