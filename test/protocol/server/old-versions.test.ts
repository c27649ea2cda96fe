/**
 * The oldest versions Skein serves (Kafka 3.9's minimums, dropped by Kafka 4.0's KIP-896) over
 * a bare socket, each request written with our generated codecs and each answer checked
 * against the spec: Produce v0–2 with MessageSet v0/v1 converted to RecordBatch v2 (CRC-32
 * checked, offsets assigned, v1 timestamps kept), Fetch v0–3 converted down to magic 0/1 from
 * the fetch offset on (headers dropped, capped at partitionMaxBytes but never empty), v4 still
 * the stored bytes; ListOffsets v0 offset lists; OffsetCommit v0–1 and OffsetFetch v0 group
 * commits that keep the connection (and a Fetch in flight on it) alive; compressed legacy
 * sets (gzip, snappy, lz4 wrappers) stored as one batch with their codec and converted back
 * down; and malformed sets (bad CRC, cut, garbage, bad compressed payloads, zip bombs)
 * refused with CORRUPT_MESSAGE / MESSAGE_TOO_LARGE and nothing stored.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Broker } from '../../../src/broker/broker.js';
import { KAFKA_ERRORS } from '../../../src/protocol/error-codes.js';
import { ProtocolServer } from '../../../src/protocol/server/server.js';
import type { Writer } from '../../../src/protocol/codec/writer.js';
import { decodeProduceResponse, encodeProduceRequest } from '../../../src/protocol/messages/produce.js';
import { decodeFetchResponse, encodeFetchRequest, type FetchResponse } from '../../../src/protocol/messages/fetch.js';
import { decodeListOffsetsResponse, encodeListOffsetsRequest } from '../../../src/protocol/messages/list-offsets.js';
import { decodeOffsetCommitResponse, encodeOffsetCommitRequest } from '../../../src/protocol/messages/offset-commit.js';
import { decodeOffsetFetchResponse, encodeOffsetFetchRequest } from '../../../src/protocol/messages/offset-fetch.js';
import { compress } from '../../../src/records/compression/index.js';
import { decodeRecordBatch } from '../../../src/records/decode-record-batch.js';
import { encodeRecordBatch } from '../../../src/records/encode-record-batch.js';
import { decodeMessageSet, encodeMessageSet, type LegacyMagic } from '../../../src/records/message-set.js';
import { iterateBatches } from '../../../src/records/record-iterator.js';
import { cleanupTempDirs, tempDir } from '../../helpers/temp-dir.js';
import { RawClient, correlationIdOf } from './helpers/raw-client.js';

test.after(cleanupTempDirs);

interface Running {
  broker: Broker;
  server: ProtocolServer;
  client: RawClient;
  logs: Array<{ level: string; message: string }>;
  stop(): Promise<void>;
}

async function start(): Promise<Running> {
  const broker = await Broker.open({ dir: join(tempDir(), 'data') });
  const logs: Running['logs'] = [];
  const server = await ProtocolServer.listen({ broker, port: 0, log: (level, message) => logs.push({ level, message }) });
  const client = await RawClient.connect(server.address.port);
  return {
    broker,
    server,
    client,
    logs,
    stop: async () => {
      await client.close();
      await server.close();
      await broker.close();
    },
  };
}

const produceBody = (version: number, topic: string, partitions: Array<{ index: number; records: Buffer }>, acks = -1) => (w: Writer) =>
  encodeProduceRequest(w, version, { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: partitions }] });

const fetchBody = (version: number, topic: string, fetchOffset: number, partitionMaxBytes = 1 << 20, maxWaitMs = 0) => (w: Writer) =>
  encodeFetchRequest(w, version, {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    ...(version >= 3 ? { maxBytes: 1 << 20 } : {}),
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes }] }],
  });

/** Every record stored in partition 0, from the broker (the log holds RecordBatch v2 only). */
async function storedRecords(broker: Broker, topic: string) {
  const read = await broker.fetch({ partitions: [{ topic, partition: 0, fetchOffset: 0, maxBytes: 1 << 24 }], maxWaitMs: 0 });
  return read.partitions[0]!.records.flatMap((v) => [...iterateBatches(v)].map((b) => decodeRecordBatch(b)));
}

