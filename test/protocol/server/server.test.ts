/**
 * The protocol server seen from a bare socket: what ApiVersions advertises, Kafka's answers
 * to versions and APIs we do not serve, responses in arrival order while handlers finish out
 * of order, acks=0 without a response, oversize frames and silent peers closing only their own
 * connection, handler exceptions becoming the API's error response, idempotent retries, topic
 * auto-creation rules, and a graceful close that still answers the long polls under way.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Broker } from '../../../src/broker/broker.js';
import { SkeinError } from '../../../src/errors.js';
import { KAFKA_ERRORS } from '../../../src/protocol/error-codes.js';
import { ProtocolServer } from '../../../src/protocol/server/server.js';
import { Connection } from '../../../src/protocol/server/connection.js';
import { Router } from '../../../src/protocol/server/router.js';
import type { ServerLogger } from '../../../src/protocol/server/log.js';
import { HANDLERS } from '../../../src/protocol/handlers/index.js';
import { metadataHandler } from '../../../src/protocol/handlers/metadata.js';
import { Reader } from '../../../src/protocol/codec/reader.js';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from '../../../src/protocol/messages/api-versions.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../../../src/protocol/messages/metadata.js';
import { decodeProduceResponse, encodeProduceRequest } from '../../../src/protocol/messages/produce.js';
import { decodeFetchResponse, encodeFetchRequest } from '../../../src/protocol/messages/fetch.js';
import { decodeInitProducerIdResponse, encodeInitProducerIdRequest } from '../../../src/protocol/messages/init-producer-id.js';
import { decodeListOffsetsResponse, encodeListOffsetsRequest } from '../../../src/protocol/messages/list-offsets.js';
import { encodeRecordBatch } from '../../../src/records/encode-record-batch.js';
import { cleanupTempDirs, tempDir } from '../../helpers/temp-dir.js';
import { RawClient, correlationIdOf } from './helpers/raw-client.js';
import { FrameMemoryPool } from '../../../src/protocol/server/frame-memory.js';

test.after(cleanupTempDirs);

interface Running {
  broker: Broker;
  server: ProtocolServer;
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
  stop(): Promise<void>;
}

async function start(options: { maxFrameBytes?: number; connectionsMaxIdleMs?: number; autoCreateTopics?: boolean } = {}): Promise<Running> {
  const broker = await Broker.open({ dir: join(tempDir(), 'data'), autoCreateTopics: options.autoCreateTopics });
  const logs: Running['logs'] = [];
  const server = await ProtocolServer.listen({ broker, port: 0, ...options, log: (level, message, fields) => logs.push({ level, message, fields }) });
  return {
    broker,
    server,
    logs,
    stop: async () => {
      await server.close();
      await broker.close();
    },
  };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const apiVersionsBody = (version: number) => (w: import('../../../src/protocol/codec/writer.js').Writer) =>
  encodeApiVersionsRequest(w, version, { clientSoftwareName: 'raw', clientSoftwareVersion: '1' });

function produceBody(topic: string, partition: number, records: Buffer, acks = -1) {
  return (w: import('../../../src/protocol/codec/writer.js').Writer) =>
    encodeProduceRequest(w, 7, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
}

function fetchBody(topic: string, partition: number, fetchOffset: number, maxWaitMs: number) {
  return (w: import('../../../src/protocol/codec/writer.js').Writer) =>
    encodeFetchRequest(w, 11, {
      replicaId: -1,
      maxWaitMs,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
}

test('ApiVersions v0-v3 advertise exactly the routed APIs, with the low minimums librdkafka gates on', async () => {
  const { server, stop } = await start();
  const client = await RawClient.connect(server.address.port);
  const expected = new Router().servedApis;
  for (let version = 0; version <= 3; version++) {
    const { body } = await client.request(18, version, apiVersionsBody(version), decodeApiVersionsResponse);
    assert.is(body.errorCode, 0);
    assert.equal(body.apiKeys.map((a) => ({ apiKey: a.apiKey, minVersion: a.minVersion, maxVersion: a.maxVersion })), expected.map((a) => ({ ...a })));
  }
  const byKey = new Map(expected.map((a) => [a.apiKey, a]));
  // Kafka 3.9's minimums (older clients still use them; librdkafka's MsgVer1 and ThrottleTime
  // need Produce 1-2 and Fetch 1-2), and Produce ∋ 3 / Fetch ∋ 4 for MsgVer2.
  assert.equal(byKey.get(0), { apiKey: 0, minVersion: 0, maxVersion: 9 }, 'Produce 0-9');
  assert.equal(byKey.get(1), { apiKey: 1, minVersion: 0, maxVersion: 12 }, 'Fetch 0-12');
  assert.is(byKey.get(2)!.minVersion, 0, 'ListOffsets ∋ 0');
  assert.is(byKey.get(8)!.minVersion, 0, 'OffsetCommit ∋ 0');
  assert.is(byKey.get(9)!.minVersion, 0, 'OffsetFetch ∋ 0');
  assert.equal(byKey.get(3), { apiKey: 3, minVersion: 0, maxVersion: 9 }, 'Metadata ≤ 9');
  assert.is(byKey.get(10)!.minVersion, 0, 'FindCoordinator ∋ 0');
  assert.is(byKey.get(22)!.minVersion, 0, 'InitProducerId ∋ 0');
  assert.equal(byKey.get(17), { apiKey: 17, minVersion: 0, maxVersion: 1 }, 'SaslHandshake 0-1');
  assert.equal(byKey.get(36), { apiKey: 36, minVersion: 0, maxVersion: 2 }, 'SaslAuthenticate 0-2 (librdkafka needs 0 for SaslAuthenticate frames)');
  assert.equal(byKey.get(23), { apiKey: 23, minVersion: 0, maxVersion: 4 }, 'OffsetForLeaderEpoch 0-4 (Kafka 3.9)');
  assert.is(HANDLERS.length, expected.length);
  await client.close();
  await stop();
});

test('ApiVersions v3 answers with header v0 and an empty tag section', async () => {
  const { server, stop } = await start();
  const client = await RawClient.connect(server.address.port);
  const id = client.send(18, 3, apiVersionsBody(3));
  const frame = (await client.nextFrame())!;
  assert.is(correlationIdOf(frame), id);
  // Header v0 is the correlation id alone: the body's error code follows at once.
  assert.is(frame.readInt16BE(4), 0);
  assert.is(frame[frame.length - 1], 0, 'the top-level tag section is empty (no SupportedFeatures)');
  await client.close();
  await stop();
});

test('an ApiVersions version above ours gets a v0 body with UNSUPPORTED_VERSION and our range; the connection stays open', async () => {
  const { server, stop } = await start();
  const client = await RawClient.connect(server.address.port);
  const id = client.send(18, 7, apiVersionsBody(3));
  const frame = (await client.nextFrame())!;
  const r = new Reader(frame);
  assert.is(r.readInt32(), id);
  const body = decodeApiVersionsResponse(r, 0);
  assert.is(body.errorCode, KAFKA_ERRORS.UNSUPPORTED_VERSION);
  assert.equal(body.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 3 }]);
  assert.is(r.remaining, 0);
  const again = await client.request(18, 2, apiVersionsBody(2), decodeApiVersionsResponse);
  assert.is(again.body.errorCode, 0);
  await client.close();
  await stop();
});

test('an API key or version we do not serve closes that connection only', async () => {
  const { server, logs, stop } = await start();
  const bystander = await RawClient.connect(server.address.port);
  const unknownKey = await RawClient.connect(server.address.port);
  unknownKey.send(57, 0, () => {});
  await unknownKey.closed;
  const tooNew = await RawClient.connect(server.address.port);
  tooNew.send(0, 10, produceBody('t', 0, encodeRecordBatch([{ value: 'x' }])));
  await tooNew.closed;
  assert.ok(logs.some((l) => l.level === 'warn' && String(l.fields?.reason).includes('API key 57')));
  assert.ok(logs.some((l) => l.level === 'warn' && String(l.fields?.reason).includes('Produce v10')));
  const { body } = await bystander.request(18, 2, apiVersionsBody(2), decodeApiVersionsResponse);
  assert.is(body.errorCode, 0);
  await bystander.close();
  await stop();
});

test('pipelined requests are answered in arrival order even when a later one finishes first', async () => {
  const { broker, server, stop } = await start();
  await broker.createTopic({ topic: 'slow', numPartitions: 1 });
  const client = await RawClient.connect(server.address.port);
  const fetchId = client.send(1, 11, fetchBody('slow', 0, 0, 60_000)); // long poll on an empty partition
  const metadataId = client.send(3, 6, (w) => encodeMetadataRequest(w, 6, { topics: null, allowAutoTopicCreation: false }));
  const versionsId = client.send(18, 2, apiVersionsBody(2));
  await until(() => server.connectionCount === 1, 'the connection');
  // The two quick answers exist once all three are read, but must wait behind the fetch: wake it with a record.
  await until(() => server.pendingResponses === 3, 'all three requests read');
  await broker.produce('slow', 0, encodeRecordBatch([{ value: 'wake' }]), 1);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(correlationIdOf((await client.nextFrame())!));
  assert.equal(ids, [fetchId, metadataId, versionsId]);
  await client.close();
  await stop();
});

test('Produce with acks=0 gets no response, and its records are in the log', async () => {
  const { broker, server, stop } = await start();
  await broker.createTopic({ topic: 'fire', numPartitions: 1 });
  const client = await RawClient.connect(server.address.port);
  client.send(0, 7, produceBody('fire', 0, encodeRecordBatch([{ value: 'a' }, { value: 'b' }]), 0));
  const versionsId = client.send(18, 2, apiVersionsBody(2));
  const frame = (await client.nextFrame())!;
  assert.is(correlationIdOf(frame), versionsId, 'the first response is the ApiVersions one');
  assert.is(broker.offsets('fire', 0).highWatermark, 2);
  await client.close();
  await stop();
});

test('a failed acks=0 Produce closes its connection (the producer cannot learn of it otherwise)', async () => {
  const { server, stop } = await start();
  const client = await RawClient.connect(server.address.port);
  client.send(0, 7, produceBody('no-such-topic', 0, encodeRecordBatch([{ value: 'a' }]), 0));
  await client.closed;
  await stop();
});

test('a frame above maxFrameBytes closes that connection with a warning; others go on', async () => {
  const { server, logs, stop } = await start({ maxFrameBytes: 1024 });
  const good = await RawClient.connect(server.address.port);
  const bad = await RawClient.connect(server.address.port);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(2000);
  bad.write(prefix);
  await bad.closed;
  assert.ok(logs.some((l) => l.level === 'warn' && /larger than the maximum/.test(String(l.fields?.reason))));
  const negative = await RawClient.connect(server.address.port);
  negative.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
  await negative.closed;
  const { body } = await good.request(18, 2, apiVersionsBody(2), decodeApiVersionsResponse);
  assert.is(body.errorCode, 0);
  await good.close();
  await stop();
});

test('a silent connection is closed after connections.max.idle.ms; one waiting for a long poll is not', async () => {
  const { broker, server, logs, stop } = await start({ connectionsMaxIdleMs: 100 });
  await broker.createTopic({ topic: 'idle', numPartitions: 1 });
  const silent = await RawClient.connect(server.address.port);
  await silent.closed;
  assert.ok(logs.some((l) => l.message === 'closing idle connection'));
  const waiting = await RawClient.connect(server.address.port);
  const id = waiting.send(1, 11, fetchBody('idle', 0, 0, 400));
  const frame = await waiting.nextFrame();
  assert.ok(frame, 'the long poll was answered before any idle close');
  assert.is(correlationIdOf(frame!), id);
  await waiting.closed; // and then, silent again, it is closed
  await stop();
});

test('peers that vanish mid-frame or mid-long-poll leave the server serving', async () => {
  const { broker, server, stop } = await start();
  await broker.createTopic({ topic: 'gone', numPartitions: 1 });
  const half = await RawClient.connect(server.address.port);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(30)]);
  half.write(frame);
  const polling = await RawClient.connect(server.address.port);
  polling.send(1, 11, fetchBody('gone', 0, 0, 60_000));
  await until(() => server.connectionCount === 2, 'two connections');
  await half.close();
  await polling.close();
  await until(() => server.connectionCount === 0, 'the server to drop both connections');
  const client = await RawClient.connect(server.address.port);
  const { body } = await client.request(18, 2, apiVersionsBody(2), decodeApiVersionsResponse);
  assert.is(body.errorCode, 0);
  await client.close();
  await stop();
});

test('a handler that throws or rejects is answered with its API error response, and the connection goes on', async () => {
  const broker = await Broker.open({ dir: join(tempDir(), 'data') });
  const logs: Array<{ level: string; message: string }> = [];
  const log: ServerLogger = (level, message) => logs.push({ level, message });
  let mode: 'throw' | 'reject' = 'throw';
  const broken = {
    ...metadataHandler,
    handle(): never | Promise<never> {
      if (mode === 'throw') throw new TypeError('a bug in a handler');
      return Promise.reject(new SkeinError('SKEIN_REQUEST_TIMED_OUT', 'too slow'));
    },
  };
  const router = new Router(HANDLERS.map((h) => (h.apiKey === 3 ? broken : h)));
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    new Connection(socket, { id: 1, broker, router, clusterId: 'test', maxFrameBytes: 1 << 20, preAuthMaxFrameBytes: 1 << 20, requestTimeoutMs: 0, framePool: new FrameMemoryPool(1 << 20), idleTimeoutMs: 0, maxInFlightRequests: 10, log, onClose: () => {} });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await RawClient.connect((server.address() as AddressInfo).port);
  const ask = () => client.request(3, 6, (w) => encodeMetadataRequest(w, 6, { topics: [{ name: 'a' }, { name: 'b' }], allowAutoTopicCreation: false }), decodeMetadataResponse);
  const thrown = await ask();
  assert.equal(thrown.body.topics.map((t) => [t.name, t.errorCode]), [['a', KAFKA_ERRORS.UNKNOWN_SERVER_ERROR], ['b', KAFKA_ERRORS.UNKNOWN_SERVER_ERROR]]);
  assert.ok(logs.some((l) => l.level === 'error' && l.message === 'handler failed'), 'a non-SkeinError is logged as a bug');
  mode = 'reject';
  const rejected = await ask();
  assert.equal(rejected.body.topics.map((t) => t.errorCode), [KAFKA_ERRORS.REQUEST_TIMED_OUT, KAFKA_ERRORS.REQUEST_TIMED_OUT]);
  await client.close();
  await new Promise((resolve) => server.close(resolve));
  await broker.close();
});

test('an idempotent Produce sent twice is written once and answered with the original offset', async () => {
  const { broker, server, stop } = await start();
  await broker.createTopic({ topic: 'once', numPartitions: 1 });
  const client = await RawClient.connect(server.address.port);
  const init = await client.request(22, 1, (w) => encodeInitProducerIdRequest(w, 1, { transactionalId: null, transactionTimeoutMs: 60_000 }), decodeInitProducerIdResponse);
  assert.is(init.body.errorCode, 0);
  const { producerId, producerEpoch } = init.body;
  const first = encodeRecordBatch([{ value: 'x' }, { value: 'y' }], { producerId, producerEpoch, baseSequence: 0 });
  const answers = [];
  for (let i = 0; i < 2; i++) {
    const { body } = await client.request(0, 7, produceBody('once', 0, first), decodeProduceResponse);
    answers.push(body.responses[0]!.partitionResponses[0]!);
  }
  assert.is(answers[0]!.errorCode, 0);
  assert.is(answers[1]!.errorCode, 0);
  assert.is(answers[1]!.baseOffset, answers[0]!.baseOffset);
  assert.is(broker.offsets('once', 0).highWatermark, 2);
  const gap = encodeRecordBatch([{ value: 'z' }], { producerId, producerEpoch, baseSequence: 5 });
  const { body } = await client.request(0, 7, produceBody('once', 0, gap), decodeProduceResponse);
  assert.is(body.responses[0]!.partitionResponses[0]!.errorCode, KAFKA_ERRORS.OUT_OF_ORDER_SEQUENCE_NUMBER);
  const transactional = await client.request(22, 1, (w) => encodeInitProducerIdRequest(w, 1, { transactionalId: 'tx', transactionTimeoutMs: 60_000 }), decodeInitProducerIdResponse);
  assert.is(transactional.body.errorCode, KAFKA_ERRORS.INVALID_REQUEST, 'transactions are refused');
  await client.close();
  await stop();
});

test('topics are created by Metadata when allowed, never by Produce; bad names are INVALID_TOPIC_EXCEPTION', async () => {
  const { broker, server, stop } = await start();
  const client = await RawClient.connect(server.address.port);
  const produced = await client.request(0, 7, produceBody('later', 0, encodeRecordBatch([{ value: 'x' }])), decodeProduceResponse);
  assert.is(produced.body.responses[0]!.partitionResponses[0]!.errorCode, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION);
  assert.not.ok(broker.hasTopic('later'));
  const refused = await client.request(3, 6, (w) => encodeMetadataRequest(w, 6, { topics: [{ name: 'later' }], allowAutoTopicCreation: false }), decodeMetadataResponse);
  assert.is(refused.body.topics[0]!.errorCode, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION);
  const created = await client.request(3, 6, (w) => encodeMetadataRequest(w, 6, { topics: [{ name: 'later' }, { name: 'bad/name' }], allowAutoTopicCreation: true }), decodeMetadataResponse);
  assert.is(created.body.topics[0]!.errorCode, 0);
  assert.is(created.body.topics[0]!.partitions.length, 1);
  assert.is(created.body.topics[1]!.errorCode, KAFKA_ERRORS.INVALID_TOPIC_EXCEPTION);
  assert.equal(created.body.brokers, [{ nodeId: 0, host: '127.0.0.1', port: server.address.port, rack: null }]);
  const all = await client.request(3, 0, (w) => encodeMetadataRequest(w, 0, { topics: [] }), decodeMetadataResponse);
  assert.equal(all.body.topics.map((t) => t.name).sort(), ['__consumer_offsets', 'later']);
  const again = await client.request(0, 7, produceBody('later', 0, encodeRecordBatch([{ value: 'x' }])), decodeProduceResponse);
  assert.is(again.body.responses[0]!.partitionResponses[0]!.errorCode, 0);
  await client.close();
  await stop();
});

test('a broker without auto-creation answers UNKNOWN_TOPIC_OR_PARTITION even when the client allows it', async () => {
  const { server, stop } = await start({ autoCreateTopics: false });
  const client = await RawClient.connect(server.address.port);
  const { body } = await client.request(3, 6, (w) => encodeMetadataRequest(w, 6, { topics: [{ name: 'x' }], allowAutoTopicCreation: true }), decodeMetadataResponse);
  assert.is(body.topics[0]!.errorCode, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION);
  await client.close();
  await stop();
});

test('Fetch returns the stored batch bytes exactly; ListOffsets finds the ends', async () => {
  const { broker, server, stop } = await start();
  await broker.createTopic({ topic: 'bytes', numPartitions: 1 });
  const batch = encodeRecordBatch([{ key: 'k', value: Buffer.alloc(3000, 7), headers: { h: 'v' } }]);
  await broker.produce('bytes', 0, Buffer.from(batch), -1);
  const client = await RawClient.connect(server.address.port);
  const { body } = await client.request(1, 11, fetchBody('bytes', 0, 0, 0), decodeFetchResponse);
  const p = body.responses[0]!.partitions[0]!;
  assert.is(p.errorCode, 0);
  assert.is(p.highWatermark, 1);
  assert.is(p.lastStableOffset, 1);
  const returned = Buffer.isBuffer(p.records) ? p.records : Buffer.concat(p.records as Buffer[]);
  // Everything but baseOffset and partitionLeaderEpoch (set by the broker) is the producer's bytes.
  assert.ok(returned.subarray(16).equals(batch.subarray(16)));
  const offsets = await client.request(
    2,
    3,
    (w) => encodeListOffsetsRequest(w, 3, { replicaId: -1, isolationLevel: 1, topics: [{ name: 'bytes', partitions: [{ partitionIndex: 0, timestamp: -2 }, { partitionIndex: 0, timestamp: -1 }, { partitionIndex: 9, timestamp: -1 }] }] }),
    decodeListOffsetsResponse,
  );
  assert.equal(offsets.body.topics[0]!.partitions.map((x) => [x.errorCode, x.offset]), [[0, 0], [0, 1], [KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION, -1]]);
  await client.close();
  await stop();
});

test('close() answers long polls under way, then ends the connections', async () => {
  const { broker, server, stop } = await start();
  await broker.createTopic({ topic: 'bye', numPartitions: 1 });
  const client = await RawClient.connect(server.address.port);
  const id = client.send(1, 11, fetchBody('bye', 0, 0, 60_000));
  await until(() => server.pendingResponses === 1, 'the long poll under way');
  await server.close();
  const frame = await client.nextFrame();
  assert.ok(frame, 'the fetch was answered');
  assert.is(correlationIdOf(frame!), id);
  await client.closed;
  await broker.close();
  await stop();
});

test.run();
