/**
 * NATS JetStream: a nats-server we start on loopback with JetStream on file storage, one
 * stream per partition. Produce: async js.publish with a bounded number of acks in flight
 * (two windows of 1000). Consume: a durable pull consumer per stream (ack policy "all", one
 * ack per 500 messages, the way a Kafka consumer commits offsets). Latency: publish, with a
 * pull consumer already waiting on the stream.
 */
import { connect, AckPolicy, StorageType, DeliverPolicy, type NatsConnection, type JetStreamClient, type JetStreamManager } from 'nats';
import type { ChildProcess } from 'node:child_process';
import { commandVersion, findBinary, freePort, missingBinary, startServer, stopServer } from '../proc.js';
import { packageVersion } from '../versions.js';
import type { Consumed, Durability, System, Workload } from '../types.js';

const WINDOW = 1000;
const ACK_EVERY = 500;
const PULL_BYTES = 4 * 1024 * 1024;

/** Records of a workload that land in partition p (record i goes to i % partitions). */
export function recordsIn(p: number, w: Workload): number {
  return Math.max(0, Math.ceil((w.count - p) / w.partitions));
}

export class NatsJetStream implements System {
  readonly id = 'nats';
  readonly label = 'NATS JetStream (file store)';
  readonly isSkein = false;
  readonly maxPartitions = 1_000;
  private server: ChildProcess | undefined;
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;
  private jsm: JetStreamManager | undefined;
  private binary = '';

  async start(dir: string): Promise<void> {
    const binary = findBinary('nats-server');
    if (!binary) throw missingBinary('nats-server', 'nats-server');
    this.binary = binary;
    const port = await freePort();
    this.server = await startServer(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], port);
    this.nc = await connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
    this.jsm = await this.nc.jetstreamManager();
    this.js = this.nc.jetstream();
  }

  serverPid(): number | undefined {
    return this.server?.pid;
  }

  version(): string {
    const server = this.binary ? commandVersion(this.binary, ['--version']) : 'not started';
    return `${server}; nats.js ${packageVersion('nats')}`;
  }

  settings(): Record<string, string> {
    return {
      jetstream: 'on, file storage (-js -sd <tmp>)',
      streams: 'one per partition, retention limits, 1 replica',
      produce: `async js.publish, at most ${2 * WINDOW} acks in flight`,
      consume: `durable pull consumer per stream, ack policy all, ack every ${ACK_EVERY}; redeliveries skipped by sequence`,
      latency: 'js.publish; a pull consumer (ack none) already waiting',
    };
  }

  durability(): Durability {
    return {
      policy: 'file store written by the server, fsynced on its own schedule (not per message)',
      ack: 'stored in the server (page cache), not fsynced',
    };
  }

  batching(): string {
    return `async publish, ${2 * WINDOW} acks in flight`;
  }

  private stream(w: Workload, p: number): string {
    return `${w.log}_${p}`;
  }

  async prepare(w: Workload): Promise<void> {
    for (let p = 0; p < w.partitions; p++) {
      await this.jsm!.streams.add({ name: this.stream(w, p), subjects: [`${w.log}.${p}`], storage: StorageType.File });
    }
  }

  async produce(w: Workload): Promise<void> {
    const js = this.js!;
    const subjects = Array.from({ length: w.partitions }, (_, p) => `${w.log}.${p}`);
    let previous: Promise<unknown> | undefined;
    for (let start = 0; start < w.count; start += WINDOW) {
      const end = Math.min(w.count, start + WINDOW);
      const acks: Promise<unknown>[] = [];
      for (let i = start; i < end; i++) acks.push(js.publish(subjects[i % subjects.length]!, w.value));
      const window = Promise.all(acks).then(() => w.tick(end - start));
      // Two windows in flight: the next one is being sent while the last one's acks come back.
      if (previous) await previous;
      previous = window;
    }
    await previous;
  }

  async consume(w: Workload): Promise<Consumed> {
    const totals = await Promise.all(
      Array.from({ length: w.partitions }, async (_, p) => {
        const expected = recordsIn(p, w);
        if (expected === 0) return { records: 0, bytes: 0 };
        const stream = this.stream(w, p);
        await this.jsm!.consumers.add(stream, {
          durable_name: 'c',
          ack_policy: AckPolicy.All,
          deliver_policy: DeliverPolicy.All,
          max_ack_pending: 100_000,
        });
        const consumer = await this.js!.consumers.get(stream, 'c');
        // The pull budget is shared by all streams, so 64 consumers do not buffer 64x as much.
        const maxMessages = Math.max(50, Math.min(1000, Math.floor(PULL_BYTES / (w.value.length * w.partitions))));
        const messages = await consumer.consume({ max_messages: maxMessages });
        let records = 0;
        let bytes = 0;
        let previous = 0;
        for await (const m of messages) {
          // JetStream delivers at least once: a message whose ack wait expired comes again.
          // Skip what was seen (as an at-least-once consumer must); a gap is an error.
          if (m.seq <= previous) continue;
          if (m.seq !== previous + 1) throw new Error(`nats: ${stream} skipped from ${previous} to ${m.seq}`);
          previous = m.seq;
          bytes += m.data.length;
          records += 1;
          if (records % ACK_EVERY === 0 || records === expected) m.ack();
          if (records % 1000 === 0) w.tick(1000);
          if (records === expected) break;
        }
        w.tick(records % 1000);
        // stop(), not close(): close() waits for the outstanding pull to expire (30 s).
        messages.stop();
        return { records, bytes };
      }),
    );
    return totals.reduce((a, b) => ({ records: a.records + b.records, bytes: a.bytes + b.bytes }), { records: 0, bytes: 0 });
  }

  async latency(samples: number, value: Buffer, sample: (micros: number) => void): Promise<void> {
    const name = `latency_${Date.now()}`;
    await this.jsm!.streams.add({ name, subjects: [`${name}.0`], storage: StorageType.File });
    await this.jsm!.consumers.add(name, { durable_name: 'l', ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.New });
    const consumer = await this.js!.consumers.get(name, 'l');
    const messages = await consumer.consume({ max_messages: 100 });
    // The consumer stamps the arrival itself: the publish ack may come back after the message.
    let arrived: ((at: bigint) => void) | undefined;
    const loop = (async () => {
      for await (const _ of messages) {
        const done = arrived;
        arrived = undefined;
        done?.(process.hrtime.bigint());
      }
    })();
    try {
      // Let the first pull request reach the server so the consumer is really waiting.
      await new Promise((r) => setTimeout(r, 100));
      for (let i = 0; i < samples; i++) {
        const wait = new Promise<bigint>((resolve) => (arrived = resolve));
        const started = process.hrtime.bigint();
        await this.js!.publish(`${name}.0`, value);
        sample(Number((await wait) - started) / 1000);
      }
    } finally {
      messages.stop();
      await loop.catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    if (this.nc) await this.nc.close().catch(() => undefined);
    this.nc = undefined;
    await stopServer(this.server);
    this.server = undefined;
  }
}