const messages = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ offset: i, key: i % 3 === 0 ? null : Buffer.from(`key-${from + i}`), value: Buffer.from(`value-${from + i}`), timestamp: 1700000000000 + from + i }));

test('Produce v0, v1 (magic 0) and v2 (magic 1): answered per the spec, stored as RecordBatch v2 with offsets and timestamps', async () => {
  const { broker, client, logs, stop } = await start();
  await broker.createTopic({ topic: 'p', numPartitions: 1 });
  let next = 0;
  for (const version of [0, 1, 2]) {
    const magic: LegacyMagic = version === 2 ? 1 : 0;
    const set = encodeMessageSet(messages(3, next), magic);
    const { body } = await client.request(0, version, produceBody(version, 'p', [{ index: 0, records: set }]), decodeProduceResponse);
    const p = body.responses[0]!.partitionResponses[0]!;
    assert.equal([p.index, p.errorCode, p.baseOffset], [0, KAFKA_ERRORS.NONE, next], `v${version}`);
    // v0 has neither throttle time nor append time; v1 adds the throttle time, v2 the append time (-1: CreateTime).
    assert.is(body.throttleTimeMs, 0);
    assert.is(p.logAppendTimeMs, -1);
    next += 3;
  }
  const batches = await storedRecords(broker, 'p');
  assert.equal(batches.map((b) => [b.magic, b.baseOffset, b.recordCount, b.timestampType, b.producerId]), [
    [2, 0, 3, 'create', -1],
    [2, 3, 3, 'create', -1],
    [2, 6, 3, 'create', -1],
  ]);
  const records = batches.flatMap((b) => b.records);
  assert.equal(
    records.map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString(), r.timestamp]),
    [...messages(3, 0), ...messages(3, 3), ...messages(3, 6)].map((m, i) => [i, m.key?.toString() ?? null, m.value.toString(), i >= 6 ? m.timestamp : -1]),
  );
  // A RecordBatch v2 in an old request is taken as it is (Kafka allows it).
  const { body } = await client.request(0, 2, produceBody(2, 'p', [{ index: 0, records: encodeRecordBatch([{ value: 'v2-in-old', headers: { h: 'x' } }]) }]), decodeProduceResponse);
  assert.equal([body.responses[0]!.partitionResponses[0]!.errorCode, body.responses[0]!.partitionResponses[0]!.baseOffset], [0, 9]);
  assert.equal(logs.filter((l) => l.level === 'warn' || l.level === 'error'), []);
  await stop();
});

test('Fetch v0-3: the stored batches converted down to magic 0 (v0-1) / 1 (v2-3) from the fetch offset; v4 gets the stored bytes', async () => {
  const { broker, client, stop } = await start();
  await broker.createTopic({ topic: 'f', numPartitions: 1 });
  const first = encodeRecordBatch(
    [
      { key: 'a', value: 'one', timestamp: 1700000000001, headers: { dropped: 'yes' } },
      { key: null, value: 'two', timestamp: 1700000000002 },
      { key: 'c', value: null, timestamp: 1700000000003 },
    ],
    {},
  );
  await broker.produce('f', 0, first, 1);
  await broker.produce('f', 0, encodeRecordBatch([{ key: 'd', value: 'four', timestamp: 1700000000004 }]), 1);
  for (const version of [0, 1, 2, 3]) {
    const magic = version >= 2 ? 1 : 0;
    const { body } = await client.request(1, version, fetchBody(version, 'f', 1), decodeFetchResponse);
    const p = body.responses[0]!.partitions[0]!;
    assert.equal([p.partitionIndex, p.errorCode, p.highWatermark], [0, 0, 4], `v${version}`);
    const got = decodeMessageSet(p.records as Buffer);
    assert.equal(
      got.map((m) => [m.offset, m.magic, m.key?.toString() ?? null, m.value?.toString() ?? null, m.timestamp, m.compression]),
      [
        [1, magic, null, 'two', magic === 1 ? 1700000000002 : -1, 'none'],
        [2, magic, 'c', null, magic === 1 ? 1700000000003 : -1, 'none'],
        [3, magic, 'd', 'four', magic === 1 ? 1700000000004 : -1, 'none'],
      ],
      `v${version}: records before the fetch offset are left out`,
    );
    if (version >= 1) assert.is(body.throttleTimeMs, 0);
  }
  // The first message is returned even when it alone exceeds partitionMaxBytes; then the cap holds.
  const { body: tiny } = await client.request(1, 3, fetchBody(3, 'f', 0, 10), decodeFetchResponse);
  assert.equal(decodeMessageSet(tiny.responses[0]!.partitions[0]!.records as Buffer).map((m) => m.offset), [0]);
  const { body: two } = await client.request(1, 3, fetchBody(3, 'f', 0, 2 * 38 + 1), decodeFetchResponse);
  assert.equal(decodeMessageSet(two.responses[0]!.partitions[0]!.records as Buffer).map((m) => m.offset), [0, 1]);
  // v4: RecordBatch v2, the very bytes stored.
  const { body: v4 } = await client.request(1, 4, fetchBody(4, 'f', 0), decodeFetchResponse);
  const bytes = v4.responses[0]!.partitions[0]!.records as Buffer;
  assert.is(bytes[16], 2);
  assert.equal(decodeRecordBatch(bytes.subarray(0, first.length)).records.map((r) => r.headers.length), [1, 0, 0]);
  await stop();
});

