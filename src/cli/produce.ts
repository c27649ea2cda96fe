/**
 * `skein produce <topic>`: one record per line of stdin (or of --file), as
 * kafka-console-producer.sh and `kcat -P` do. `--key-separator` splits each line into key and
 * value at the first separator; `--header k=v` adds headers to every record; `--partition`
 * pins the partition, else keyed records go where the Java client puts them (murmur2) and
 * unkeyed ones round-robin. Records go in batches of up to --batch-size records, acks=all;
 * a refused batch stops the command (what was acknowledged before stays).
 *
 * Loads the native addon (CRC-32C of the batches), lazily: `skein --help` does not need it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { keyedPartition } from '../client/partitioner.js';
import { KAFKA_ERRORS } from '../protocol/error-codes.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../protocol/messages/metadata.js';
import { decodeProduceResponse, encodeProduceRequest } from '../protocol/messages/produce.js';
import type { RecordInput } from '../records/encode-record-batch.js';
import { CliFailure, EXIT } from './exit-codes.js';
import type { KafkaConnection } from './kafka-connection.js';
import { API, partitionsOf } from './kafka-requests.js';
import { progressBar } from './progress.js';
import type { Console } from './serve.js';
import { errorText, exitFor, withConnection } from './session.js';

export interface ProduceOptions {
  bootstrap: string;
  topic: string;
  keySeparator?: string;
  headers: string[];
  partition?: number;
  file?: string;
  batchSize: number;
  json: boolean;
}

export function produce(options: ProduceOptions, io: Console, stdin: NodeJS.ReadableStream = process.stdin): Promise<number> {
  const headers: Array<{ key: string; value: string }> = [];
  for (const h of options.headers) {
    const at = h.indexOf('=');
    if (at <= 0) {
      io.err(`skein: --header needs key=value, got "${h}"`);
      return Promise.resolve(EXIT.USAGE);
    }
    headers.push({ key: h.slice(0, at), value: h.slice(at + 1) });
  }
  return withConnection(options.bootstrap, io, async (c) => {
    const { encodeRecordBatch } = await import('../records/encode-record-batch.js');
    const { key, version } = API.metadata;
    // As kafka-console-producer: the broker may create the topic (auto.create.topics.enable).
    const meta = await c.request(key, version, (w) => encodeMetadataRequest(w, version, { topics: [{ name: options.topic }], allowAutoTopicCreation: true }), decodeMetadataResponse);
    const t = meta.topics[0];
    if (!t || t.errorCode !== KAFKA_ERRORS.NONE) {
      const code = t?.errorCode ?? KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION;
      throw new CliFailure(`cannot produce to ${options.topic}: ${errorText(code)} (create it with skein topics create ${options.topic})`, exitFor(code));
    }
    const partitions = partitionsOf(t);
    if (options.partition !== undefined && !partitions.includes(options.partition)) {
      throw new CliFailure(`topic ${options.topic} has no partition ${options.partition} (it has ${partitions.length})`, EXIT.NOT_FOUND);
    }

    let input: NodeJS.ReadableStream = stdin;
    let bar: ReturnType<typeof progressBar> | undefined;
    if (options.file !== undefined) {
      let size: number;
      try {
        size = (await stat(options.file)).size;
      } catch (err) {
        throw new CliFailure(`cannot read ${options.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.USAGE);
      }
      const stream = createReadStream(options.file);
      bar = progressBar(size, 'bytes');
      stream.on('data', (chunk) => bar?.increment(chunk.length));
      input = stream;
    }

    const pending = new Map<number, RecordInput[]>();
    const counts = new Map<number, number>();
    let total = 0;
    let pendingCount = 0;
    let roundRobin = 0;
    let lineNumber = 0;
    const flush = async () => {
      if (pendingCount === 0) return;
      await send(c, options.topic, pending, encodeRecordBatch);
      for (const [p, records] of pending) counts.set(p, (counts.get(p) ?? 0) + records.length);
      total += pendingCount;
      pending.clear();
      pendingCount = 0;
    };
    try {
      for await (const line of createInterface({ input, crlfDelay: Infinity })) {
        lineNumber++;
        let recordKey: string | null = null;
        let value = line;
        if (options.keySeparator !== undefined) {
          const at = line.indexOf(options.keySeparator);
          if (at < 0) throw new CliFailure(`line ${lineNumber} has no key separator "${options.keySeparator}" (${total + pendingCount} records before it were sent)`, EXIT.USAGE);
          recordKey = line.slice(0, at);
          value = line.slice(at + options.keySeparator.length);
        }
        const partition =
          options.partition ?? (recordKey !== null ? keyedPartition(Buffer.from(recordKey), partitions.length) : partitions[roundRobin++ % partitions.length]!);
        let list = pending.get(partition);
        if (!list) pending.set(partition, (list = []));
        list.push({ key: recordKey, value, headers });
        if (++pendingCount >= options.batchSize) await flush();
      }
      await flush();
    } finally {
      bar?.stop();
    }
    if (options.json) io.out(JSON.stringify({ topic: options.topic, records: total, partitions: Object.fromEntries([...counts].sort((a, b) => a[0] - b[0])) }));
    else io.out(`produced ${total} record${total === 1 ? '' : 's'} to ${options.topic}`);
    return EXIT.OK;
  });
}

async function send(
  c: KafkaConnection,
  topic: string,
  byPartition: Map<number, RecordInput[]>,
  encode: (records: readonly RecordInput[]) => Buffer,
): Promise<void> {
  const { key, version } = API.produce;
  const answer = await c.request(
    key,
    version,
    (w) =>
      encodeProduceRequest(w, version, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 30_000,
        topicData: [{ name: topic, partitionData: [...byPartition].map(([index, records]) => ({ index, records: encode(records) })) }],
      }),
    decodeProduceResponse,
  );
  for (const t of answer.responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== KAFKA_ERRORS.NONE) throw new CliFailure(`the broker refused records for ${topic}-${p.index}: ${errorText(p.errorCode, p.errorMessage)}`, exitFor(p.errorCode));
    }
  }
}
