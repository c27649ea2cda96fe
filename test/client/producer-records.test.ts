/**
 * What the producer stores for each message, read back from the log: the records of a plain
 * message (used as its own record, send-pieces.ts) and of converted ones, in send order;
 * timestamps are the time of each send even when sends made at different times share a batch;
 * a topic named twice in one sendBatch; the caller's arrays and messages are left as they were;
 * sends far larger than a spread's argument limit; the reused encode buffer never leaks one
 * batch's bytes into another; string keys are hashed to the partitions their bytes give.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import { iterateBatches } from '../../src/records/record-iterator.js';
import { decodeRecordBatch, type DecodedRecord } from '../../src/records/decode-record-batch.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { keyedPartition } from '../../src/client/partitioner.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

test.after(cleanupTempDirs);

/** Every record of a partition, decoded from the log with CRC checks. */
function stored(skein: Skein, topic: string, partition = 0): DecodedRecord[] {
  const p = skein.broker.partitionFor(topic, partition);
  const out: DecodedRecord[] = [];
  let offset = p.logStartOffset;
  while (offset < p.highWatermark) {
    const read = p.read(offset, 1024 * 1024, true);
    for (const view of read.records) {
      for (const batch of iterateBatches(view)) {
        for (const record of decodeRecordBatch(batch).records) if (record.offset >= offset) out.push(record);
      }
    }
    offset = out.length > 0 ? out[out.length - 1]!.offset + 1 : offset;
    if (read.bytes === 0) break;
  }
  return out;
}

test('plain and converted messages keep send order, fields and the time of the send', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 't', numPartitions: 1 }] });
  const producer = skein.producer();
  const messages = [
    { value: Buffer.from('plain buffer') },
    { key: Buffer.from('k1'), value: 'plain string value' },
    { key: 'string key', value: Buffer.from('converted: string key') },
    { value: Buffer.from('with headers'), headers: { h: 'x' } },
    { value: new Uint8Array([1, 2, 3]) as unknown as Buffer },
    { value: null },
    { value: Buffer.from('own timestamp'), timestamp: '1700000000000' },
    { key: null, value: Buffer.from('last') },
  ];
  const before = Date.now();
  await producer.send({ topic: 't', messages });
  const after = Date.now();
  const records = stored(skein, 't');
  assert.is(records.length, messages.length);
  assert.equal(
    records.map((r) => r.value?.toString('latin1') ?? null),
    ['plain buffer', 'plain string value', 'converted: string key', 'with headers', '\u0001\u0002\u0003', null, 'own timestamp', 'last'],
  );
  assert.equal(
    records.map((r) => r.key?.toString() ?? null),
    [null, 'k1', 'string key', null, null, null, null, null],
  );
  assert.is(records[3]!.headers.length, 1);
  assert.is(records[3]!.headers[0]!.key, 'h');
  assert.is(records[6]!.timestamp, 1_700_000_000_000);
  for (const [i, r] of records.entries()) {
    if (i === 6) continue;
    assert.ok(r.timestamp >= before && r.timestamp <= after, `record ${i} stamped at the send (${before} <= ${r.timestamp} <= ${after})`);
  }
  // The caller's objects are read, never written.
  assert.equal(Object.keys(messages[0]!), ['value']);
  assert.is(messages.length, 8);
  await skein.close();
});

test('sends made at different times that share one batch keep their own timestamps', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 'linger', numPartitions: 1 }] });
  // A long linger: all three sends wait in one open batch.
  const producer = skein.producer({ lingerMs: 200 });
  const sends: Promise<unknown>[] = [];
  const times: Array<[number, number]> = [];
  for (let i = 0; i < 3; i++) {
    const before = Date.now();
    sends.push(producer.send({ topic: 'linger', messages: [{ value: Buffer.from(`a${i}`) }, { value: Buffer.from(`b${i}`) }] }));
    times.push([before, Date.now()]);
    await new Promise((r) => setTimeout(r, 25));
  }
  await Promise.all(sends);
  const records = stored(skein, 'linger');
  assert.is(records.length, 6);
  const p = skein.broker.partitionFor('linger', 0);
  const read = p.read(0, 1024 * 1024, true);
  let batches = 0;
  for (const view of read.records) for (const _ of iterateBatches(view)) batches += 1;
  assert.is(batches, 1, 'the three sends shared one batch');
  for (let i = 0; i < 3; i++) {
    const [from, to] = times[i]!;
    for (const r of records.slice(2 * i, 2 * i + 2)) {
      assert.ok(r.timestamp >= from && r.timestamp <= to, `send ${i}: ${r.timestamp} within [${from}, ${to}]`);
    }
  }
  assert.ok(records[4]!.timestamp - records[0]!.timestamp >= 40, 'the third send is stamped later than the first');
  await skein.close();
});