test('Fetch v0-3 errors and empty answers: unknown partition, offset out of range, nothing new', async () => {
  const { broker, client, stop } = await start();
  await broker.createTopic({ topic: 'e', numPartitions: 1 });
  await broker.produce('e', 0, encodeRecordBatch([{ value: 'x' }]), 1);
  const check = async (version: number, topic: string, offset: number): Promise<FetchResponse['responses'][number]['partitions'][number]> =>
    (await client.request(1, version, fetchBody(version, topic, offset), decodeFetchResponse)).body.responses[0]!.partitions[0]!;
  for (const version of [0, 1, 2, 3]) {
    assert.is((await check(version, 'missing', 0)).errorCode, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION);
    assert.is((await check(version, 'e', 50)).errorCode, KAFKA_ERRORS.OFFSET_OUT_OF_RANGE);
    const end = await check(version, 'e', 1);
    assert.equal([end.errorCode, (end.records as Buffer | null)?.length ?? 0], [0, 0]);
  }
  await stop();
});

test('ListOffsets v0: offset lists for latest (-1), earliest (-2) and a time; maxNumOffsets 0 gives none', async () => {
  const { broker, client, stop } = await start();
  await broker.createTopic({ topic: 'l', numPartitions: 1 });
  await broker.produce('l', 0, encodeRecordBatch([{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 2000 }]), 1);
  const ask = async (timestamp: number, maxNumOffsets = 1, topic = 'l') => {
    const { body } = await client.request(
      2,
      0,
      (w) => encodeListOffsetsRequest(w, 0, { replicaId: -1, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, maxNumOffsets }] }] }),
      decodeListOffsetsResponse,
    );
    const p = body.topics[0]!.partitions[0]!;
    return [p.errorCode, p.oldStyleOffsets];
  };
  assert.equal(await ask(-1), [0, [2]]);
  assert.equal(await ask(-2), [0, [0]]);
  assert.equal(await ask(1500), [0, [1]]);
  assert.equal(await ask(99999999999), [0, [2]], 'a time after the last record: the log end');
  assert.equal(await ask(-1, 0), [0, []]);
  assert.equal(await ask(-1, 1, 'nope'), [KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION, []]);
  await stop();
});

