/**
 * SQLite through better-sqlite3 (in-process): WAL journal, synchronous=NORMAL, one table per
 * partition keyed by an integer rowid. Produce: prepared INSERTs in transactions of 1000 rows.
 * Consume: per table, SELECT ... WHERE seq > last ORDER BY seq LIMIT 1000 until drained.
 * Loaded lazily, so a machine where the addon failed to build skips SQLite with a reason.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { packageVersion } from '../versions.js';
import { inProcessLatency } from './wakeup.js';
import { SkipError, type Consumed, type Durability, type System, type Workload } from '../types.js';

const TXN_ROWS = 1000;
const READ_ROWS = 1000;

export class Sqlite implements System {
  readonly id = 'sqlite';
  readonly label = 'SQLite (better-sqlite3, WAL, synchronous=NORMAL)';
  readonly isSkein = false;
  readonly maxPartitions = 1_000;
  private db: BetterSqlite3.Database | undefined;
  private packageVersion = 'not loaded';

  async start(dir: string): Promise<void> {
    const require = createRequire(import.meta.url);
    let Database: typeof BetterSqlite3;
    try {
      Database = require('better-sqlite3');
      this.packageVersion = packageVersion('better-sqlite3');
    } catch (err) {
      throw new SkipError(`better-sqlite3 did not load (${(err as Error).message.split('\n')[0]}); reinstall with: npm install -D better-sqlite3@12`);
    }
    this.db = new Database(join(dir, 'bench.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
  }

  serverPid(): number | undefined {
    return undefined;
  }

  version(): string {
    const sqlite = this.db ? (this.db.prepare('select sqlite_version() as v').get() as { v: string }).v : '?';
    return `better-sqlite3 ${this.packageVersion}, SQLite ${sqlite}`;
  }

  settings(): Record<string, string> {
    return {
      journal_mode: 'WAL',
      synchronous: 'NORMAL',
      wal_autocheckpoint: '1000 pages (default)',
      schema: 'one table per partition: (seq INTEGER PRIMARY KEY, value BLOB)',
      produce: `prepared INSERT, transactions of ${TXN_ROWS} rows`,
      consume: `SELECT seq, value WHERE seq > ? ORDER BY seq LIMIT ${READ_ROWS}, per table`,
      latency: 'one-row transaction, then a parked reader is woken and SELECTs it',
    };
  }

  durability(): Durability {
    return {
      policy: 'WAL written at each commit, fsynced only at checkpoints (synchronous=NORMAL)',
      ack: 'commit returned: in the WAL (page cache); a power loss may drop the last commits',
    };
  }

  batching(): string {
    return `transactions of ${TXN_ROWS} rows`;
  }

  private table(w: Workload, p: number): string {
    return `"${w.log}_${p}"`;
  }

  async prepare(w: Workload): Promise<void> {
    for (let p = 0; p < w.partitions; p++) {
      this.db!.exec(`CREATE TABLE ${this.table(w, p)} (seq INTEGER PRIMARY KEY, value BLOB NOT NULL)`);
    }
  }

  async produce(w: Workload): Promise<void> {
    const db = this.db!;
    const inserts = Array.from({ length: w.partitions }, (_, p) => db.prepare(`INSERT INTO ${this.table(w, p)} (value) VALUES (?)`));
    const insertRange = db.transaction((start: number, end: number) => {
      for (let i = start; i < end; i++) inserts[i % inserts.length]!.run(w.value);
    });
    for (let start = 0; start < w.count; start += TXN_ROWS) {
      const end = Math.min(w.count, start + TXN_ROWS);
      insertRange(start, end);
      w.tick(end - start);
      // Yield now and then so progress bars and timers run, as a service's event loop would.
      if ((start / TXN_ROWS) % 64 === 0) await new Promise((r) => setImmediate(r));
    }
  }

  async consume(w: Workload): Promise<Consumed> {
    const db = this.db!;
    let records = 0;
    let bytes = 0;
    for (let p = 0; p < w.partitions; p++) {
      const select = db.prepare(`SELECT seq, value FROM ${this.table(w, p)} WHERE seq > ? ORDER BY seq LIMIT ${READ_ROWS}`).raw(true);
      let last = 0;
      for (;;) {
        const rows = select.all(last) as Array<[number, Buffer]>;
        if (rows.length === 0) break;
        for (const [seq, value] of rows) {
          if (seq <= last) throw new Error(`sqlite: partition ${p} out of order: ${seq} after ${last}`);
          last = seq;
          bytes += value.length;
        }
        records += rows.length;
        w.tick(rows.length);
        if (records % (64 * READ_ROWS) < READ_ROWS) await new Promise((r) => setImmediate(r));
      }
    }
    return { records, bytes };
  }

  async latency(samples: number, value: Buffer, sample: (micros: number) => void): Promise<void> {
    const db = this.db!;
    const table = `"latency_${Date.now()}"`;
    db.exec(`CREATE TABLE ${table} (seq INTEGER PRIMARY KEY, value BLOB NOT NULL)`);
    const insert = db.prepare(`INSERT INTO ${table} (value) VALUES (?)`);
    const select = db.prepare(`SELECT seq, value FROM ${table} WHERE seq > ? ORDER BY seq LIMIT 1`).raw(true);
    let last = 0;
    await inProcessLatency(
      samples,
      () => insert.run(value),
      () => {
        const row = select.get(last) as [number, Buffer] | undefined;
        if (!row) throw new Error('sqlite: the reader woke to no row');
        last = row[0];
      },
      sample,
    );
  }

  async stop(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}
