/**
 * Compressed traffic between real clients over real sockets and the embedded client:
 * kafkajs (gzip built in; snappy via kafkajs-snappy, lz4 via kafkajs-lz4, zstd via a small
 * adapter over zstd-napi, all registered in kafkajs's CompressionCodecs), kcat -z (librdkafka
 * 2.0.2) and @platformatic/kafka produce compressed; kafkajs, kcat, platformatic and the
 * embedded consumer read it back byte for byte; the batches in the log carry the codec they
 * were sent with (read raw from the partition through Broker.fetch: the stored bytes).
 * The embedded producer's compressed batches are read by kafkajs and kcat. Bad compressed
 * batches (corrupt, zip bomb, wrong record count, codec id 5) are answered with Kafka's error
 * and leave the log as it was.
 *
 * kcat is a system package (.ci/run); without it those tests are skipped, saying so.
 * @platformatic/kafka's zstd needs node:zlib zstd (Node >= 22.15); on older Node that case is
 * skipped, saying so.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KCAT_AVAILABLE, runKcat, type KcatRun as Run } from '../helpers/kcat.js';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import kafkajs from 'kafkajs';
import { Producer as PltProducer, stringSerializers } from '@platformatic/kafka';
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi';
import { produceHandler } from '../../src/protocol/handlers/produce.js';
import { iterateBatches } from '../../src/records/record-iterator.js';
import { compress } from '../../src/records/compression/index.js';
import { recordsSection } from '../helpers/compressed-batches.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { serveSkein, until, type Served } from './helpers/skein-server.js';

const require = createRequire(import.meta.url);
const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = kafkajs;
const SnappyCodec = require('kafkajs-snappy');
const LZ4Codec = require('kafkajs-lz4');

CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
// kafkajs documents no zstd package that installs here; its codec interface is two functions.
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: async (encoder: { buffer: Buffer }) => zstdCompress(encoder.buffer),
  decompress: async (buffer: Buffer) => zstdDecompress(buffer),
});

const KCAT = KCAT_AVAILABLE;
if (!KCAT) console.log('kcat is not installed (apt-get install kcat): skipping the kcat compression tests');
const CODECS = [
  { name: 'gzip', id: 1, kafkajs: CompressionTypes.GZIP },
  { name: 'snappy', id: 2, kafkajs: CompressionTypes.Snappy },
  { name: 'lz4', id: 3, kafkajs: CompressionTypes.LZ4 },
  { name: 'zstd', id: 4, kafkajs: CompressionTypes.ZSTD },
] as const;
type CodecName = (typeof CODECS)[number]['name'];

let served: Served;
let kafka: InstanceType<typeof Kafka>;

test.before(async () => {
  served = await serveSkein({ numPartitions: 1 });
  kafka = new Kafka({ clientId: 'compression', brokers: [served.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
});

test.after(async () => {
  await served.close();
  cleanupTempDirs();
});

interface Row {
  key: string;
  value: string;
}

/** Compressible rows with UTF-8, so a codec has something to do and bytes can be compared. */
function rows(count: number, tag: string): Row[] {
  return Array.from({ length: count }, (_, i) => ({ key: `${tag}-k${i}`, value: `${tag} value ${i} é漢🙂 `.repeat(1 + (i % 7)) }));
}

/** The codec id (attributes bits 0-2) of every batch stored in partition 0 of `topic`. */
async function storedCodecs(topic: string): Promise<number[]> {
  const result = await served.skein.broker.fetch({ partitions: [{ topic, partition: 0, fetchOffset: 0, maxBytes: 64 << 20 }], maxWaitMs: 0 });
  const codecs: number[] = [];
  for (const view of result.partitions[0]!.records) for (const batch of iterateBatches(view)) codecs.push(batch.readInt16BE(21) & 7);
  return codecs;
}

/**
 * The codec of every batch in the segment files of partition 0 of `topic`, read from disk
 * with plain fs (the files are preallocated: the batches end where a zero length starts).
 */
function codecsOnDisk(topic: string): number[] {
  const dir = join(served.dir, `${topic}-0`);
  const codecs: number[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.log')).sort()) {
    const file = readFileSync(join(dir, name));
    for (let pos = 0; pos + 61 <= file.length; ) {
      const batchLength = file.readInt32BE(pos + 8);
      if (batchLength <= 0) break;
      assert.is(file[pos + 16], 2, 'v2 on disk');
      codecs.push(file.readInt16BE(pos + 21) & 7);
      pos += 12 + batchLength;
    }
  }
  return codecs;
}

