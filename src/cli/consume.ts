/**
 * `skein consume <topic>`: prints records as kafka-console-consumer.sh and `kcat -C` do.
 * Where to start: `--offset N` (with `--partition`), `--from-beginning`, the committed offsets
 * of `--group` (else the end), and the group's positions are committed back when the command
 * stops. The group is used as kafka-consumer-groups.sh uses one, from outside group
 * management (commits with generation -1), so the group must have no active members; this
 * command does not join it. Stops after `--max-messages`, at the end of every partition with
 * `--exit`, or on SIGINT/SIGTERM. Output: the value (default), `--format` with kcat's
 * %t %p %o %k %s %h %T %S %K (and \n \t escapes), or `--json` lines.
 *
 * Loads the native addon (CRC checks of fetched batches), lazily.
 */
import { KAFKA_ERRORS } from '../protocol/error-codes.js';
import { decodeFetchResponse, encodeFetchRequest } from '../protocol/messages/fetch.js';
import type { DecodedRecord } from '../records/decode-record-batch.js';
import { CliFailure, EXIT } from './exit-codes.js';
import { API, EARLIEST, LATEST, commitOffsets, committedOffsets, listOffsets, partitionsOf, requireTopic } from './kafka-requests.js';
import type { Console } from './serve.js';
import { errorText, exitFor, withConnection } from './session.js';

export interface ConsumeOptions {
  bootstrap: string;
  topic: string;
  partition?: number;
  offset?: number;
  fromBeginning: boolean;
  group?: string;
  maxMessages?: number;
  exitAtEnd: boolean;
  format?: string;
  json: boolean;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  record: DecodedRecord;
}

export function consume(options: ConsumeOptions, io: Console): Promise<number> {
  if (options.offset !== undefined && options.partition === undefined) {
    io.err('skein: --offset needs --partition (offsets are per partition)');
    return Promise.resolve(EXIT.USAGE);
  }
  const print = options.json ? jsonLine : options.format !== undefined ? kcatFormat(options.format) : (r: ConsumedRecord) => r.record.value?.toString('utf8') ?? '';
  return withConnection(options.bootstrap, io, async (c) => {
    const { iterateBatches, iterateRecords } = await import('../records/record-iterator.js');
    const t = await requireTopic(c, options.topic);
    let partitions = partitionsOf(t);
    if (options.partition !== undefined) {
      if (!partitions.includes(options.partition)) throw new CliFailure(`topic ${options.topic} has no partition ${options.partition} (it has ${partitions.length})`, EXIT.NOT_FOUND);
      partitions = [options.partition];
    }
    const wanted = new Map([[options.topic, partitions]]);
    const starts = (await listOffsets(c, wanted, EARLIEST)).get(options.topic)!;
    const ends = (await listOffsets(c, wanted, LATEST)).get(options.topic)!;
    const committed = options.group ? (await committedOffsets(c, options.group, wanted)).get(options.topic) : undefined;
    const positions = new Map<number, number>();
    for (const p of partitions) {
      let position: number;
      if (options.offset !== undefined) position = options.offset;
      else if (committed && (committed.get(p) ?? -1) >= 0) position = committed.get(p)!;
      else position = options.fromBeginning ? starts.get(p)! : ends.get(p)!;
      positions.set(p, position);
    }

    let stopped = false;
    const onSignal = () => {
      stopped = true;
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let printed = 0;
    const limit = options.maxMessages ?? Infinity;
    const highWatermarks = new Map(ends);
    try {
      while (!stopped && printed < limit) {
        if (options.exitAtEnd && partitions.every((p) => positions.get(p)! >= highWatermarks.get(p)!)) break;
        const { key, version } = API.fetch;
        const answer = await c.request(
          key,
          version,
          (w) =>
            encodeFetchRequest(w, version, {
              replicaId: -1,
              maxWaitMs: options.exitAtEnd ? 0 : 500,
              minBytes: 1,
              maxBytes: 4 * 1024 * 1024,
              isolationLevel: 0,
              topics: [{ topic: options.topic, partitions: partitions.map((partition) => ({ partition, fetchOffset: positions.get(partition)!, partitionMaxBytes: 1024 * 1024 })) }],
            }),
          decodeFetchResponse,
        );
        for (const pt of answer.responses[0]?.partitions ?? []) {
          if (pt.errorCode === KAFKA_ERRORS.OFFSET_OUT_OF_RANGE) {
            throw new CliFailure(`offset ${positions.get(pt.partitionIndex)} is out of range on ${options.topic}-${pt.partitionIndex} (the log holds ${starts.get(pt.partitionIndex)} to ${pt.highWatermark})`, EXIT.USAGE);
          }
          if (pt.errorCode !== KAFKA_ERRORS.NONE) throw new CliFailure(`fetch from ${options.topic}-${pt.partitionIndex}: ${errorText(pt.errorCode)}`, exitFor(pt.errorCode));
          highWatermarks.set(pt.partitionIndex, pt.highWatermark);
          const chunks = pt.records === null ? [] : Buffer.isBuffer(pt.records) ? [pt.records] : pt.records;
          for (const chunk of chunks) {
            for (const batch of iterateBatches(chunk)) {
              for (const record of iterateRecords(batch)) {
                if (record.offset < positions.get(pt.partitionIndex)!) continue;
                if (printed >= limit) break;
                io.out(print({ topic: options.topic, partition: pt.partitionIndex, record }));
                printed++;
                positions.set(pt.partitionIndex, record.offset + 1);
              }
            }
          }
        }
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (options.group) {
      const moved = new Map([[options.topic, new Map([...positions].filter(([p, pos]) => pos !== (committed?.get(p) ?? -1)))]]);
      if (moved.get(options.topic)!.size > 0) await commitOffsets(c, options.group, moved);
    }
    return EXIT.OK;
  });
}

function headersObject(record: DecodedRecord): Record<string, string | null> {
  return Object.fromEntries(record.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('utf8')]));
}

function jsonLine({ topic, partition, record }: ConsumedRecord): string {
  return JSON.stringify({
    topic,
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : record.key.toString('utf8'),
    value: record.value === null ? null : record.value.toString('utf8'),
    headers: headersObject(record),
  });
}

/** kcat's -f: %t topic, %p partition, %o offset, %k key, %s value, %h headers (k=v,…), %T timestamp, %K/%S key/value length, %% a percent; \n \t \\ escapes. */
export function kcatFormat(format: string): (r: ConsumedRecord) => string {
  const unescaped = format.replace(/\\(.)/g, (_, ch: string) => (ch === 'n' ? '\n' : ch === 't' ? '\t' : ch === 'r' ? '\r' : ch));
  const trimmed = unescaped.endsWith('\n') ? unescaped.slice(0, -1) : unescaped; // io.out adds the newline
  return ({ topic, partition, record }) =>
    trimmed.replace(/%([tpoksShTKS%])/g, (_, spec: string) => {
      switch (spec) {
        case 't':
          return topic;
        case 'p':
          return String(partition);
        case 'o':
          return String(record.offset);
        case 'k':
          return record.key?.toString('utf8') ?? '';
        case 's':
          return record.value?.toString('utf8') ?? '';
        case 'h':
          return record.headers.map((h) => `${h.key}=${h.value?.toString('utf8') ?? ''}`).join(',');
        case 'T':
          return String(record.timestamp);
        case 'K':
          return String(record.key?.length ?? -1);
        case 'S':
          return String(record.value?.length ?? -1);
        default:
          return '%';
      }
    });
}
