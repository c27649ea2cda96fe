/**
 * OffsetForLeaderEpoch (key 23, v0-4) over a real socket with the project's codecs, against a
 * broker whose partition went through leader epochs 0, 2 and 5: each version's answers
 * (Kafka's endOffsetFor semantics), v0 without leaderEpoch, KIP-320 fencing on
 * currentLeaderEpoch (v2+), unknown partitions, several partitions in one request, the
 * stamped epochs reaching a fetching client in the batch headers, and the same KIP-320 fencing
 * in Fetch (v9+) and ListOffsets (v4+), whose leaderEpoch answers and Metadata's agree.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Broker } from '../../../src/broker/broker.js';
import { KAFKA_ERRORS } from '../../../src/protocol/error-codes.js';
import { ProtocolServer } from '../../../src/protocol/server/server.js';
import type { Writer } from '../../../src/protocol/codec/writer.js';
import {
  decodeOffsetForLeaderEpochResponse,
  encodeOffsetForLeaderEpochRequest,
  type OffsetForLeaderPartition,
} from '../../../src/protocol/messages/offset-for-leader-epoch.js';
import { decodeFetchResponse, encodeFetchRequest } from '../../../src/protocol/messages/fetch.js';
import { decodeListOffsetsResponse, encodeListOffsetsRequest } from '../../../src/protocol/messages/list-offsets.js';
import { decodeMetadataResponse, encodeMetadataRequest } from '../../../src/protocol/messages/metadata.js';
import { iterateBatches } from '../../../src/records/record-iterator.js';
import { encodeRecordBatch } from '../../../src/records/encode-record-batch.js';
import { cleanupTempDirs, tempDir } from '../../helpers/temp-dir.js';
import { RawClient } from './helpers/raw-client.js';

test.after(cleanupTempDirs);

const batch = (n: number) => encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ value: `v${i}` })));

/** A broker with topic `t` (2 partitions): partition 0 holds epoch 0 at 0..2, epoch 2 at 3..3, epoch 5 from 4 (LEO 6). */
async function start() {
  const broker = await Broker.open({ dir: join(tempDir(), 'data') });
  await broker.createTopic({ topic: 't', numPartitions: 2 });
  await broker.produce('t', 0, batch(3));
  broker.partitionFor('t', 0).becomeLeader(2);
  await broker.produce('t', 0, batch(1));
  broker.partitionFor('t', 0).becomeLeader(5);
  await broker.produce('t', 0, batch(2));
  await broker.produce('t', 1, batch(1));
  const server = await ProtocolServer.listen({ broker, port: 0, log: () => {} });
  const client = await RawClient.connect(server.address.port);
  return {
    broker,
    client,
    stop: async () => {
      await client.close();
      await server.close();
      await broker.close();
    },
  };
}

function ask(client: RawClient, version: number, partitions: Array<Partial<OffsetForLeaderPartition> & { partition: number; leaderEpoch: number }>, topic = 't') {
  return client.request(
    23,
    version,
    (w: Writer) => encodeOffsetForLeaderEpochRequest(w, version, { replicaId: -1, topics: [{ topic, partitions: partitions.map((p) => ({ currentLeaderEpoch: -1, ...p })) }] }),
    decodeOffsetForLeaderEpochResponse,
  );
}

test('every version answers the largest epoch <= the one asked and where it ends', async () => {
  const { client, stop } = await start();
  for (let version = 1; version <= 4; version++) {
    const { body } = await ask(client, version, [0, 1, 2, 3, 4, 5, 6].map((leaderEpoch) => ({ partition: 0, leaderEpoch })));
    const answers = body.topics[0]!.partitions.map((p) => [p.errorCode, p.leaderEpoch, p.endOffset]);
    assert.equal(
      answers,
      [
        [0, 0, 3], // epoch 0 ends where 2 starts
        [0, 0, 3], // 1 was never seen: the largest known below it is 0
        [0, 2, 4],
        [0, 2, 4],
        [0, 2, 4],
        [0, 5, 6], // the current epoch ends at the log end
        [0, -1, -1], // newer than any known
      ],
      `v${version}`,
    );
  }
  // v0 has no leaderEpoch in its answer: only the end offset.
  const { body } = await ask(client, 0, [{ partition: 0, leaderEpoch: 2 }]);
  assert.equal([body.topics[0]!.partitions[0]!.errorCode, body.topics[0]!.partitions[0]!.endOffset], [0, 4]);
  await stop();
});

