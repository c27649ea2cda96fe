/**
 * The child processes of the scale workloads: each scenario that leaves state on disk or in
 * the heap runs in a fresh process, so one cannot skew the next. Modes:
 *   partitions <dir> <P> <count> <valueBytes>  produce + consume over P partitions; footprint
 *   write <dir> <bytes>                        fill one partition, print "written", wait to be SIGKILLed
 *   reopen <dir> <records> <group>             time Skein.open after the kill, then consume the backlog
 * Each prints one line "RESULT <json>" on stdout.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { Skein } from '../../src/client/skein.js';

export interface Footprint {
  rssBytes: number;
  fds: number;
  maps: number;
}

function footprint(): Footprint {
  const status = readFileSync('/proc/self/status', 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return {
    rssBytes: rssKb * 1024,
    fds: readdirSync('/proc/self/fd').length,
    maps: readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean).length,
  };
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;
const TOPIC = 'scale';

async function produce(skein: Skein, partitions: number, count: number, value: Buffer): Promise<number> {
  // As in systems/skein.ts: not idempotent, and one send fits one batch.
  const producer = skein.producer({ batchSize: 512 * 1024, idempotent: false });
  await producer.connect();
  const perSend = Math.min(1000, Math.floor((0.9 * 512 * 1024) / (value.length + 40)));
  const shapes = new Map<number, Array<{ value: Buffer; partition: number }>>();
  const shape = (start: number) => {
    const phase = start % partitions;
    let m = shapes.get(phase);
    if (!m) shapes.set(phase, (m = Array.from({ length: perSend }, (_, j) => ({ value, partition: (phase + j) % partitions }))));
    return m;
  };
  for (let s = 0; s < Math.min(count, perSend * partitions); s += perSend) shape(s);
  const started = process.hrtime.bigint();
  // 16 sends in flight, as in systems/skein.ts.
  const inFlight: Promise<unknown>[] = [];
  for (let start = 0; start < count; start += perSend) {
    const n = Math.min(perSend, count - start);
    inFlight.push(producer.send({ topic: TOPIC, messages: n === perSend ? shape(start) : shape(start).slice(0, n), acks: 1 }));
    if (inFlight.length >= 16) await inFlight.shift();
  }
  await Promise.all(inFlight);
  return count / seconds(started);
}

async function consume(skein: Skein, count: number, group: string): Promise<{ seconds: number; bytes: number }> {
  const consumer = skein.consumer({ groupId: group, maxBytes: 16 * 1024 * 1024, maxBytesPerPartition: 4 * 1024 * 1024, maxWaitTimeInMs: 100 });
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  let received = 0;
  let bytes = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const started = process.hrtime.bigint();
  await consumer.run({
    autoCommitInterval: 1000,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) bytes += m.value?.length ?? 0;
      received += batch.messages.length;
      if (received >= count) done();
    },
  });
  await finished;
  const elapsed = seconds(started);
  await consumer.disconnect();
  return { seconds: elapsed, bytes };
}

async function partitionsMode(dir: string, partitions: number, count: number, valueBytes: number): Promise<unknown> {
  const before = footprint();
  const skein = await Skein.open({ dir, groupInitialRebalanceDelayMs: 0 });
  const openedAt = process.hrtime.bigint();
  await skein.admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: partitions, configEntries: [{ name: 'segment.bytes', value: String(64 * 1024 * 1024) }] }] });
  const createSec = seconds(openedAt);
  const value = Buffer.alloc(valueBytes, 0x61);
  const produceRps = await produce(skein, partitions, count, value);
  const afterProduce = footprint();
  const consumed = await consume(skein, count, 'scale-g');
  const after = footprint();
  await skein.close();
  return { partitions, count, valueBytes, createSec, produceRps, consumeRps: count / consumed.seconds, before, afterProduce, after };
}

async function writeMode(dir: string, bytes: number): Promise<never> {
  const skein = await Skein.open({ dir, groupInitialRebalanceDelayMs: 0 });
  // One partition and Kafka's default 1 GiB segments: the log a recovery has to reopen.
  await skein.admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  const value = Buffer.alloc(1024, 0x62);
  const records = Math.ceil(bytes / value.length);
  const produceRps = await produce(skein, 1, records, value);
  process.stdout.write(`RESULT ${JSON.stringify({ records, produceRps })}\n`);
  // Not closed: the parent SIGKILLs this process, an unclean stop.
  await new Promise(() => setInterval(() => undefined, 1 << 30));
  throw new Error('unreachable');
}

async function reopenMode(dir: string, records: number, group: string): Promise<unknown> {
  const started = process.hrtime.bigint();
  const skein = await Skein.open({ dir, groupInitialRebalanceDelayMs: 0 });
  // Reading the offsets makes sure the partition's log is open, not only the broker.
  const offsets = await skein.admin.fetchTopicOffsets(TOPIC);
  const openSec = seconds(started);
  const high = Number(offsets[0]?.high ?? NaN);
  const consumed = await consume(skein, Math.min(records, high), group);
  await skein.close();
  return { openSec, high, consumeSec: consumed.seconds, consumedBytes: consumed.bytes };
}

async function main(): Promise<void> {
  const [mode, dir, a, b, c] = process.argv.slice(2);
  let result: unknown;
  if (mode === 'partitions') result = await partitionsMode(dir!, Number(a), Number(b), Number(c));
  else if (mode === 'write') result = await writeMode(dir!, Number(a));
  else if (mode === 'reopen') result = await reopenMode(dir!, Number(a), b!);
  else throw new Error(`unknown mode ${mode}`);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
