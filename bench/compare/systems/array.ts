/**
 * A plain in-memory JS array per partition: the ceiling for an in-process queue, with no
 * durability at all. Produce copies each record into a new Buffer (the record arrives from
 * elsewhere and must outlive the caller's buffer, as in every other system); consume walks
 * the arrays in order.
 */
import { inProcessLatency } from './wakeup.js';
import type { Consumed, Durability, System, Workload } from '../types.js';

export class JsArray implements System {
  readonly id = 'array';
  readonly label = 'JS array (in memory)';
  readonly isSkein = false;
  readonly maxPartitions = 1_000;
  private queues: Buffer[][] = [];

  async start(): Promise<void> {}

  serverPid(): number | undefined {
    return undefined;
  }

  version(): string {
    return `node ${process.version}`;
  }

  settings(): Record<string, string> {
    return {
      produce: 'push(Buffer.from(value)) per record',
      consume: 'index walk over each array',
      latency: 'push, then a parked reader is woken and reads it',
    };
  }

  durability(): Durability {
    return { policy: 'none (process memory)', ack: 'in the array; lost with the process' };
  }

  batching(): string {
    return 'none needed';
  }

  async prepare(w: Workload): Promise<void> {
    this.queues = Array.from({ length: w.partitions }, () => []);
  }

  async produce(w: Workload): Promise<void> {
    const queues = this.queues;
    for (let start = 0; start < w.count; start += 1000) {
      const end = Math.min(w.count, start + 1000);
      for (let i = start; i < end; i++) queues[i % queues.length]!.push(Buffer.from(w.value));
      w.tick(end - start);
    }
  }

  async consume(w: Workload): Promise<Consumed> {
    let records = 0;
    let bytes = 0;
    for (const queue of this.queues) {
      for (let i = 0; i < queue.length; i++) bytes += queue[i]!.length;
      records += queue.length;
      w.tick(queue.length);
    }
    this.queues = [];
    return { records, bytes };
  }

  async latency(samples: number, value: Buffer, sample: (micros: number) => void): Promise<void> {
    const queue: Buffer[] = [];
    await inProcessLatency(
      samples,
      () => queue.push(Buffer.from(value)),
      () => {
        if (!queue.shift()) throw new Error('array: the reader woke to no record');
      },
      sample,
    );
  }

  async stop(): Promise<void> {
    this.queues = [];
  }
}