/** The stored bytes of partition 0 of `topic` (to show a refused produce changed nothing). */
async function storedBytes(topic: string): Promise<Buffer> {
  const result = await served.skein.broker.fetch({ partitions: [{ topic, partition: 0, fetchOffset: 0, maxBytes: 64 << 20 }], maxWaitMs: 0 });
  return Buffer.concat(result.partitions[0]!.records.map((v) => Buffer.from(v)));
}

const byKey = (list: Row[]) => [...list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

async function consumeKafkajs(topic: string, count: number): Promise<Row[]> {
  const consumer = kafka.consumer({ groupId: `kjs-${topic}`, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 300 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Row[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: message.key!.toString(), value: message.value!.toString() }) });
  await until(() => got.length >= count, `kafkajs reads ${count} records of ${topic}`);
  await consumer.disconnect();
  return got;
}

async function consumeEmbedded(topic: string, count: number): Promise<Row[]> {
  const consumer = served.skein.consumer({ groupId: `emb-${topic}`, maxWaitTimeInMs: 50 });
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Row[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: message.key!.toString(), value: message.value!.toString() }) });
  await until(() => got.length >= count, `the embedded consumer reads ${count} records of ${topic}`);
  await consumer.disconnect();
  return got;
}

const kcat = (args: string[]): Promise<Run> => runKcat(served.bootstrap, args);

/** kcat as a 0.9 client: Fetch v1, so stored (compressed) v2 batches are converted down to magic 0. */
const OLD_CLIENT = ['-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0'];

async function consumeKcat(topic: string, extra: string[] = []): Promise<Row[]> {
  const run = await kcat(['-C', '-t', topic, '-e', '-o', 'beginning', '-f', '%k\\x1f%s\\x1e', ...extra]);
  assert.is(run.code, 0, run.stderr);
  return run.stdout
    .toString('utf8')
    .split('\x1e')
    .filter((s) => s.length > 0)
    .map((s) => {
      const [key, value] = s.split('\x1f');
      return { key: key!, value: value! };
    });
}

for (const codec of CODECS) {
  test(`kafkajs ${codec.name} → stored as ${codec.name} → kafkajs, embedded consumer${KCAT ? ', kcat' : ''} read the same bytes`, async () => {
    const topic = `kjs-${codec.name}`;
    const sent = rows(300, topic);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < sent.length; i += 100) await producer.send({ topic, compression: codec.kafkajs, messages: sent.slice(i, i + 100) });
    await producer.disconnect();
    assert.equal(await storedCodecs(topic), [codec.id, codec.id, codec.id], 'each send is one batch with the codec it was sent with');
    assert.equal(byKey(await consumeKafkajs(topic, sent.length)), byKey(sent));
    assert.equal(byKey(await consumeEmbedded(topic, sent.length)), byKey(sent));
    if (KCAT) assert.equal(byKey(await consumeKcat(topic)), byKey(sent));
    if (KCAT && produceHandler.minVersion === 0) assert.equal(byKey(await consumeKcat(topic, OLD_CLIENT)), byKey(sent), 'old fetch, converted down');
  });
}

for (const codec of CODECS) {
  test(`embedded producer ${codec.name} (kafkajs CompressionTypes) → stored as ${codec.name} → kafkajs${KCAT ? ', kcat' : ''}, embedded consumer`, async () => {
    const topic = `emb-${codec.name}`;
    const sent = rows(250, topic);
    const producer = served.skein.producer({ compression: codec.kafkajs });
    await producer.connect();
    await producer.send({ topic, messages: sent.slice(0, 100) });
    // Per send, by name, overriding the producer's codec.
    await producer.send({ topic, messages: sent.slice(100), compression: codec.name });
    await producer.disconnect();
    const codecs = await storedCodecs(topic);
    assert.ok(codecs.length >= 2 && codecs.every((c) => c === codec.id), `stored codecs ${codecs}`);
    assert.equal(byKey(await consumeKafkajs(topic, sent.length)), byKey(sent));
    assert.equal(byKey(await consumeEmbedded(topic, sent.length)), byKey(sent));
    if (KCAT) assert.equal(byKey(await consumeKcat(topic)), byKey(sent));
  });
}

