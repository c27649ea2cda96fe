/**
 * Skein over the Kafka protocol with kafkajs: the broker in a child process of its own
 * (skein-serve-child.ts, what `skein serve` runs, on 127.0.0.1 with a temporary data folder),
 * so the server's CPU is the broker's and the client's is kafkajs's, as for Redis and NATS.
 * Flush never, as the `skein` system: acknowledged from the page cache.
 *
 * Produce: a kafkajs producer (acks 1, no compression, so not idempotent: kafkajs requires
 * acks=-1 for that), sends of 1000 records, 8 in flight. kafkajs writes one record batch per
 * partition per send and does not split it, so a send holds at most ~1 MiB of values per
 * partition (max.message.bytes is 1 MiB + 12): 100 records of 10 KiB on one partition.
 * Consume: a kafkajs consumer group (one member), eachBatch, fromBeginning. Latency: send of
 * one record (acks 1) → eachMessage of a consumer already assigned and waiting in a long poll.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs, { type Consumer, type Producer, type Kafka as KafkaClient } from 'kafkajs';
import { freePort, startServer, stopServer } from '../proc.js';
import { packageVersion } from '../versions.js';
import { orderCheckingConsumer, produceInFlight } from './kafka-shaped.js';
import { SkipError, type Consumed, type Durability, type System, type Workload } from '../types.js';

const { Kafka, logLevel, CompressionTypes } = kafkajs;
const SERVER = fileURLToPath(new URL('../skein-serve-child.js', import.meta.url));

const PER_SEND = 1000;
const IN_FLIGHT = 8;
/** Values per partition in one send: one record batch, under max.message.bytes (1 MiB + 12). */
const BATCH_VALUE_BYTES = 1024 * 1024 - 16 * 1024;
const SEGMENT_BYTES = 256 * 1024 * 1024;

/** Records per send: 1000, fewer when a partition's share would exceed one batch's limit. */
export function perSend(valueBytes: number, partitions: number): number {
  return Math.max(1, Math.min(PER_SEND, partitions * Math.floor(BATCH_VALUE_BYTES / valueBytes)));
}

export class SkeinKafka implements System {
  readonly id = 'skein-kafka';
  readonly label = 'Skein over the Kafka protocol (kafkajs)';
  readonly isSkein = true;
  readonly maxPartitions = 1_000;
  private server: ChildProcess | undefined;
  private kafka: KafkaClient | undefined;
  private producer: Producer | undefined;
  private consumers: Consumer[] = [];
  private groups = 0;

  async start(dir: string): Promise<void> {
    const port = await freePort();
    // startServer registers the child for killAll() and turns an early exit into a SkipError.
    this.server = await startServer(process.execPath, [SERVER, join(dir, 'skein'), String(port)], port, 20_000);
    this.kafka = new Kafka({ clientId: 'bench-compare', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    this.producer = this.kafka.producer({ allowAutoTopicCreation: false });
    try {
      await this.producer.connect();
    } catch (err) {
      await this.stop();
      throw new SkipError(`kafkajs could not connect to the broker on 127.0.0.1:${port}: ${(err as Error).message}`);
    }
  }

  serverPid(): number | undefined {
    return this.server?.pid;
  }

  version(): string {
    let skein = 'skein (version unknown)';
    try {
      skein = `skein ${JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')).version}`;
    } catch {
      // Keep the placeholder.
    }
    return `${skein}, Kafka protocol; kafkajs ${packageVersion('kafkajs')}`;
  }

  settings(): Record<string, string> {
    return {
      broker: 'skein-serve-child (Skein.open + listen, as `skein serve`) in its own process on 127.0.0.1; group initial rebalance delay 0',
      'flush.messages': 'never (Kafka default: the OS writes back)',
      'segment.bytes': String(SEGMENT_BYTES),
      producer: 'kafkajs, acks=1, compression none, not idempotent (kafkajs needs acks=-1 for that)',
      produce: `send() of ${PER_SEND} records (at most ~1 MiB of values per partition per send), ${IN_FLIGHT} sends in flight, partition given per record`,
      consume: 'kafkajs consumer group, one member, eachBatch, fromBeginning, maxBytes 16 MiB, maxBytesPerPartition 4 MiB, offsets committed every second',
      latency: 'send(acks=1) of one record; eachMessage of a consumer already assigned and waiting (maxWaitTimeInMs 1000), offsets committed every second',
    };
  }

  durability(): Durability {
    return { policy: 'written into the mapped segment; the OS writes back', ack: 'in the page cache (survives a process crash, not a power loss)' };
  }

  batching(): string {
    return `kafkajs sends of ${PER_SEND} records (≤ ~1 MiB per partition), ${IN_FLIGHT} in flight`;
  }

  private async dropConsumers(): Promise<void> {
    await Promise.all(this.consumers.splice(0).map((c) => c.disconnect().catch(() => undefined)));
  }

  private async createTopic(topic: string, partitions: number): Promise<void> {
    const admin = this.kafka!.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries: [{ name: 'segment.bytes', value: String(SEGMENT_BYTES) }] }] });
    } finally {
      await admin.disconnect();
    }
  }

  async prepare(w: Workload): Promise<void> {
    await this.dropConsumers();
    await this.createTopic(w.log, w.partitions);
  }

  async produce(w: Workload): Promise<void> {
    const producer = this.producer!;
    const per = perSend(w.value.length, w.partitions);
    await produceInFlight(w, per, IN_FLIGHT, (messages) => producer.send({ topic: w.log, messages, acks: 1, compression: CompressionTypes.None }));
  }

  async consume(w: Workload): Promise<Consumed> {
    const consumer = this.kafka!.consumer({
      groupId: `g-${w.log}-${this.groups++}`,
      maxBytes: 16 * 1024 * 1024,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: 100,
    });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: w.log, fromBeginning: true });
    const check = orderCheckingConsumer('skein-kafka', w);
    await consumer.run({ autoCommitInterval: 1000, eachBatch: check.eachBatch });
    await check.finished;
    return check.result();
  }

  async latency(samples: number, value: Buffer, sample: (micros: number) => void): Promise<void> {
    await this.dropConsumers();
    const topic = `latency-${Date.now()}`;
    await this.createTopic(topic, 1);
    const consumer = this.kafka!.consumer({ groupId: `${topic}-g`, maxWaitTimeInMs: 1000 });
    this.consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: false });
    let joined!: () => void;
    const ready = new Promise<void>((r) => (joined = r));
    consumer.on(consumer.events.GROUP_JOIN, () => joined());
    let arrived: ((at: bigint) => void) | undefined;
    await consumer.run({
      autoCommitInterval: 1000,
      eachMessage: async () => {
        const done = arrived;
        arrived = undefined;
        done?.(process.hrtime.bigint());
      },
    });
    await ready;
    // Let the first fetch reach the broker and park in its long poll.
    await new Promise((r) => setTimeout(r, 300));
    const producer = this.producer!;
    for (let i = 0; i < samples; i++) {
      const wait = new Promise<bigint>((resolve) => (arrived = resolve));
      const started = process.hrtime.bigint();
      await producer.send({ topic, messages: [{ value }], acks: 1, compression: CompressionTypes.None });
      sample(Number((await wait) - started) / 1000);
    }
  }

  async stop(): Promise<void> {
    await this.dropConsumers();
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.kafka = undefined;
    await stopServer(this.server);
    this.server = undefined;
  }
}