test('OffsetCommit v0/v1 and OffsetFetch v0/v1 round trip; a commit beside an in-flight Fetch leaves both answered', async () => {
  const { broker, client, stop } = await start();
  await broker.createTopic({ topic: 'c', numPartitions: 2 });
  const commit = async (version: number, offsets: number[], extra: { generationIdOrMemberEpoch?: number; memberId?: string } = {}) =>
    (
      await client.request(
        8,
        version,
        (w) =>
          encodeOffsetCommitRequest(w, version, {
            groupId: 'old-group',
            ...extra,
            topics: [
              {
                name: 'c',
                partitions: offsets.map((o, i) => ({ partitionIndex: i, committedOffset: o, committedMetadata: `m${i}`, ...(version === 1 ? { commitTimestamp: 1700000000000 } : {}) })),
              },
            ],
          }),
        decodeOffsetCommitResponse,
      )
    ).body.topics[0]!.partitions.map((p) => p.errorCode);
  const fetchOffsets = async (version: number) =>
    (
      await client.request(9, version, (w) => encodeOffsetFetchRequest(w, version, { groupId: 'old-group', topics: [{ name: 'c', partitionIndexes: [0, 1] }] }), decodeOffsetFetchResponse)
    ).body.topics![0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]);

  assert.equal(await commit(0, [5, 7]), [0, 0]);
  assert.equal(await fetchOffsets(0), [
    [0, 5, 'm0', 0],
    [1, 7, 'm1', 0],
  ]);
  assert.equal(await commit(1, [6, 8], { generationIdOrMemberEpoch: -1, memberId: '' }), [0, 0]);
  assert.equal(await fetchOffsets(1), [
    [0, 6, 'm0', 0],
    [1, 8, 'm1', 0],
  ]);
  // A generation that does not exist is refused with the group error, not by closing the connection.
  const refused = await commit(1, [9, 9], { generationIdOrMemberEpoch: 4, memberId: 'nobody' });
  assert.ok(refused.every((code) => code !== 0));

  // Pipelined: a long-polling Fetch, then a v1 commit on the same connection; a record wakes the fetch.
  const fetchId = client.send(1, 4, fetchBody(4, 'c', 0, 1 << 20, 30_000));
  const commitId = client.send(8, 1, (w) =>
    encodeOffsetCommitRequest(w, 1, { groupId: 'old-group', generationIdOrMemberEpoch: -1, memberId: '', topics: [{ name: 'c', partitions: [{ partitionIndex: 0, committedOffset: 11, committedMetadata: null }] }] }),
  );
  await new Promise((r) => setTimeout(r, 50));
  await broker.produce('c', 0, encodeRecordBatch([{ value: 'wake' }]), 1);
  const ids = [correlationIdOf((await client.nextFrame())!), correlationIdOf((await client.nextFrame())!)];
  assert.equal(ids, [fetchId, commitId]);
  assert.ok(client.isOpen);
  assert.equal((await fetchOffsets(1))[0]!.slice(0, 2), [0, 11]);
  await stop();
});

test('malformed legacy sets: CORRUPT_MESSAGE for that partition only, nothing of it stored; compressed sets refused', async () => {
  const { broker, client, logs, stop } = await start();
  await broker.createTopic({ topic: 'm', numPartitions: 3 });
  const good = encodeMessageSet(messages(2), 1);
  const flipped = Buffer.from(good);
  flipped[30]! ^= 0x01; // inside the first message's key: its CRC-32 no longer matches
  const cut = good.subarray(0, good.length - 3);
  const { body } = await client.request(
    0,
    2,
    produceBody(2, 'm', [
      { index: 0, records: good },
      { index: 1, records: flipped },
      { index: 2, records: cut },
    ]),
    decodeProduceResponse,
  );
  assert.equal(
    body.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode]),
    [
      [0, KAFKA_ERRORS.NONE],
      [1, KAFKA_ERRORS.CORRUPT_MESSAGE],
      [2, KAFKA_ERRORS.CORRUPT_MESSAGE],
    ],
  );
  assert.equal(broker.offsets('m', 0).highWatermark, 2);
  assert.equal(broker.offsets('m', 1).highWatermark, 0);
  assert.equal(broker.offsets('m', 2).highWatermark, 0);

  // Garbage that is neither a message set nor a batch; an empty set; zstd in magic 1.
  const zstd = encodeMessageSet(messages(1), 1);
  zstd[17] = 4;
  zstd.writeUInt32BE(0, 12);
  const cases: Array<[Buffer, number]> = [
    [Buffer.alloc(40, 0x07), KAFKA_ERRORS.CORRUPT_MESSAGE],
    [zstd, KAFKA_ERRORS.CORRUPT_MESSAGE], // the CRC is checked first
  ];
  for (const [records, code] of cases) {
    const { body: b } = await client.request(0, 1, produceBody(1, 'm', [{ index: 1, records }]), decodeProduceResponse);
    assert.is(b.responses[0]!.partitionResponses[0]!.errorCode, code);
  }
  // Compressed wrappers that do not decompress, or inflate past max.message.bytes (a zip bomb).
  const notGzip = encodeMessageSet([{ offset: 1, compression: 'gzip', key: null, value: Buffer.from('not gzip at all'), timestamp: 1 }], 1);
  const bomb = encodeMessageSet([{ offset: 0, compression: 'gzip', key: null, value: gzipSync(encodeMessageSet([{ offset: 0, key: null, value: Buffer.alloc(4 << 20) }], 0)) }], 0);
  const noValue = encodeMessageSet([{ offset: 0, compression: 'snappy', key: null, value: null }], 0);
  for (const [records, code] of [
    [notGzip, KAFKA_ERRORS.CORRUPT_MESSAGE],
    [bomb, KAFKA_ERRORS.MESSAGE_TOO_LARGE],
    [noValue, KAFKA_ERRORS.CORRUPT_MESSAGE],
  ] as const) {
    const { body: z } = await client.request(0, 2, produceBody(2, 'm', [{ index: 1, records }]), decodeProduceResponse);
    assert.is(z.responses[0]!.partitionResponses[0]!.errorCode, code);
  }
  assert.equal(broker.offsets('m', 1).highWatermark, 0, 'nothing stored');
  assert.ok(client.isOpen, 'refusals are answers, not closed connections');
  assert.equal(logs.filter((l) => l.level === 'error'), []);
  await stop();
});