/** librdkafka 2.0.2 compresses gzip/snappy/lz4 only if the broker lists Produce v0 (zstd: Produce v7). */
function librdkafkaWillCompress(codec: CodecName): boolean {
  return codec === 'zstd' || produceHandler.minVersion === 0;
}

for (const codec of CODECS) {
  const run = KCAT && librdkafkaWillCompress(codec.name) ? test : test.skip;
  if (KCAT && !librdkafkaWillCompress(codec.name)) {
    console.log(`kcat -z ${codec.name}: skipped: librdkafka 2.0.2 compresses it only when ApiVersions lists Produce v0 (the old-versions work); this server starts at v${produceHandler.minVersion}`);
  }
  run(`kcat -z ${codec.name} → no codec disabled (-d feature,msg), stored as ${codec.name} → kafkajs, embedded consumer read it`, async () => {
    const topic = `kcat-${codec.name}`;
    const sent = rows(400, topic);
    const input = join(tempDir('skein-kcat-z-'), 'input');
    writeFileSync(input, sent.map((r) => `${r.key}\x1f${r.value}\x1e`).join(''));
    // A long linger gathers the file into few batches: librdkafka sends a batch uncompressed
    // when compressing it would not shrink it (a batch of one short message, say).
    const produced = await kcat(['-P', '-t', topic, '-z', codec.name, '-X', 'linger.ms=500', '-d', 'feature,msg', '-D', '\\x1e', '-K', '\\x1f', '-l', input]);
    assert.is(produced.code, 0, produced.stderr);
    assert.not.match(produced.stderr, 'Broker does not support compression', 'librdkafka compresses');
    assert.not.match(produced.stderr, /Disabling feature (LZ4|ZSTD|MsgVer2)/, 'no codec feature disabled');
    assert.match(produced.stderr, new RegExp(`Produce MessageSet with \\d+ message\\(s\\) \\(\\d+ bytes, ApiVersion \\d+, MsgVersion 2, [^)]*, ${codec.name}\\)`));
    const codecs = await storedCodecs(topic);
    // Every batch librdkafka says it compressed is stored with that codec; the rest are the
    // ones it chose to send uncompressed (no gain), which it reports as "uncompressed".
    const said = [...produced.stderr.matchAll(/Produce MessageSet with \d+ message\(s\) \([^)]*, (\w+)\)/g)].map((m) => m[1]);
    assert.ok(codecs.includes(codec.id), `stored codecs ${codecs}`);
    assert.equal(codecsOnDisk(topic), codecs, 'the segment files on disk hold the same batches');
    assert.equal(codecs.map((c) => (c === 0 ? 'uncompressed' : c === codec.id ? codec.name : `codec ${c}`)), said, 'what librdkafka said it sent is what the log holds');
    assert.equal(byKey(await consumeKafkajs(topic, sent.length)), byKey(sent));
    assert.equal(byKey(await consumeEmbedded(topic, sent.length)), byKey(sent));
  });
}

for (const codec of CODECS.filter((c) => c.name !== 'zstd')) {
  const run = KCAT && produceHandler.minVersion === 0 ? test : test.skip;
  run(`kcat -z ${codec.name} as a 0.9 client (Produce v1, compressed magic 0 wrapper) → converted to v2, read back equal`, async () => {
    const topic = `kcat-legacy-${codec.name}`;
    const sent = rows(150, topic);
    const input = join(tempDir('skein-kcat-legacy-'), 'input');
    writeFileSync(input, sent.map((r) => `${r.key}\x1f${r.value}\x1e`).join(''));
    const args = ['-P', '-t', topic, '-z', codec.name, '-X', 'api.version.request=false', '-X', 'broker.version.fallback=0.9.0', '-d', 'msg'];
    const produced = await kcat([...args, '-D', '\\x1e', '-K', '\\x1f', '-l', input]);
    assert.is(produced.code, 0, produced.stderr);
    // librdkafka's lz4 for magic 0/1 uses Kafka's old header checksum (KAFKA-3160): read all the same.
    assert.match(produced.stderr, new RegExp(`ApiVersion 1, MsgVersion 0, [^)]*, ${codec.name}\\)`));
    assert.equal(byKey(await consumeKafkajs(topic, sent.length)), byKey(sent));
    assert.equal(byKey(await consumeEmbedded(topic, sent.length)), byKey(sent));
  });
}

