/**
 * A follower's Kafka-protocol connection to one leader broker (Kafka's BrokerBlockingSender
 * under ReplicaFetcherThread): implements the cluster's LeaderEndpoint with real Fetch
 * requests (replicaId = the follower's node id) over TCP, encoded and decoded by the same
 * generated codecs the server uses, so replication traffic is ordinary Kafka traffic.
 *
 * One request at a time (a fetcher waits for each answer before the next), so responses are
 * matched to the one pending request by correlation id. Responses are read straight into one
 * reusable buffer per connection (response-reader.ts): the record Buffers of a fetch's results
 * are views of it, valid until the next request on this connection (the fetcher appends them,
 * which copies them into its log, before it asks again). A broken connection fails the pending
 * request with SKEIN_DISCONNECTED; the next `fetch` connects again, to the address the cluster
 * registers for the leader at that moment. Errors in the answer are translated from Kafka
 * codes back to SkeinError codes, so the cluster layer never sees a Kafka number.
 *
 * Lifecycle: made by the factory the broker's owner passes to attachCluster, one per leader
 * broker a ReplicaFetcher follows; `close()` when that fetcher stops. Event loop only.
 */
import { connect, type Socket } from 'node:net';
import { SkeinError, isErrorCode, type ErrorCode } from '../../errors.js';
import type { BrokerEndpoint } from '../../cluster/metadata-cache.js';
import type { EpochEndAnswer, EpochEndQuery, LeaderEndpoint, LeaderEndpointFactory, ReplicaFetchRequest, ReplicaFetchResult } from '../../cluster/leader-endpoint.js';
import type { Writer } from '../codec/writer.js';
import { decodeOffsetForLeaderEpochResponse, encodeOffsetForLeaderEpochRequest } from '../messages/offset-for-leader-epoch.js';
import { Reader } from '../codec/reader.js';
import { encodeFrame } from '../framing.js';
import { ResponseReader } from './response-reader.js';
import { encodeRequestHeader } from '../request-header.js';
import { decodeResponseHeader, responseHeaderVersion } from '../response-header.js';
import { decodeFetchResponse, encodeFetchRequest } from '../messages/fetch.js';
import { KAFKA_ERRORS, SKEIN_TO_KAFKA, kafkaErrorName } from '../error-codes.js';

const FETCH_KEY = 1;
/** v12: lastFetchedEpoch and divergingEpoch (fetch-based truncation), currentLeaderEpoch (v9), logStartOffset (v5). */
const FETCH_VERSION = 12;
const CONNECT_TIMEOUT_MS = 3000;
const EPOCH_KEY = 23;
/** v3: replicaId and currentLeaderEpoch, not yet flexible. */
const EPOCH_VERSION = 3;

/** Kafka error code → the SkeinError code the server maps to it (first one listed). */
const SKEIN_BY_KAFKA = new Map<number, ErrorCode>();
for (const [code, name] of Object.entries(SKEIN_TO_KAFKA)) {
  const kafka = KAFKA_ERRORS[name];
  if (!SKEIN_BY_KAFKA.has(kafka) && isErrorCode(code)) SKEIN_BY_KAFKA.set(kafka, code);
}
// Retriable leadership answers a leader may give before it knows it leads.
SKEIN_BY_KAFKA.set(KAFKA_ERRORS.NOT_LEADER_OR_FOLLOWER, 'SKEIN_NOT_LEADER_OR_FOLLOWER');
SKEIN_BY_KAFKA.set(KAFKA_ERRORS.OFFSET_OUT_OF_RANGE, 'SKEIN_OFFSET_OUT_OF_RANGE');

function errorOf(kafkaCode: number, topic: string, partition: number): SkeinError {
  const code = SKEIN_BY_KAFKA.get(kafkaCode) ?? 'SKEIN_IO_ERROR';
  return new SkeinError(code, `the leader answered ${kafkaErrorName(kafkaCode) ?? kafkaCode} for ${topic}-${partition}`, { topic, partition, kafkaCode });
}

export interface LeaderConnectionOptions {
  /** Client id in the request header. */
  clientId?: string;
  /** How long one request may take beyond its maxWaitMs before the connection is dropped. Default 10000. */
  requestTimeoutMs?: number;
}

export class LeaderConnection implements LeaderEndpoint {
  readonly leaderId: number;
  private readonly resolve: () => BrokerEndpoint | undefined;
  private readonly clientId: string;
  private readonly requestTimeoutMs: number;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private reader: ResponseReader | undefined;
  private pending: { correlationId: number; resolve: (frame: Buffer) => void; reject: (err: Error) => void } | undefined;
  private correlationId = 0;
  private closed = false;

