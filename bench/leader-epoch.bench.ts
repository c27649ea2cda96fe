/**
 * What stamping the leader epoch costs on the append path: PartitionLog.appendNow with the
 * caller's summaries, without an epoch (baseline: baseOffset patched only) and with one
 * (partitionLeaderEpoch patched beside it in the mapping), for 1- and 100-record batches of
 * 100 B; and Partition.produceNow (the whole pipeline, stamping and the epoch-cache check
 * included) next to them. Flush policy "never", segments of 512 MiB, retention keeps disk use
 * bounded. Ratios are to the unstamped append measured in the same run.
 *
 * Also: Partition.truncateTo of the last batch and appending it again (a follower's worst
 * churn), per truncation, against appending the batch alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionLog } from '../src/storage/partition-log.js';
import { Partition } from '../src/partition/partition.js';
import { BatchSummaries } from '../src/records/batch-summary.js';
import { encodeRecordBatch } from '../src/records/encode-record-batch.js';
import { compare, printEnvironment } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-epoch-'));
const SEGMENT_BYTES = 512 * 1024 * 1024;
let counter = 0;
const logs: PartitionLog[] = [];

async function freshLog(): Promise<PartitionLog> {
  const log = await PartitionLog.open(join(root, `log-${counter++}`), { config: { segmentBytes: SEGMENT_BYTES, retentionBytes: 2 * SEGMENT_BYTES } });
  logs.push(log);
  return log;
}

function batchOf(records: number): Buffer {
  const value = Buffer.alloc(100, 0x61);
  return encodeRecordBatch(Array.from({ length: records }, () => ({ value, timestamp: Date.now() })));
}

printEnvironment();
try {
  for (const records of [1, 100]) {
    const batch = batchOf(records);
    const summaries = BatchSummaries.of(batch);
    let log!: PartitionLog;
    let partition!: Partition;
    let n = 0;
    const retention = () => {
      if (++n % 8192 === 0) log.applyRetention();
    };
    await compare(`append of ${records} x 100 B records per batch, flush never`, {
      unit: 'records',
      baseline: {
        name: 'PartitionLog.appendNow, no epoch',
        unitsPerOp: records,
        setup: async () => {
          log = await freshLog();
        },
        fn: () => {
          log.appendNow(batch, summaries);
          retention();
        },
      },
      tasks: [
        {
          name: 'PartitionLog.appendNow, epoch stamped',
          unitsPerOp: records,
          setup: async () => {
            log = await freshLog();
          },
          fn: () => {
            log.appendNow(batch, summaries, 7);
            retention();
          },
        },
        {
          name: 'Partition.produceNow (acks 0: scan + stamp + events)',
          unitsPerOp: records,
          setup: async () => {
            log = await freshLog();
            partition = new Partition('b', 0, log);
          },
          fn: () => {
            partition.produceNow(batch, 0);
            retention();
          },
        },
      ],
    });
  }
  const batch = batchOf(10);
  let partition!: Partition;
  await compare('truncating the last 10-record batch and appending it again', {
    unit: 'records',
    baseline: {
      name: 'Partition.produceNow alone',
      unitsPerOp: 10,
      setup: async () => {
        partition = new Partition('t', 0, await freshLog());
        partition.produceNow(batch, 0);
      },
      fn: () => {
        partition.produceNow(batch, 0);
      },
    },
    tasks: [
      {
        name: 'truncateTo(end - 10) + produceNow',
        unitsPerOp: 10,
        setup: async () => {
          partition = new Partition('u', 0, await freshLog());
          for (let i = 0; i < 100; i++) partition.produceNow(batch, 0);
        },
        fn: () => {
          partition.truncateTo(partition.logEndOffset - 10);
          partition.produceNow(batch, 0);
        },
      },
    ],
  });
} finally {
  await Promise.all(logs.map((l) => l.close()));
  rmSync(root, { recursive: true, force: true });
}
