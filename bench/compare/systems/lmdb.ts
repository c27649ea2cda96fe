/**
 * LMDB through the lmdb package (in-process, memory-mapped B+tree): one named database per
 * partition, uint32 keys in arrival order, binary values. Produce: transactionSync of 1000
 * putSync, each commit flushed to disk by LMDB before the next can finish (lmdb-js's default
 * overlappingSync lets the flush run after the write lock is released). Consume: getRange
 * over each database in key order.
 */
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { inProcessLatency } from './wakeup.js';
import { packageVersion } from '../versions.js';
import type { Consumed, Durability, System, Workload } from '../types.js';

const TXN_PUTS = 1000;

export class Lmdb implements System {
  readonly id = 'lmdb';
  readonly label = 'LMDB (lmdb-js, sync commits)';
  readonly isSkein = false;
  readonly maxPartitions = 1_000;
  private root: RootDatabase | undefined;
  private dbs: Database<Buffer, number>[] = [];

  async start(dir: string): Promise<void> {
    // maxDbs above the largest partition count used, plus the latency database.
    this.root = open({ path: join(dir, 'bench.lmdb'), maxDbs: 2048 });
  }

  serverPid(): number | undefined {
    return undefined;
  }

  version(): string {
    return `lmdb-js ${packageVersion('lmdb')}`;
  }

  settings(): Record<string, string> {
    return {
      noSync: 'false (default: commits are flushed)',
      overlappingSync: 'default (on for Linux): the flush of a commit overlaps the next transaction',
      schema: 'one named database per partition, uint32 key, binary value',
      produce: `transactionSync of ${TXN_PUTS} putSync`,
      consume: 'getRange over each database in key order',
      latency: 'one putSync transaction, then a parked reader is woken and gets it',
    };
  }

  durability(): Durability {
    return {
      policy: 'each commit flushed to disk (fdatasync/msync) by LMDB',
      ack: 'transaction committed; with overlappingSync the flush completes just after the commit returns',
    };
  }

  batching(): string {
    return `transactions of ${TXN_PUTS} puts`;
  }

  async prepare(w: Workload): Promise<void> {
    this.dbs = Array.from({ length: w.partitions }, (_, p) =>
      this.root!.openDB<Buffer, number>({ name: `${w.log}_${p}`, keyEncoding: 'uint32', encoding: 'binary' }),
    );
  }

  async produce(w: Workload): Promise<void> {
    const dbs = this.dbs;
    const next = new Array<number>(dbs.length).fill(1);
    for (let start = 0; start < w.count; start += TXN_PUTS) {
      const end = Math.min(w.count, start + TXN_PUTS);
      this.root!.transactionSync(() => {
        for (let i = start; i < end; i++) {
          const p = i % dbs.length;
          dbs[p]!.putSync(next[p]!++, w.value);
        }
      });
      w.tick(end - start);
      if ((start / TXN_PUTS) % 64 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  async consume(w: Workload): Promise<Consumed> {
    let records = 0;
    let bytes = 0;
    for (let p = 0; p < this.dbs.length; p++) {
      let last = 0;
      let sinceYield = 0;
      for (const { key, value } of this.dbs[p]!.getRange({ start: 0 })) {
        if (key <= last) throw new Error(`lmdb: partition ${p} out of order: ${key} after ${last}`);
        last = key;
        bytes += value.length;
        records += 1;
        if (++sinceYield === 1000) {
          w.tick(sinceYield);
          sinceYield = 0;
        }
      }
      w.tick(sinceYield);
    }
    return { records, bytes };
  }

  async latency(samples: number, value: Buffer, sample: (micros: number) => void): Promise<void> {
    const db = this.root!.openDB<Buffer, number>({ name: `latency_${Date.now()}`, keyEncoding: 'uint32', encoding: 'binary' });
    let next = 1;
    let read = 1;
    await inProcessLatency(
      samples,
      () => this.root!.transactionSync(() => db.putSync(next++, value)),
      () => {
        if (!db.get(read++)) throw new Error('lmdb: the reader woke to no record');
      },
      sample,
    );
  }

  async stop(): Promise<void> {
    await this.root?.close();
    this.root = undefined;
    this.dbs = [];
  }
}
