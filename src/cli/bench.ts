/**
 * `skein bench`: produce `--records` records of `--size` bytes to a topic over the Kafka
 * protocol in batches of `--batch` (acks=all, one request in flight), then fetch them all
 * back, and print the rates (as kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh
 * do, in one command). Works against any Kafka-compatible broker. A progress bar on a terminal.
 * Loads the native addon (CRC-32C of the batches), lazily.
 */
import { KAFKA_ERRORS } from '../protocol/error-codes.js';
import { decodeFetchResponse, encodeFetchRequest } from '../protocol/messages/fetch.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../protocol/messages/metadata.js';
import { decodeProduceResponse, encodeProduceRequest } from '../protocol/messages/produce.js';
import { CliFailure, EXIT } from './exit-codes.js';
import { API, EARLIEST, LATEST, listOffsets } from './kafka-requests.js';
import { progressBar } from './progress.js';
import type { Console } from './serve.js';
import { errorText, exitFor, withConnection } from './session.js';

export interface BenchOptions {
  bootstrap: string;
  topic: string;
  records: number;
  size: number;
  batch: number;
  json: boolean;
}

export function bench(options: BenchOptions, io: Console): Promise<number> {
  return withConnection(options.bootstrap, io, async (c) => {
    const { encodeRecordBatch } = await import('../records/encode-record-batch.js');
    const { iterateBatches, iterateRecords } = await import('../records/record-iterator.js');
    const meta = await c.request(API.metadata.key, API.metadata.version, (w) => encodeMetadataRequest(w, API.metadata.version, { topics: [{ name: options.topic }], allowAutoTopicCreation: true }), decodeMetadataResponse);
    const t = meta.topics[0];
    if (!t || t.errorCode !== KAFKA_ERRORS.NONE) throw new CliFailure(`cannot use topic ${options.topic}: ${errorText(t?.errorCode ?? 3)} (create it first)`, exitFor(t?.errorCode ?? 3));
    const partition = 0;
    const start = (await listOffsets(c, new Map([[options.topic, [partition]]]), LATEST)).get(options.topic)!.get(partition)!;
    const value = Buffer.alloc(options.size, 0x61);
    const bar = progressBar(options.records * 2, 'records');
    let sent = 0;
    const produceStarted = performance.now();
    while (sent < options.records) {
      const n = Math.min(options.batch, options.records - sent);
      const records = encodeRecordBatch(Array.from({ length: n }, () => ({ value })));
      const answer = await c.request(
        API.produce.key,
        API.produce.version,
        (w) => encodeProduceRequest(w, API.produce.version, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: options.topic, partitionData: [{ index: partition, records }] }] }),
        decodeProduceResponse,
      );
      const code = answer.responses[0]?.partitionResponses[0]?.errorCode ?? KAFKA_ERRORS.NONE;
      if (code !== KAFKA_ERRORS.NONE) throw new CliFailure(`the broker refused a batch: ${errorText(code)}`, exitFor(code));
      sent += n;
      bar.increment(n);
    }
    const produceSeconds = (performance.now() - produceStarted) / 1000;
    let position = start;
    let read = 0;
    const fetchStarted = performance.now();
    while (read < options.records) {
      const answer = await c.request(
        API.fetch.key,
        API.fetch.version,
        (w) =>
          encodeFetchRequest(w, API.fetch.version, {
            replicaId: -1,
            maxWaitMs: 500,
            minBytes: 1,
            maxBytes: 8 << 20,
            isolationLevel: 0,
            topics: [{ topic: options.topic, partitions: [{ partition, fetchOffset: position, partitionMaxBytes: 8 << 20 }] }],
          }),
        decodeFetchResponse,
      );
      const p = answer.responses[0]?.partitions[0];
      if (!p || p.errorCode !== KAFKA_ERRORS.NONE) throw new CliFailure(`fetch failed: ${errorText(p?.errorCode ?? -1)}`, EXIT.FAILED);
      const chunks = p.records === null ? [] : Buffer.isBuffer(p.records) ? [p.records] : p.records;
      const before = read;
      for (const chunk of chunks) {
        for (const batch of iterateBatches(chunk)) {
          for (const record of iterateRecords(batch)) {
            if (record.offset < position) continue;
            position = record.offset + 1;
            read++;
          }
        }
      }
      bar.increment(read - before);
      if (read === before && position >= p.highWatermark) break;
    }
    bar.stop();
    const fetchSeconds = (performance.now() - fetchStarted) / 1000;
    const earliest = (await listOffsets(c, new Map([[options.topic, [partition]]]), EARLIEST)).get(options.topic)!.get(partition)!;
    const result = {
      topic: options.topic,
      records: options.records,
      recordBytes: options.size,
      batch: options.batch,
      produce: { seconds: produceSeconds, recordsPerSecond: options.records / produceSeconds, megabytesPerSecond: (options.records * options.size) / produceSeconds / 1e6 },
      consume: { records: read, seconds: fetchSeconds, recordsPerSecond: read / fetchSeconds, megabytesPerSecond: (read * options.size) / fetchSeconds / 1e6 },
      logStartOffset: earliest,
    };
    if (options.json) io.out(JSON.stringify(result));
    else {
      io.out(`produce: ${options.records} records of ${options.size} B in batches of ${options.batch} (acks=all): ${Math.round(result.produce.recordsPerSecond).toLocaleString('en')} records/s, ${result.produce.megabytesPerSecond.toFixed(1)} MB/s`);
      io.out(`consume: ${read} records: ${Math.round(result.consume.recordsPerSecond).toLocaleString('en')} records/s, ${result.consume.megabytesPerSecond.toFixed(1)} MB/s`);
    }
    return read === options.records ? EXIT.OK : EXIT.FAILED;
  });
}
