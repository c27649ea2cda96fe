/**
 * The produce and consume loops shared by the two adapters that drive a kafkajs-shaped API:
 * Skein's embedded producer/consumer (skein.ts) and kafkajs over the Kafka protocol
 * (skein-kafka.ts). One copy, so both systems are measured by exactly the same loop.
 */
import type { Consumed, Workload } from '../types.js';

type Messages = Array<{ value: Buffer; partition: number }>;

/**
 * Sends `w.count` records in sends of `per`, at most `inFlight` unacknowledged, each issued once
 * the oldest is acknowledged. Message arrays are prepared outside the loop: a send starting at
 * record s covers partitions (s + j) % P, so one array per value of s % P serves every send.
 */
export async function produceInFlight(w: Workload, per: number, inFlight: number, send: (messages: Messages) => Promise<unknown>): Promise<void> {
  const shapes = new Map<number, Messages>();
  const shape = (start: number) => {
    const phase = start % w.partitions;
    let messages = shapes.get(phase);
    if (!messages) {
      messages = Array.from({ length: per }, (_, j) => ({ value: w.value, partition: (phase + j) % w.partitions }));
      shapes.set(phase, messages);
    }
    return messages;
  };
  for (let s = 0; s < Math.min(w.count, per * w.partitions); s += per) shape(s);
  const pending: Promise<unknown>[] = [];
  for (let start = 0; start < w.count; start += per) {
    const n = Math.min(per, w.count - start);
    const messages = n === per ? shape(start) : shape(start).slice(0, n);
    pending.push(send(messages).then(() => w.tick(n)));
    if (pending.length >= inFlight) await pending.shift();
  }
  await Promise.all(pending);
}

interface BatchLike {
  partition: number;
  messages: Array<{ offset: string; value: Buffer | null }>;
}

/**
 * An eachBatch handler that counts records and bytes and checks that every partition's offsets
 * run on without going back or skipping; `finished` settles once `w.count` records arrived (or
 * on the first failure), and `result()` returns the totals or throws that failure.
 */
export function orderCheckingConsumer(label: string, w: Workload) {
  const last = new Array<number>(w.partitions).fill(-1);
  let records = 0;
  let bytes = 0;
  let failure: Error | undefined;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const eachBatch = async ({ batch }: { batch: BatchLike }) => {
    if (batch.messages.length === 0) return;
    const first = Number(batch.messages[0]!.offset);
    const previous = last[batch.partition]!;
    if (first <= previous) failure ??= new Error(`${label}: partition ${batch.partition} went back: ${first} after ${previous}`);
    else if (first !== previous + 1) failure ??= new Error(`${label}: partition ${batch.partition} skipped from ${previous} to ${first}`);
    for (const message of batch.messages) bytes += message.value?.length ?? 0;
    last[batch.partition] = Number(batch.messages[batch.messages.length - 1]!.offset);
    records += batch.messages.length;
    w.tick(batch.messages.length);
    if (records >= w.count || failure) done();
  };
  const result = (): Consumed => {
    if (failure) throw failure;
    return { records, bytes };
  };
  return { eachBatch, finished, result };
}