  constructor(leaderId: number, resolve: () => BrokerEndpoint | undefined, options: LeaderConnectionOptions = {}) {
    this.leaderId = leaderId;
    this.resolve = resolve;
    this.clientId = options.clientId ?? 'skein-replica-fetcher';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  }

  async endOffsetsForEpochs(replicaId: number, queries: EpochEndQuery[]): Promise<EpochEndAnswer[]> {
    const byTopic = new Map<string, EpochEndQuery[]>();
    for (const q of queries) {
      const list = byTopic.get(q.topic);
      if (list) list.push(q);
      else byTopic.set(q.topic, [q]);
    }
    const decoded = await this.request(
      EPOCH_KEY,
      EPOCH_VERSION,
      (w) =>
        encodeOffsetForLeaderEpochRequest(w, EPOCH_VERSION, {
          replicaId,
          topics: [...byTopic].map(([topic, partitions]) => ({
            topic,
            partitions: partitions.map((p) => ({ partition: p.partition, currentLeaderEpoch: p.currentLeaderEpoch, leaderEpoch: p.leaderEpoch })),
          })),
        }),
      decodeOffsetForLeaderEpochResponse,
      0,
    );
    return decoded.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.topic,
        partition: p.partition,
        error: p.errorCode === KAFKA_ERRORS.NONE ? undefined : errorOf(p.errorCode, t.topic, p.partition),
        leaderEpoch: p.leaderEpoch ?? -1,
        endOffset: Number(p.endOffset),
      })),
    );
  }

  async fetch(request: ReplicaFetchRequest): Promise<ReplicaFetchResult[]> {
    const decoded = await this.request(FETCH_KEY, FETCH_VERSION, (w) => {
      const byTopic = new Map<string, ReplicaFetchRequest['partitions']>();
      for (const p of request.partitions) {
        const list = byTopic.get(p.topic);
        if (list) list.push(p);
        else byTopic.set(p.topic, [p]);
      }
      encodeFetchRequest(w, FETCH_VERSION, {
        replicaId: request.replicaId,
        maxWaitMs: request.maxWaitMs,
        minBytes: request.minBytes,
        maxBytes: request.maxBytes,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [...byTopic].map(([topic, partitions]) => ({
          topic,
          partitions: partitions.map((p) => ({
            partition: p.partition,
            currentLeaderEpoch: p.currentLeaderEpoch,
            fetchOffset: p.fetchOffset,
            lastFetchedEpoch: p.lastFetchedEpoch,
            logStartOffset: p.logStartOffset,
            partitionMaxBytes: p.maxBytes,
          })),
        })),
        forgottenTopicsData: [],
        rackId: '',
      });
    }, decodeFetchResponse, request.maxWaitMs);
    if (decoded.errorCode !== undefined && decoded.errorCode !== KAFKA_ERRORS.NONE) {
      throw new SkeinError('SKEIN_DISCONNECTED', `leader ${this.leaderId} refused the fetch: ${kafkaErrorName(decoded.errorCode) ?? decoded.errorCode}`);
    }
    const out: ReplicaFetchResult[] = [];
    for (const t of decoded.responses) {
      for (const p of t.partitions) {
        const records = p.records === null ? undefined : Buffer.isBuffer(p.records) ? p.records : Buffer.concat(p.records as Buffer[]);
        out.push({
          topic: t.topic,
          partition: p.partitionIndex,
          error: p.errorCode === KAFKA_ERRORS.NONE ? undefined : errorOf(p.errorCode, t.topic, p.partitionIndex),
          highWatermark: Number(p.highWatermark),
          logStartOffset: Number(p.logStartOffset ?? -1),
          records: records && records.length > 0 ? records : undefined,
          divergingEpoch: p.divergingEpoch && p.divergingEpoch.epoch >= 0 ? { epoch: p.divergingEpoch.epoch, endOffset: Number(p.divergingEpoch.endOffset) } : undefined,
        });
      }
    }
    return out;
  }

  /** One request on the connection (connecting first if needed), its response decoded; `waitMs` the time the leader may hold it. */
  private async request<T>(apiKey: number, apiVersion: number, writeBody: (w: Writer) => void, decodeBody: (r: Reader, version: number) => T, waitMs: number): Promise<T> {
    const socket = await this.connected();
    // The previous answer has been used (one request at a time): its buffer may be read into again.
    this.reader?.release();
    const correlationId = ++this.correlationId;
    const frame = encodeFrame((w) => {
      encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: this.clientId });
      writeBody(w);
    });
    const response = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => this.drop(new SkeinError('SKEIN_REQUEST_TIMED_OUT', `leader ${this.leaderId} did not answer in time`)), waitMs + this.requestTimeoutMs);
      this.pending = {
        correlationId,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      socket.cork();
      for (const chunk of frame) socket.write(chunk);
      socket.uncork();
    });
    const r = new Reader(response);
    const id = decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
    if (id !== correlationId) {
      this.drop(new SkeinError('SKEIN_INVALID_REQUEST', `leader ${this.leaderId} answered request ${id}, expected ${correlationId}`));
      throw new SkeinError('SKEIN_DISCONNECTED', `leader ${this.leaderId} answered out of order`);
    }
    return decodeBody(r, apiVersion);
  }

  close(): void {
    this.closed = true;
    this.drop(new SkeinError('SKEIN_CLOSED', `the connection to leader ${this.leaderId} was closed`));
  }

  private connected(): Promise<Socket> {
    if (this.closed) return Promise.reject(new SkeinError('SKEIN_CLOSED', `the connection to leader ${this.leaderId} is closed`));
    if (this.socket) return Promise.resolve(this.socket);
    if (!this.connecting) {
      this.connecting = this.open().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private open(): Promise<Socket> {
    const endpoint = this.resolve();
    if (!endpoint) return Promise.reject(new SkeinError('SKEIN_DISCONNECTED', `leader ${this.leaderId} is not registered in the cluster`));
    return new Promise((resolve, reject) => {
      const reader = new ResponseReader();
      const socket: Socket = connect({
        host: endpoint.host,
        port: endpoint.port,
        // Reads land in the reader's buffers (no Buffer per chunk, no concatenation).
        onread: { buffer: () => reader.nextBuffer(), callback: (n: number, buf: Uint8Array) => this.onRead(socket, reader, n, buf) },
      });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new SkeinError('SKEIN_DISCONNECTED', `cannot reach leader ${this.leaderId} at ${endpoint.host}:${endpoint.port}: timed out`));
      }, CONNECT_TIMEOUT_MS);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        if (this.closed) {
          socket.destroy();
          reject(new SkeinError('SKEIN_CLOSED', `the connection to leader ${this.leaderId} is closed`));
          return;
        }
        this.attach(socket, reader);
        resolve(socket);
      });
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new SkeinError('SKEIN_DISCONNECTED', `cannot reach leader ${this.leaderId} at ${endpoint.host}:${endpoint.port}: ${err.code ?? err.message}`, { cause: err }));
      };
      socket.once('error', onError);
    });
  }

  /** Bytes read into the reader's buffer; true keeps the socket reading (false would pause it). */
  private onRead(socket: Socket, reader: ResponseReader, n: number, buf: Uint8Array): boolean {
    if (this.socket !== socket) return true;
    let frames: Buffer[];
    try {
      frames = reader.onRead(n, buf);
    } catch (err) {
      this.drop(err as Error);
      return true;
    }
    for (const frame of frames) {
      const waiter = this.pending;
      this.pending = undefined;
      waiter?.resolve(frame);
    }
    return true;
  }

  private attach(socket: Socket, reader: ResponseReader): void {
    this.socket = socket;
    this.reader = reader;
    // A socket already replaced (dropped, then reconnected) must not fail its successor's request.
    socket.on('error', (err) => {
      if (this.socket === socket) this.drop(new SkeinError('SKEIN_DISCONNECTED', `connection to leader ${this.leaderId} failed: ${err.message}`, { cause: err }));
    });
    socket.on('close', () => {
      if (this.socket === socket) this.drop(new SkeinError('SKEIN_DISCONNECTED', `leader ${this.leaderId} closed the connection`));
    });
  }

  /** Forgets the socket (the next fetch reconnects) and fails the request in flight. */
  private drop(err: Error): void {
    const socket = this.socket;
    this.socket = undefined;
    this.reader = undefined;
    socket?.destroy();
    const waiter = this.pending;
    this.pending = undefined;
    waiter?.reject(err);
  }
}

/** The factory a broker joining a cluster gets: one LeaderConnection per leader broker. */
export function leaderConnections(options: LeaderConnectionOptions = {}): LeaderEndpointFactory {
  return (leaderId, resolve) => new LeaderConnection(leaderId, resolve, options);
}