test('currentLeaderEpoch (v2+): older is FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH, equal or -1 answers', async () => {
  const { client, stop } = await start();
  const { body } = await ask(client, 3, [
    { partition: 0, currentLeaderEpoch: 4, leaderEpoch: 2 },
    { partition: 0, currentLeaderEpoch: 6, leaderEpoch: 2 },
    { partition: 0, currentLeaderEpoch: 5, leaderEpoch: 2 },
    { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 2 },
    { partition: 1, currentLeaderEpoch: 0, leaderEpoch: 0 },
  ]);
  assert.equal(
    body.topics[0]!.partitions.map((p) => [p.partition, p.errorCode, p.leaderEpoch, p.endOffset]),
    [
      [0, KAFKA_ERRORS.FENCED_LEADER_EPOCH, -1, -1],
      [0, KAFKA_ERRORS.UNKNOWN_LEADER_EPOCH, -1, -1],
      [0, 0, 2, 4],
      [0, 0, 2, 4],
      [1, 0, 0, 1],
    ],
  );
  const unknown = await ask(client, 4, [{ partition: 0, leaderEpoch: 0 }], 'missing');
  assert.is(unknown.body.topics[0]!.partitions[0]!.errorCode, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION);
  const noPartition = await ask(client, 4, [{ partition: 9, leaderEpoch: 0 }]);
  assert.is(noPartition.body.topics[0]!.partitions[0]!.errorCode, KAFKA_ERRORS.UNKNOWN_TOPIC_OR_PARTITION);
  await stop();
});

function fetch(client: RawClient, currentLeaderEpoch: number) {
  return client.request(
    1,
    11,
    (w: Writer) =>
      encodeFetchRequest(w, 11, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: 't', partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      }),
    decodeFetchResponse,
  );
}

function listOffsets(client: RawClient, timestamp: number, currentLeaderEpoch: number) {
  return client.request(
    2,
    4,
    (w: Writer) => encodeListOffsetsRequest(w, 4, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch, timestamp }] }] }),
    decodeListOffsetsResponse,
  );
}

test('Fetch v9+ and ListOffsets v4+ fence currentLeaderEpoch; ListOffsets and Metadata give the epochs', async () => {
  const { client, stop } = await start();
  const fetched = async (epoch: number) => (await fetch(client, epoch)).body.responses[0]!.partitions[0]!;
  assert.is((await fetched(4)).errorCode, KAFKA_ERRORS.FENCED_LEADER_EPOCH);
  assert.is((await fetched(6)).errorCode, KAFKA_ERRORS.UNKNOWN_LEADER_EPOCH);
  assert.is((await fetched(5)).errorCode, 0);
  assert.is((await fetched(-1)).errorCode, 0);
  const listed = async (timestamp: number, epoch: number) => {
    const p = (await listOffsets(client, timestamp, epoch)).body.topics[0]!.partitions[0]!;
    return [p.errorCode, p.offset, p.leaderEpoch];
  };
  assert.equal(await listed(-1, 4), [KAFKA_ERRORS.FENCED_LEADER_EPOCH, -1, -1]);
  assert.equal(await listed(-1, 6), [KAFKA_ERRORS.UNKNOWN_LEADER_EPOCH, -1, -1]);
  assert.equal(await listed(-1, 5), [0, 6, 5], 'latest: the log end, in epoch 5');
  assert.equal(await listed(-2, -1), [0, 0, 0], 'earliest: offset 0, written in epoch 0');
  const { body } = await client.request(3, 9, (w: Writer) => encodeMetadataRequest(w, 9, { topics: [{ name: 't' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }), decodeMetadataResponse);
  assert.equal(
    body.topics[0]!.partitions.map((p) => [p.partitionIndex, p.leaderEpoch]).sort(),
    [
      [0, 5],
      [1, 0],
    ],
  );
  await stop();
});

test('a fetching client sees each batch stamped with the epoch it was written in', async () => {
  const { client, stop } = await start();
  const { body } = await fetch(client, -1);
  const records = body.responses[0]!.partitions[0]!.records as Buffer;
  const stamps = [...iterateBatches(Buffer.from(records))].map((b) => [Number(b.readBigInt64BE(0)), b.readInt32BE(12)]);
  assert.equal(stamps, [
    [0, 0],
    [3, 2],
    [4, 5],
  ]);
  await stop();
});

test.run();
