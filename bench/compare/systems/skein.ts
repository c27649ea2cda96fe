/**
 * Skein embedded, through its kafkajs-shaped producer and consumer (the API a service uses),
 * in two variants: flush never (acknowledged from the page cache, like NATS) and
 * flush.messages=1 (each batch flushed before its acknowledgement, with group commit, the
 * closest to LMDB's synced commits). Produce: sends of 1000 records, 16 in flight.
 * Consume: one group member, eachBatch. Latency: send → eachMessage with the consumer waiting.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Skein } from '../../../src/client/skein.js';
import { orderCheckingConsumer, produceInFlight } from './kafka-shaped.js';
import type { Consumed, Durability, System, Workload } from '../types.js';

const PER_SEND = 1000;
const IN_FLIGHT = 16;
/** Below max.message.bytes (1 MiB + 12) with room for the batch header. */
const BATCH_SIZE = 512 * 1024;
const SEGMENT_BYTES = 256 * 1024 * 1024;

type SkeinConsumer = ReturnType<Skein['consumer']>;
type SkeinProducer = ReturnType<Skein['producer']>;

export class SkeinEmbedded implements System {
  readonly id: string;
  readonly label: string;
  readonly isSkein = true;
  readonly maxPartitions = 1_000;
  private skein: Skein | undefined;
  private producer: SkeinProducer | undefined;
  private consumers: SkeinConsumer[] = [];
  private groups = 0;

  constructor(private readonly flushEveryBatch: boolean) {
    this.id = flushEveryBatch ? 'skein-fsync' : 'skein';
    this.label = flushEveryBatch ? 'Skein embedded (flush.messages=1)' : 'Skein embedded (flush never)';
  }

  async start(dir: string): Promise<void> {
    this.skein = await Skein.open({ dir: join(dir, 'skein'), groupInitialRebalanceDelayMs: 0 });
    // Skein's default: an idempotent producer (producer id + sequence numbers per partition).
    this.producer = this.skein.producer({ batchSize: BATCH_SIZE, lingerMs: 0 });
    await this.producer.connect();
  }

  serverPid(): number | undefined {
    return undefined;
  }

  version(): string {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'));
      return `skein ${pkg.version}`;
    } catch {
      return 'skein (version unknown)';
    }
  }

  private topicConfig(): Array<{ name: string; value: string }> {
    const config = [{ name: 'segment.bytes', value: String(SEGMENT_BYTES) }];
    if (this.flushEveryBatch) config.push({ name: 'flush.messages', value: '1' });
    return config;
  }

  settings(): Record<string, string> {
    return {
      'flush.messages': this.flushEveryBatch ? '1 (flush each batch, group commit)' : 'never (Kafka default: the OS writes back)',
      'segment.bytes': String(SEGMENT_BYTES),
      producer: `batchSize ${BATCH_SIZE}, lingerMs 0, idempotent (the Skein default), acks=1`,
      produce: `send() of ${PER_SEND} records, ${IN_FLIGHT} sends in flight`,
      consume: 'one group member, eachBatch, maxBytes 16 MiB, maxBytesPerPartition 4 MiB',
      latency: 'send(acks=1) of one record; eachMessage of a consumer already assigned and waiting',
    };
  }

  durability(): Durability {
    return this.flushEveryBatch
      ? { policy: 'each batch msync\'d before it is acknowledged (group commit)', ack: 'on disk' }
      : { policy: 'written into the mapped segment; the OS writes back', ack: 'in the page cache (survives a process crash, not a power loss)' };
  }

  batching(): string {
    return `sends of ${PER_SEND}, ${IN_FLIGHT} in flight, batch.size ${BATCH_SIZE / 1024} KiB, idempotent`;
  }

  async prepare(w: Workload): Promise<void> {
    await Promise.all(this.consumers.splice(0).map((c) => c.disconnect()));
    await this.skein!.admin.createTopics({ topics: [{ topic: w.log, numPartitions: w.partitions, configEntries: this.topicConfig() }] });
  }

  async produce(w: Workload): Promise<void> {
    const producer = this.producer!;
    await produceInFlight(w, PER_SEND, IN_FLIGHT, (messages) => producer.send({ topic: w.log, messages, acks: 1 }));
  }

  async consume(w: Workload): Promise<Consumed> {
    const consumer = this.skein!.consumer({
      groupId: `g-${w.log}-${this.groups++}`,
      maxBytes: 16 * 1024 * 1024,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: 100,
    });
    this.consumers.push(consumer);
    await consumer.subscribe({ topic: w.log, fromBeginning: true });
    const check = orderCheckingConsumer('skein', w);
    await consumer.run({ autoCommitInterval: 1000, eachBatch: check.eachBatch });
    await check.finished;
    return check.result();
  }

  async latency(samples: number, value: Buffer, sample: (micros: number) => void): Promise<void> {
    const topic = `latency-${Date.now()}`;
    await this.skein!.admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: this.topicConfig() }] });
    const consumer = this.skein!.consumer({ groupId: `${topic}-g`, maxWaitTimeInMs: 1000 });
    this.consumers.push(consumer);
    await consumer.subscribe({ topic });
    let arrived: ((at: bigint) => void) | undefined;
    await consumer.run({
      eachMessage: async () => {
        const done = arrived;
        arrived = undefined;
        done?.(process.hrtime.bigint());
      },
    });
    while (consumer.health().status !== 'consuming' || consumer.assignment().length === 0) await new Promise((r) => setTimeout(r, 10));
    const producer = this.producer!;
    for (let i = 0; i < samples; i++) {
      const wait = new Promise<bigint>((resolve) => (arrived = resolve));
      const started = process.hrtime.bigint();
      await producer.send({ topic, messages: [{ value }], acks: 1 });
      sample(Number((await wait) - started) / 1000);
    }
  }

  async stop(): Promise<void> {
    await this.skein?.close();
    this.skein = undefined;
    this.consumers = [];
  }
}
