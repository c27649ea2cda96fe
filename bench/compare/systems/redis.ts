/**
 * Redis Streams: a redis-server we start on loopback with AOF on (appendfsync everysec, no RDB
 * snapshots), one stream per partition. Produce: pipelined XADD, 1000 commands per pipeline,
 * up to 4 pipelines in flight. Consume: XREADGROUP of a consumer group over all streams, each
 * batch acknowledged with one XACK per stream. Latency: XADD on one connection, a blocking
 * XREADGROUP waiting on another.
 */
import { Redis } from 'ioredis';
import type { ChildProcess } from 'node:child_process';
import { commandVersion, findBinary, freePort, missingBinary, startServer, stopServer } from '../proc.js';
import { packageVersion } from '../versions.js';
import type { Consumed, Durability, System, Workload } from '../types.js';

const PIPELINE = 1000;
const IN_FLIGHT = 4;
/** Bytes one XREADGROUP reply may carry, so 64 streams of 10 KiB records stay a few MB. */
const REPLY_BYTES = 4 * 1024 * 1024;

/** Orders stream ids "ms-seq" without BigInt: ms first, then seq. */
function idAfter(id: string, previous: string): boolean {
  const [ms, seq] = id.split('-').map(Number) as [number, number];
  const [pms, pseq] = previous.split('-').map(Number) as [number, number];
  return ms > pms || (ms === pms && seq > pseq);
}

export class RedisStreams implements System {
  readonly id = 'redis';
  readonly label = 'Redis Streams (AOF everysec)';
  readonly isSkein = false;
  readonly maxPartitions = 1_000;
  private server: ChildProcess | undefined;
  private client: Redis | undefined;
  private port = 0;
  private binary = '';

  async start(dir: string): Promise<void> {
    const binary = findBinary('redis-server');
    if (!binary) throw missingBinary('redis-server', 'redis-server');
    this.binary = binary;
    this.port = await freePort();
    // --save "": no RDB snapshots mid-run; AOF alone is the durability under test.
    this.server = await startServer(binary, [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', dir,
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', '',
      '--protected-mode', 'no', '--daemonize', 'no', '--logfile', '',
      '--io-threads', '1',
    ], this.port);
    this.client = this.connect();
    await this.client.ping();
  }

  private connect(): Redis {
    // RESP2: stream replies as nested arrays, the shape every Redis client version understands.
    return new Redis({ host: '127.0.0.1', port: this.port, protocol: 2, maxRetriesPerRequest: 1, enableOfflineQueue: true });
  }

  serverPid(): number | undefined {
    return this.server?.pid;
  }

  version(): string {
    const server = this.binary ? commandVersion(this.binary, ['--version']) : 'not started';
    return `${server}; ioredis ${packageVersion('ioredis')}`;
  }

  settings(): Record<string, string> {
    return {
      appendonly: 'yes',
      appendfsync: 'everysec',
      save: '"" (no RDB snapshots)',
      'io-threads': '1',
      client: 'ioredis, RESP2',
      produce: `pipelined XADD, ${PIPELINE} per pipeline, ${IN_FLIGHT} pipelines in flight`,
      consume: 'XREADGROUP over all streams, COUNT sized to ~4 MiB per reply, XACK per batch',
      latency: 'XADD; consumer blocked in XREADGROUP BLOCK 0 COUNT 1 NOACK on its own connection',
    };
  }

  durability(): Durability {
    return {
      policy: 'AOF written before the reply, fsynced about once a second',
      ack: 'in the AOF file (page cache); up to ~1 s lost on power loss',
    };
  }

  batching(): string {
    return `pipelines of ${PIPELINE} XADD, ${IN_FLIGHT} in flight`;
  }

  private keys(w: Workload): string[] {
    return Array.from({ length: w.partitions }, (_, p) => `${w.log}:${p}`);
  }

  async prepare(): Promise<void> {
    // Streams are created by their first XADD.
  }

  async produce(w: Workload): Promise<void> {
    const redis = this.client!;
    const keys = this.keys(w);
    const inFlight: Promise<void>[] = [];
    for (let start = 0; start < w.count; start += PIPELINE) {
      const end = Math.min(w.count, start + PIPELINE);
      const pipeline = redis.pipeline();
      for (let i = start; i < end; i++) pipeline.call('XADD', keys[i % keys.length]!, '*', 'v', w.value);
      inFlight.push(
        pipeline.exec().then((results) => {
          const failed = results?.find(([err]) => err);
          if (failed) throw failed[0];
          w.tick(end - start);
        }),
      );
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }

  async consume(w: Workload): Promise<Consumed> {
    const redis = this.client!;
    const keys = this.keys(w);
    for (const key of keys) await redis.call('XGROUP', 'CREATE', key, 'g', '0');
    const perStream = Math.max(10, Math.min(1000, Math.floor(REPLY_BYTES / (w.value.length * keys.length))));
    const last = new Map<string, string>();
    let records = 0;
    let bytes = 0;
    while (records < w.count) {
      const reply = (await redis.callBuffer('XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', perStream, 'STREAMS', ...keys, ...keys.map(() => '>'))) as
        | Array<[Buffer, Array<[Buffer, Buffer[]]>]>
        | null;
      if (!reply) throw new Error(`redis: stream ended after ${records} of ${w.count} records`);
      for (const [keyBuf, entries] of reply) {
        const key = keyBuf.toString();
        const ids: string[] = [];
        let previous = last.get(key) ?? '0-0';
        for (const [idBuf, fields] of entries) {
          const id = idBuf.toString();
          if (!idAfter(id, previous)) throw new Error(`redis: ${key} out of order: ${id} after ${previous}`);
          previous = id;
          ids.push(id);
          bytes += fields[1]!.length;
        }
        last.set(key, previous);
        records += entries.length;
        // Not awaited: commands on one connection run in order, and the next read waits anyway.
        if (ids.length > 0) redis.call('XACK', key, 'g', ...ids).catch(() => undefined);
      }
      w.tick(records);
    }
    return { records, bytes };
  }

  async latency(samples: number, value: Buffer, sample: (micros: number) => void): Promise<void> {
    const producer = this.client!;
    const consumer = this.connect();
    const key = `latency-${Date.now()}`;
    await producer.call('XGROUP', 'CREATE', key, 'g', '$', 'MKSTREAM');
    // The consumer stamps the arrival itself: the XADD reply may come back after the record.
    let arrived: ((at: bigint) => void) | undefined;
    let stopping = false;
    const loop = (async () => {
      while (!stopping) {
        const reply = await consumer.callBuffer('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 1000, 'COUNT', 1, 'NOACK', 'STREAMS', key, '>');
        if (reply && arrived) {
          const done = arrived;
          arrived = undefined;
          done(process.hrtime.bigint());
        }
      }
    })();
    try {
      for (let i = 0; i < samples; i++) {
        const wait = new Promise<bigint>((resolve) => (arrived = resolve));
        const started = process.hrtime.bigint();
        await producer.call('XADD', key, '*', 'v', value);
        sample(Number((await wait) - started) / 1000);
      }
    } finally {
      stopping = true;
      await loop.catch(() => undefined);
      consumer.disconnect();
    }
  }

  async stop(): Promise<void> {
    this.client?.disconnect();
    this.client = undefined;
    await stopServer(this.server);
    this.server = undefined;
  }
}