test('a topic named twice in one sendBatch: both lists stored in order, the caller arrays untouched', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 'twice', numPartitions: 1 }] });
  const producer = skein.producer();
  const first = [{ value: Buffer.from('1') }, { value: Buffer.from('2') }];
  const second = [{ value: Buffer.from('3') }, { key: 'k', value: Buffer.from('4') }];
  const result = await producer.sendBatch({
    topicMessages: [
      { topic: 'twice', messages: first },
      { topic: 'twice', messages: second },
    ],
  });
  assert.is(result.length, 1, 'one entry per topic-partition');
  assert.equal(
    stored(skein, 'twice').map((r) => r.value!.toString()),
    ['1', '2', '3', '4'],
  );
  assert.is(first.length, 2);
  assert.is(second.length, 2);
  await skein.close();
});

test('a send of 300,000 messages and keyed sends over 8 partitions store every record once', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 'big', numPartitions: 1 }, { topic: 'spread', numPartitions: 8 }] });
  const producer = skein.producer();
  const value = Buffer.alloc(20, 0x62);
  const messages = Array.from({ length: 300_000 }, () => ({ value }));
  const [meta] = await producer.send({ topic: 'big', messages, acks: 1 });
  assert.is(meta!.baseOffset, '0');
  assert.is(skein.broker.partitionFor('big', 0).highWatermark, 300_000);
  // Null keys: sticky partitions switch inside the send; Buffer keys: murmur2.
  const mixed = Array.from({ length: 5000 }, (_, i) => ({ key: i % 2 === 0 ? null : Buffer.from(`k${i}`), value: Buffer.from(String(i)) }));
  await producer.send({ topic: 'spread', messages: mixed });
  const seen: string[] = [];
  for (let p = 0; p < 8; p++) for (const r of stored(skein, 'spread', p)) seen.push(r.value!.toString());
  assert.is(seen.length, 5000);
  assert.is(new Set(seen).size, 5000);
  await skein.close();
});

test('string keys (multi-byte UTF-8, long, empty) land where murmur2 of their bytes puts them, as Buffer keys do', async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'data'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 'keys', numPartitions: 7 }] });
  const producer = skein.producer();
  const keys = ['', 'a', 'ключ-1', '鍵🔑', 'x'.repeat(5000), 'é'.repeat(300), ...Array.from({ length: 50 }, (_, i) => `customer-${i}`)];
  await producer.send({ topic: 'keys', messages: keys.map((key, i) => ({ key: i % 2 === 0 ? key : Buffer.from(key), value: String(i) })) });
  for (let p = 0; p < 7; p++) {
    for (const r of stored(skein, 'keys', p)) {
      const key = r.key!;
      assert.is(p, keyedPartition(key, 7), `key ${key.toString().slice(0, 20)} on partition ${p}`);
      assert.is(key.toString(), keys[Number(r.value!.toString())]);
    }
  }
  await skein.close();
});

test('encodeRecordBatch with reuseOutput: each result equals a fresh encode until the next call', () => {
  const a = encodeRecordBatch([{ value: 'first batch', timestamp: 5 }], { reuseOutput: true });
  const aFresh = encodeRecordBatch([{ value: 'first batch', timestamp: 5 }]);
  assert.ok(a.equals(aFresh));
  const kept = Buffer.from(a);
  const b = encodeRecordBatch([{ value: 'second, longer batch', timestamp: 6 }, { value: null, timestamp: 7 }], { reuseOutput: true });
  assert.ok(b.equals(encodeRecordBatch([{ value: 'second, longer batch', timestamp: 6 }, { value: null, timestamp: 7 }])));
  assert.equal(decodeRecordBatch(kept).records[0]!.value!.toString(), 'first batch');
  // A compressed batch never lands in the reused buffer (its bytes are new anyway).
  const c = encodeRecordBatch([{ value: 'x'.repeat(500), timestamp: 1 }], { reuseOutput: true, compression: 'gzip' });
  assert.ok(c.buffer !== b.buffer);
  assert.ok(b.equals(encodeRecordBatch([{ value: 'second, longer batch', timestamp: 6 }, { value: null, timestamp: 7 }])));
});

test('encodeRecordBatch defaultTimestamp(s): records without a timestamp take them; bad ones are refused', () => {
  const batch = decodeRecordBatch(
    encodeRecordBatch([{ value: 'a' }, { value: 'b', timestamp: 50 }, { value: 'c' }], { defaultTimestamps: [10, 20, 30] }),
  );
  assert.equal(
    batch.records.map((r) => r.timestamp),
    [10, 50, 30],
  );
  const single = decodeRecordBatch(encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { defaultTimestamp: 1234 }));
  assert.equal(
    single.records.map((r) => r.timestamp),
    [1234, 1234],
  );
  assert.throws(() => encodeRecordBatch([{ value: 'a' }], { defaultTimestamps: [1, 2] }), /one timestamp per record/);
  assert.throws(() => encodeRecordBatch([{ value: 'a' }], { defaultTimestamps: [1.5] }), /defaultTimestamps\[0\]/);
  assert.throws(() => encodeRecordBatch([{ value: 'a' }], { defaultTimestamp: -0.5 }), /defaultTimestamp/);
});

test.run();