const PLATFORMATIC_ZSTD = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
if (!PLATFORMATIC_ZSTD) console.log(`@platformatic/kafka zstd: skipped: it needs node:zlib zstd (Node >= 22.15), this is ${process.version}`);

for (const codec of CODECS) {
  const run = codec.name !== 'zstd' || PLATFORMATIC_ZSTD ? test : test.skip;
  run(`@platformatic/kafka ${codec.name} → stored as ${codec.name} → kafkajs, embedded consumer read it`, async () => {
    const topic = `plt-${codec.name}`;
    const sent = rows(200, topic);
    await served.skein.admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = new PltProducer({ clientId: 'plt-compression', bootstrapBrokers: [served.bootstrap], serializers: stringSerializers });
    await producer.send({ messages: sent.map((r) => ({ topic, key: r.key, value: r.value, partition: 0 })), compression: codec.name });
    await producer.close();
    const codecs = await storedCodecs(topic);
    assert.ok(codecs.length >= 1 && codecs.every((c) => c === codec.id), `stored codecs ${codecs}`);
    assert.equal(byKey(await consumeKafkajs(topic, sent.length)), byKey(sent));
    assert.equal(byKey(await consumeEmbedded(topic, sent.length)), byKey(sent));
  });
}

/** The Kafka error type a kafkajs send failed with (on the error or the one it wraps). */
function kafkaErrorType(err: unknown): string | undefined {
  let e = err as { type?: string; originalError?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string') return e.type;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return undefined;
}

/** Sends one batch through kafkajs with a codec whose compress() is `bad`: what the broker answers. */
async function sendWithCodec(topic: string, codecId: number, bad: (records: Buffer) => Buffer, messages: Row[]): Promise<string | undefined> {
  // kafkajs looks codecs up by the number passed as `compression`; 5 is no Kafka codec.
  const codecs = CompressionCodecs as unknown as Record<number, unknown>;
  const saved = codecs[codecId];
  codecs[codecId] = () => ({ compress: async (encoder: { buffer: Buffer }) => bad(encoder.buffer), decompress: async (b: Buffer) => b });
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  try {
    await producer.send({ topic, compression: codecId as never, messages });
    return undefined;
  } catch (err) {
    return kafkaErrorType(err) ?? String(err);
  } finally {
    await producer.disconnect();
    if (saved) codecs[codecId] = saved;
    else delete codecs[codecId];
  }
}

test('bad compressed batches over the wire: Kafka errors, and the log stays as it was', async () => {
  const topic = 'bad-compressed';
  const good = rows(10, topic);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, compression: CompressionTypes.GZIP, messages: good });
  await producer.disconnect();
  const before = await storedBytes(topic);
  assert.ok(before.length > 0);

  const flip = (b: Buffer) => {
    const c = Buffer.from(b);
    for (let i = 10; i < c.length; i += 5) c[i] ^= 0x5a;
    return c;
  };
  assert.is(await sendWithCodec(topic, 1, (r) => flip(zlib.gzipSync(r)), good), 'CORRUPT_MESSAGE', 'gzip that does not inflate');
  assert.is(await sendWithCodec(topic, 4, (r) => zstdCompress(r).subarray(0, 20), good), 'CORRUPT_MESSAGE', 'zstd cut short');
  // A zip bomb: ~64 KiB on the wire inflating to 64 MiB, against max.message.bytes (1 MiB).
  assert.is(await sendWithCodec(topic, 1, () => zlib.gzipSync(Buffer.alloc(64 << 20)), good), 'MESSAGE_TOO_LARGE', 'gzip bomb');
  // The header announces 10 records; the compressed section holds 9 or 11.
  assert.is(await sendWithCodec(topic, 2, () => compress('snappy', recordsSection(good.slice(0, 9))), good), 'INVALID_RECORD', 'fewer inside');
  assert.is(await sendWithCodec(topic, 3, () => compress('lz4', recordsSection([...good, good[0]!])), good), 'INVALID_RECORD', 'more inside');
  assert.is(await sendWithCodec(topic, 5, (r) => r, good), 'UNSUPPORTED_COMPRESSION_TYPE', 'codec id 5');

  assert.equal(await storedBytes(topic), before, 'nothing was appended');
  assert.equal(await storedCodecs(topic), [1]);
  assert.equal(served.problems.filter((p) => p.level === 'error'), [], 'no server errors logged');
});

test.run();
