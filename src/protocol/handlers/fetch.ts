/**
 * Fetch (key 1, v0–12): one `broker.fetch` for the whole request, with its maxWaitMs,
 * minBytes and maxBytes, so the long poll waits in the broker (woken by appends, never by
 * polling) and the byte budgets span every partition as in Kafka. The connection's abort
 * signal ends the wait when the client goes away or the server stops.
 *
 * Zero copy: each partition's records are the broker's views of the mapped segments, put in
 * the response as they are; the Writer appends them to the chunk list that goes to
 * socket.writev. Whole batches: the first may start before fetchOffset and the client skips
 * what it did not ask for (Kafka does the same).
 *
 * Transactions do not exist yet, so lastStableOffset = highWatermark and abortedTransactions
 * is null whatever the isolation level (clients default to read_committed and read LSO).
 * Incremental fetch sessions (KIP-227) are declined: the response's sessionId is 0, so
 * clients keep sending full requests; a request naming a session we never gave out gets
 * FETCH_SESSION_ID_NOT_FOUND. v4 is the first version with RecordBatch v2 only (librdkafka
 * 2.0.2 gates on it); v12 is flexible (platformatic).
 *
 * A follower broker's fetch (replicaId >= 0) reads up to the leader's log end instead of the
 * high watermark and tells the leader the follower's log end; with lastFetchedEpoch (v12) a
 * follower whose log diverged gets divergingEpoch instead of records (KIP-595's fetch-based
 * truncation; docs/cluster.md, Replication).
 *
 * v0–3 read the legacy message formats (magic 0 up to v1, magic 1 from v2): each partition's
 * batches are converted down (legacy-records.ts), a copy capped at the partition's maxBytes;
 * v4+ stays zero-copy.
 */
import type { FetchPartitionResult } from '../../broker/types.js';
import { KAFKA_ERRORS, toKafkaErrorCode } from '../error-codes.js';
import { decodeFetchRequest, encodeFetchResponse, type FetchRequest, type FetchResponse, type PartitionData } from '../messages/fetch.js';
import { batchesToLegacy, fetchMagic } from './legacy-records.js';
import { defineHandler } from './handler.js';

/** No preferred read replica (KIP-392): read from the leader. */
const NO_PREFERRED_REPLICA = -1;

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  apiKey: 1,
  name: 'Fetch',
  minVersion: 0,
  maxVersion: 12,
  decode: decodeFetchRequest,
  encode: encodeFetchResponse,
  handle(request, ctx) {
    if ((request.sessionId ?? 0) !== 0) {
      return { throttleTimeMs: 0, errorCode: KAFKA_ERRORS.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const partitions = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.topic,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
        lastFetchedEpoch: p.lastFetchedEpoch,
      })),
    );
    return ctx.broker
      .fetch({ partitions, maxWaitMs: request.maxWaitMs, minBytes: request.minBytes, maxBytes: request.maxBytes, signal: ctx.signal, replicaId: request.replicaId })
      .then((result) => {
        // The broker answers partition by partition in request order: walk both together.
        let i = 0;
        return {
          throttleTimeMs: 0,
          errorCode: KAFKA_ERRORS.NONE,
          sessionId: 0,
          responses: request.topics.map((t) => ({
            topic: t.topic,
            partitions: t.partitions.map((p) => {
              const data = partitionData(result.partitions[i++]!);
              return ctx.apiVersion < 4 ? downConverted(data, ctx.apiVersion, p.fetchOffset, p.partitionMaxBytes) : data;
            }),
          })),
        };
      });
  },
  errorResponse(request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode: KAFKA_ERRORS.NONE,
      sessionId: 0,
      responses: request.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => failed(p.partition, errorCode)) })),
    };
  },
});

function partitionData(p: FetchPartitionResult): PartitionData {
  if (p.error) return { ...failed(p.partition, toKafkaErrorCode(p.error)), highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.logStartOffset };
  return {
    partitionIndex: p.partition,
    errorCode: KAFKA_ERRORS.NONE,
    highWatermark: p.highWatermark,
    lastStableOffset: p.lastStableOffset,
    logStartOffset: p.logStartOffset,
    abortedTransactions: null,
    preferredReadReplica: NO_PREFERRED_REPLICA,
    records: p.records,
    // Only a v12 follower fetch (it sent lastFetchedEpoch) can get one.
    ...(p.divergingEpoch ? { divergingEpoch: p.divergingEpoch } : {}),
  };
}

/** An old version's partition: its v2 batches as a legacy message set, or the error that stopped the conversion. */
function downConverted(data: PartitionData, apiVersion: number, fetchOffset: number, maxBytes: number): PartitionData {
  if (data.errorCode !== KAFKA_ERRORS.NONE || data.records === null) return data;
  const converted = batchesToLegacy(Array.isArray(data.records) ? data.records : [data.records as Buffer], fetchMagic(apiVersion), fetchOffset, maxBytes);
  const errorCode = converted.error && converted.records.length === 0 ? toKafkaErrorCode(converted.error) : KAFKA_ERRORS.NONE;
  return { ...data, errorCode, records: converted.records };
}

function failed(partition: number, errorCode: number): PartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    preferredReadReplica: NO_PREFERRED_REPLICA,
    records: [],
  };
}
