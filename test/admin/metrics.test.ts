/**
 * The admin port of an embedded Skein: /metrics parsed as Prometheus text and its figures
 * checked against the traffic this test sends with kafkajs and raw protocol requests (records
 * and bytes in per partition, bytes out, requests and latency counts per API, errors by code,
 * log sizes and segments, consumer lag, connections); /health and /ready through start-up,
 * readiness and a shutdown that is held open by a parked fetch. Embedded producers and
 * consumers (Skein.open in process) are counted like Kafka clients, each record once; flush
 * times and the worker pool's queue are exported.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { AdminServer } from '../../src/admin/admin-server.js';
import { Skein } from '../../src/client/skein.js';
import { KafkaConnection } from '../../src/cli/kafka-connection.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { decodeProduceResponse, encodeProduceRequest } from '../../src/protocol/messages/produce.js';
import { decodeFetchResponse, encodeFetchRequest } from '../../src/protocol/messages/fetch.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const { Kafka, logLevel } = kafkajs;
test.after(cleanupTempDirs);

async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', 'text/plain');
  return parsePrometheusText(await res.text());
}

test('metrics match the traffic sent: records, bytes, requests, errors, lag, log size', async () => {
  const skein = await Skein.open({ dir: tempDir(), autoCreateTopics: false });
  try {
    const { bootstrap } = await skein.listen({ port: 0 });
    const admin = await skein.listenAdmin({ port: 0 });
    await skein.admin.createTopics({ topics: [{ topic: 'metered', numPartitions: 2 }] });
    const kafka = new Kafka({ clientId: 'metrics-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) {
      await producer.send({ topic: 'metered', messages: Array.from({ length: 5 }, (_, j) => ({ partition: (i + j) % 2, key: `k${j}`, value: `value-${i}-${j}` })) });
    }
    const consumer = kafka.consumer({ groupId: 'meter' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'metered', fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => consumer.run({ eachMessage: async () => void (++seen === 25 && resolve()) }));
    await consumer.disconnect(); // commits what it consumed
    await producer.send({ topic: 'metered', messages: [0, 1, 2].map((i) => ({ partition: 0, value: `late-${i}` })) });

    // A produce the broker refuses: an unknown topic (auto-creation is off).
    const raw = await KafkaConnection.open(bootstrap);
    const refused = await raw.request(0, 3, (w) => encodeProduceRequest(w, 3, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'nope', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'x' }]) }] }] }), decodeProduceResponse);
    assert.is(refused.responses[0]!.partitionResponses[0]!.errorCode, 3);

    const m = await scrape(admin.url);
    const [p0, p1] = (await skein.admin.fetchTopicOffsets('metered')).sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
    assert.equal([p0, p1], [13 + 3, 12]);
    assert.is(m.get('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'metered', partition: '0' }), 16);
    assert.is(m.get('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'metered', partition: '1' }), 12);
    // What producers sent is what the log holds, byte for byte.
    const stored = m.sum('kafka_log_log_size_bytes', { topic: 'metered' });
    assert.ok(stored > 28 * 10);
    assert.is(m.sum('kafka_server_brokertopicmetrics_bytesin_total', { topic: 'metered' }), stored);
    assert.ok(m.sum('kafka_server_brokertopicmetrics_bytesout_total', { topic: 'metered' }) >= m.sum('kafka_server_brokertopicmetrics_bytesin_total', { topic: 'metered' }) - m.get('kafka_server_brokertopicmetrics_bytesin_total', { topic: 'metered', partition: '0' })! + 1);
    assert.is(m.get('kafka_log_log_numlogsegments', { topic: 'metered', partition: '0' }), 1);
    assert.is(m.get('kafka_log_log_logendoffset', { topic: 'metered', partition: '0' }), 16);
    // Requests: six produce requests from kafkajs and one raw one; the histogram saw each.
    assert.is(m.get('kafka_network_requestmetrics_requests_total', { request: 'Produce' }), 7);
    assert.is(m.get('kafka_network_requestmetrics_totaltime_seconds_count', { request: 'Produce' }), 7);
    assert.ok(m.get('kafka_network_requestmetrics_totaltime_seconds_bucket', { request: 'Fetch', le: '+Inf' })! >= 1);
    assert.is(m.types.get('kafka_network_requestmetrics_totaltime_seconds'), 'histogram');
    assert.is(m.get('kafka_network_requestmetrics_errors_total', { request: 'Produce', error: 'UNKNOWN_TOPIC_OR_PARTITION' }), 1);
    assert.is(m.get('kafka_server_brokertopicmetrics_failedproducerequests_total', { topic: 'nope' }), 1);
    // Lag: the group committed 13 and 12; three records came after on partition 0.
    assert.is(m.get('kafka_consumergroup_current_offset', { consumergroup: 'meter', topic: 'metered', partition: '0' }), 13);
    assert.is(m.get('kafka_consumergroup_lag', { consumergroup: 'meter', topic: 'metered', partition: '0' }), 3);
    assert.is(m.get('kafka_consumergroup_lag', { consumergroup: 'meter', topic: 'metered', partition: '1' }), 0);
    assert.ok(m.get('kafka_server_socketservermetrics_connection_count')! >= 2, 'the producer and the raw connection');
    assert.ok(m.samples.some((s) => s.name.startsWith('nodejs_eventloop_lag')), 'event-loop delay');
    raw.close();
    await producer.disconnect();
  } finally {
    await skein.close();
  }
});

const perPartition = (m: ReturnType<typeof parsePrometheusText>, name: string, topic: string) => [0, 1].map((p) => m.get(name, { topic, partition: String(p) }));

test('embedded producer and consumer traffic is counted once per record, beside kafkajs traffic', async () => {
  const skein = await Skein.open({ dir: tempDir(), autoCreateTopics: false });
  try {
    const { bootstrap } = await skein.listen({ port: 0 });
    const admin = await skein.listenAdmin({ port: 0 });
    // Created after the admin port attached: the metrics must subscribe to its partitions.
    await skein.admin.createTopics({ topics: [{ topic: 'inproc', numPartitions: 2 }] });
    const producer = skein.producer();
    await producer.connect();
    const value = 'x'.repeat(100);
    const embeddedSent = [7, 5]; // records per partition
    for (const partition of [0, 1]) {
      for (let i = 0; i < embeddedSent[partition]!; i++) await producer.send({ topic: 'inproc', messages: [{ partition, value }] });
    }
    let m = await scrape(admin.url);
    assert.equal(perPartition(m, 'kafka_server_brokertopicmetrics_messagesin_total', 'inproc'), embeddedSent);
    // Bytes in are the batches the log holds, byte for byte.
    assert.equal(perPartition(m, 'kafka_server_brokertopicmetrics_bytesin_total', 'inproc'), perPartition(m, 'kafka_log_log_size_bytes', 'inproc'));
    assert.ok(m.sum('kafka_server_brokertopicmetrics_bytesin_total', { topic: 'inproc' }) > 12 * value.length);
    assert.is(m.sum('skein_fetch_records_total', { topic: 'inproc' }), 0, 'nothing read yet');

    const consumer = skein.consumer({ groupId: 'inproc-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'inproc', fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve) => void consumer.run({ eachMessage: async () => void (++seen === 12 && resolve()) }));
    await consumer.disconnect();
    m = await scrape(admin.url);
    assert.equal(perPartition(m, 'skein_fetch_records_total', 'inproc'), embeddedSent);
    assert.equal(perPartition(m, 'kafka_server_brokertopicmetrics_bytesout_total', 'inproc'), perPartition(m, 'kafka_log_log_size_bytes', 'inproc'));

    // kafkajs on top: 3 and 4 more in; a kafkajs consumer then reads everything from the start.
    const kafka = new Kafka({ clientId: 'metrics-mixed', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const kProducer = kafka.producer();
    await kProducer.connect();
    const kafkajsSent = [3, 4];
    for (const partition of [0, 1]) {
      await kProducer.send({ topic: 'inproc', messages: Array.from({ length: kafkajsSent[partition]! }, () => ({ partition, value })) });
    }
    await kProducer.disconnect();
    const total = [0, 1].map((p) => embeddedSent[p]! + kafkajsSent[p]!);
    const kConsumer = kafka.consumer({ groupId: 'kafkajs-reader' });
    await kConsumer.connect();
    await kConsumer.subscribe({ topic: 'inproc', fromBeginning: true });
    let kSeen = 0;
    await new Promise<void>((resolve) => void kConsumer.run({ eachMessage: async () => void (++kSeen === 19 && resolve()) }));
    await kConsumer.disconnect();
    m = await scrape(admin.url);
    assert.equal(perPartition(m, 'kafka_server_brokertopicmetrics_messagesin_total', 'inproc'), total, 'kafkajs produce counted once');
    assert.equal(perPartition(m, 'kafka_server_brokertopicmetrics_bytesin_total', 'inproc'), perPartition(m, 'kafka_log_log_size_bytes', 'inproc'));
    assert.equal(perPartition(m, 'skein_fetch_records_total', 'inproc'), [0, 1].map((p) => embeddedSent[p]! + total[p]!), 'embedded reads, then kafkajs reads of everything');
    assert.is(m.get('kafka_network_requestmetrics_requests_total', { request: 'Produce' }), 2);

    // A partition added later is counted; a deleted topic's series go.
    await skein.admin.createPartitions({ topicPartitions: [{ topic: 'inproc', count: 3 }] });
    await producer.send({ topic: 'inproc', messages: [{ partition: 2, value }, { partition: 2, value }] });
    m = await scrape(admin.url);
    assert.is(m.get('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'inproc', partition: '2' }), 2);
    await skein.admin.deleteTopics({ topics: ['inproc'] });
    m = await scrape(admin.url);
    assert.is(m.sum('kafka_server_brokertopicmetrics_messagesin_total', { topic: 'inproc' }), 0);
    assert.not.ok(m.samples.some((s) => s.labels.topic === 'inproc'));
    await producer.disconnect();
  } finally {
    await skein.close();
  }
});

test('flush time histogram grows with flush.messages=1 appends; worker pool gauges', async () => {
  const skein = await Skein.open({ dir: tempDir(), autoCreateTopics: false });
  try {
    const admin = await skein.listenAdmin({ port: 0 });
    await skein.admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 1, configEntries: [{ name: 'flush.messages', value: '1' }] }] });
    const before = await scrape(admin.url);
    assert.is(before.types.get('kafka_log_logflushstats_logflushrateandtime_seconds'), 'histogram');
    const flushesBefore = before.get('kafka_log_logflushstats_logflushrateandtime_seconds_count') ?? 0;
    const producer = skein.producer();
    await producer.connect();
    // acks -1 under flush.messages=1 waits for its own flush: one flush per send at least.
    for (let i = 0; i < 5; i++) await producer.send({ topic: 'durable', acks: -1, messages: [{ value: `v${i}` }] });
    await producer.disconnect();
    const after = await scrape(admin.url);
    assert.ok(after.get('kafka_log_logflushstats_logflushrateandtime_seconds_count')! >= flushesBefore + 5);
    assert.ok(after.get('kafka_log_logflushstats_logflushrateandtime_seconds_sum')! > 0);
    assert.is(after.types.get('skein_workerpool_queued_tasks'), 'gauge');
    assert.is(after.get('skein_workerpool_queued_tasks'), 0);
    assert.is(after.get('skein_workerpool_running_tasks'), 0);
    assert.ok(after.get('skein_workerpool_threads')! >= 1);
  } finally {
    await skein.close();
  }
});

test('/health and /ready: starting, ready, stopping (while a parked fetch holds the shutdown), then closed', async () => {
  const admin = await AdminServer.listen({ port: 0 });
  const get = async (path: string) => {
    const res = await fetch(`${admin.url}${path}`);
    return { status: res.status, body: (await res.json()) as { state: string } };
  };
  assert.equal(await get('/health'), { status: 200, body: { status: 'up', state: 'starting' } });
  assert.equal(await get('/ready'), { status: 503, body: { ready: false, state: 'starting' } });
  assert.is((await fetch(`${admin.url}/metrics`)).status, 503);

  const skein = await Skein.open({ dir: tempDir() });
  const { bootstrap } = await skein.listen({ port: 0, closeTimeoutMs: 10_000 });
  skein.attachAdmin(admin);
  assert.equal(await get('/ready'), { status: 200, body: { ready: true, state: 'ready' } });

  await skein.admin.createTopics({ topics: [{ topic: 'quiet', numPartitions: 1 }] });
  const raw = await KafkaConnection.open(bootstrap);
  const parked = raw.request(1, 4, (w) => encodeFetchRequest(w, 4, { replicaId: -1, maxWaitMs: 3000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic: 'quiet', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }] }), decodeFetchResponse);
  await new Promise((r) => setTimeout(r, 100)); // the fetch is parked in the broker
  const closing = skein.close();
  assert.equal(await get('/ready'), { status: 503, body: { ready: false, state: 'stopping' } });
  assert.is((await get('/health')).status, 200);
  await parked.catch(() => undefined);
  await closing;
  raw.close();
  await fetch(`${admin.url}/health`).then(
    () => assert.unreachable('the admin port is closed with the Skein'),
    (err: Error) => assert.instance(err, Error),
  );
});

test.run();
