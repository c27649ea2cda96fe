/**
 * Load for fault tests, recorded in a checker History: one kafkajs producer per partition
 * (idempotent, acks=-1 unless told otherwise), each sending small batches of numbered values
 * (`<writer>:<seq>`) one send at a time, so per-writer send order is known; every attempt is
 * recorded before it is sent and every acknowledgement with the offset the broker gave. A send
 * that fails (retries exhausted) or gets no answer within `sendTimeoutMs` (a client stuck on a
 * black-holed connection) is counted and its values are never re-sent; the producer is replaced
 * by a fresh one (new producer id, so kafkajs cannot re-use the failed batch's sequence numbers
 * for other values), which writes as a new writer (`w<p>.<generation>`): send order is promised
 * per producer only. An acknowledgement arriving after the send was given up is still recorded.
 *
 * Then `readBack()`: every partition read from the beginning to its high watermark with kcat
 * (librdkafka: a client independent of the producers), once the high watermark covers every
 * acknowledged offset (a new leader's high watermark may trail until its followers fetch).
 */
import { spawn } from 'node:child_process';
import type { Kafka, Producer } from 'kafkajs';
import { History, partitionKey, valueOf, type ReadBack, type ReadRecord } from './checker.js';
import { until } from './wait.js';

export interface LoadOptions {
  topic: string;
  partitions: number;
  /** Records per send. */
  batch?: number;
  acks?: -1 | 1;
  idempotent?: boolean;
  /** Pause between sends of one writer (keeps a 2-core machine usable). */
  pauseMs?: number;
  writerPrefix?: string;
  /** A send without an answer for this long is given up (counted failed) and its producer replaced. Default 10000. */
  sendTimeoutMs?: number;
  /**
   * Keep one producer (one producer id) whatever fails, as an application that never restarts
   * its producer would: checks that an idempotent producer carries on after a failover.
   */
  keepProducer?: boolean;
}

export class Load {
  readonly history: History;
  private stopping = false;
  private readonly loops: Promise<void>[] = [];
  private readonly producers = new Set<Producer>();
  private readonly kafka: () => Kafka;
  private readonly options: LoadOptions;
  /** Acknowledged sends per partition, for progress checks. */
  readonly acked: number[];

  constructor(kafka: () => Kafka, options: LoadOptions, history = new History()) {
    this.kafka = kafka;
    this.options = options;
    this.history = history;
    this.acked = new Array<number>(options.partitions).fill(0);
  }

  start(): this {
    for (let p = 0; p < this.options.partitions; p++) this.loops.push(this.run(p));
    return this;
  }

  /** Resolves when every partition got `more` further acknowledged sends (bounded by the caller). */
  async progress(more: number, timeoutMs = 60_000, what = 'writes acknowledged'): Promise<void> {
    const target = this.acked.map((n) => n + more);
    await until(() => this.acked.every((n, p) => n >= target[p]!), `${more} more ${what} on every partition`, timeoutMs, 50).catch((err: Error) => {
      const failures = [...this.history.failures].map(([k, n]) => `${k} x${n}`).join(', ');
      throw new Error(`${err.message} (acknowledged sends so far ${this.acked}; failed sends: ${failures || 'none'})`);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  private async producer(): Promise<Producer> {
    const idempotent = this.options.idempotent ?? true;
    const producer = this.kafka().producer({
      idempotent,
      maxInFlightRequests: idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
      retry: { retries: idempotent ? 30 : 10, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    await producer.connect();
    this.producers.add(producer);
    return producer;
  }

  private async drop(producer: Producer | undefined): Promise<void> {
    if (!producer) return;
    this.producers.delete(producer);
    await producer.disconnect().catch(() => undefined);
  }

  private async run(partition: number): Promise<void> {
    const { topic } = this.options;
    const batch = this.options.batch ?? 5;
    const sendTimeoutMs = this.options.sendTimeoutMs ?? 10_000;
    // A new producer is a new writer: per-writer order is only promised within one producer.
    let generation = 0;
    let seq = 0;
    let producer: Producer | undefined;
    while (!this.stopping) {
      try {
        producer ??= await this.producer();
      } catch (err) {
        this.history.fail(err);
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      const writer = `${this.options.writerPrefix ?? 'w'}${partition}.${generation}`;
      const values: string[] = [];
      for (let i = 0; i < batch; i++) values.push(valueOf(writer, seq++));
      for (const v of values) this.history.attempt(v);
      // An acknowledgement that arrives after the writer gave up still counts: the cluster gave it.
      const sending = producer.send({ topic, acks: this.options.acks ?? -1, messages: values.map((value) => ({ partition, value })) }).then(
        ([meta]) => {
          const base = Number(meta!.baseOffset);
          values.forEach((value, i) => this.history.ack({ topic, partition, offset: base + i, value }));
          return true;
        },
        (err: unknown) => {
          this.history.fail(err);
          return false;
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([sending, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), sendTimeoutMs)))]);
      clearTimeout(timer);
      if (outcome === true) {
        this.acked[partition]! += 1;
      } else if (this.options.keepProducer && outcome === false) {
        await new Promise((r) => setTimeout(r, 50));
      } else {
        if (outcome === 'timeout') this.history.fail({ type: `no answer within ${sendTimeoutMs} ms` });
        const stale = producer;
        producer = undefined;
        generation += 1;
        // Not awaited past a bound: a producer stuck on a black-holed connection may take long to close.
        await Promise.race([this.drop(stale), new Promise((r) => setTimeout(r, 2000))]);
      }
      if (this.options.pauseMs) await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
    await this.drop(producer);
  }
}

/** One partition from the beginning to its high watermark, with kcat. */
export function kcatRead(bootstrap: string[], topic: string, partition: number, timeoutMs = 60_000): Promise<ReadRecord[]> {
  return new Promise((resolve, reject) => {
    const args = ['-b', bootstrap.join(','), '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o\t%s\n', '-X', 'topic.metadata.refresh.interval.ms=500'];
    const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`kcat ${topic}/${partition} exited ${code ?? signal}: ${err.slice(-500)}`));
        return;
      }
      const records: ReadRecord[] = [];
      for (const line of out.split('\n')) {
        if (!line) continue;
        const tab = line.indexOf('\t');
        records.push({ offset: Number(line.slice(0, tab)), value: line.slice(tab + 1) });
      }
      resolve(records);
    });
  });
}

/**
 * Reads every partition written in `history` (and `extra` partitions) back, once each
 * partition's high watermark covers its highest acknowledged offset (or `waitMs` passed: then
 * what is there is read, and the checker reports what is missing).
 */
export async function readBack(kafka: Kafka, bootstrap: string[], topic: string, partitions: number, history: History, waitMs = 30_000): Promise<ReadBack> {
  const needed = new Array<number>(partitions).fill(0);
  for (const a of history.acks) if (a.topic === topic) needed[a.partition] = Math.max(needed[a.partition]!, a.offset + 1);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await until(async () => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.every((o) => Number(o.high) >= needed[o.partition]!);
    }, `high watermarks of ${topic} to cover ${needed}`, waitMs, 200).catch(() => undefined);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const out: ReadBack = new Map();
  for (let p = 0; p < partitions; p++) out.set(partitionKey(topic, p), await kcatRead(bootstrap, topic, p));
  return out;
}