test('compressed legacy sets (gzip, snappy, lz4 wrappers): inner messages stored as one batch with the same codec, read back by Fetch v0-3 and v4', async () => {
  const { broker, client, stop } = await start();
  await broker.createTopic({ topic: 'z', numPartitions: 1 });
  let next = 0;
  const expected: Array<[number, string | null, string, number]> = [];
  for (const codec of ['gzip', 'snappy', 'lz4'] as const) {
    for (const magic of [0, 1] as const) {
      const inner = messages(4, next);
      // Magic 1 producers write relative inner offsets 0..n-1 and the wrapper's offset n-1; magic 0 any offsets.
      const wrapper = encodeMessageSet([{ offset: magic === 1 ? 3 : 0, compression: codec, key: null, value: compress(codec, encodeMessageSet(inner, magic)), timestamp: 1700000009999 }], magic);
      const version = magic === 1 ? 2 : 1;
      const { body } = await client.request(0, version, produceBody(version, 'z', [{ index: 0, records: wrapper }]), decodeProduceResponse);
      assert.equal([body.responses[0]!.partitionResponses[0]!.errorCode, body.responses[0]!.partitionResponses[0]!.baseOffset], [0, next], `${codec} magic ${magic}`);
      for (const [i, m] of inner.entries()) expected.push([next + i, m.key?.toString() ?? null, m.value.toString(), magic === 1 ? m.timestamp : -1]);
      next += 4;
    }
  }
  const batches = await storedRecords(broker, 'z');
  assert.equal(
    batches.map((b) => b.compression),
    ['gzip', 'gzip', 'snappy', 'snappy', 'lz4', 'lz4'],
    'each stored batch carries the codec it was sent with',
  );
  assert.equal(
    batches.flatMap((b) => b.records.map((r) => [r.offset, r.key?.toString() ?? null, r.value!.toString(), r.timestamp])),
    expected,
  );
  for (const version of [0, 3]) {
    const { body } = await client.request(1, version, fetchBody(version, 'z', 2), decodeFetchResponse);
    const got = decodeMessageSet(body.responses[0]!.partitions[0]!.records as Buffer);
    assert.equal(
      got.map((m) => [m.offset, m.key?.toString() ?? null, m.value!.toString(), m.timestamp, m.compression]),
      expected.slice(2).map(([o, k, v, t]) => [o, k, v, version >= 2 ? t : -1, 'none']),
      `Fetch v${version}: compressed batches converted down`,
    );
  }
  await stop();
});

test.run();
