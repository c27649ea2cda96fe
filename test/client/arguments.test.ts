/**
 * Strict arguments on the public client API, table-driven: every public method of Skein,
 * Producer, Consumer and Admin, called with a wrong type or an out-of-range value, throws a
 * SkeinError with a stable code (SKEIN_INVALID_ARGUMENT, or a more specific one) and changes
 * nothing: no topic is created or deleted, no record written, no offset committed. The two
 * reported cases lead: `deleteTopics({ topics: 'orders' })` deleted topics `o` and `r`, and
 * `subscribe({ topics: 'xyz' })` created `x`, `y` and `z`.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Skein } from '../../src/client/skein.js';
import { SkeinError } from '../../src/errors.js';
import type { Consumer } from '../../src/client/consumer.js';
import type { Producer } from '../../src/client/producer.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';
import { withTimeout } from '../helpers/timeout.js';

test.after(cleanupTempDirs);

interface World {
  skein: Skein;
  producer: Producer;
  consumer: Consumer;
}

type Row = [what: string, call: (w: World) => unknown, code?: string];

/* eslint-disable @typescript-eslint/no-explicit-any */
const bad = (value: unknown) => value as any;

const ROWS: Row[] = [
  // The reported cases.
  ['admin.deleteTopics({ topics: "orders" })', (w) => w.skein.admin.deleteTopics({ topics: bad('orders') })],
  ['consumer.subscribe({ topics: "xyz" })', (w) => w.consumer.subscribe({ topics: bad('xyz') })],
  ['producer.sendBatch(null)', (w) => w.producer.sendBatch(bad(null))],
  ['consumer.run({ eachMessage: 123 })', (w) => w.consumer.run({ eachMessage: bad(123) })],
  ['consumer.seek to a partition that does not exist', (w) => w.consumer.seek({ topic: 'orders', partition: 7, offset: 0 }), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION'],
  ['consumer.seek on a topic that does not exist', (w) => w.consumer.seek({ topic: 'nope', partition: 0, offset: 0 }), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION'],
  ['producer.send with a negative timestamp', (w) => w.producer.send({ topic: 'orders', messages: [{ value: 'v', timestamp: -5 }] })],
  ['admin.fetchTopicOffsetsByTimestamp with a negative timestamp', (w) => w.skein.admin.fetchTopicOffsetsByTimestamp('orders', -10)],
  ['admin.createTopics with replicationFactor 3 on one broker', (w) => w.skein.admin.createTopics({ topics: [bad({ topic: 'rf', replicationFactor: 3 })] }), 'SKEIN_INVALID_REPLICATION_FACTOR'],
  ['producer.send with partition "0"', (w) => w.producer.send({ topic: 'orders', messages: [{ value: 'v', partition: bad('0') }] })],
  // Skein.
  ['skein.producer("x")', (w) => w.skein.producer(bad('x'))],
  ['skein.consumer(null)', (w) => w.skein.consumer(bad(null))],
  ['skein.listen("9092")', (w) => w.skein.listen(bad('9092'))],
  ['Skein.open({ dir: 5 })', () => Skein.open(bad({ dir: 5 }))],
  ['Skein.open("dir")', () => Skein.open(bad('dir'))],
  // Producer.
  ['producer.send(null)', (w) => w.producer.send(bad(null))],
  ['producer.send({ topic: 5 })', (w) => w.producer.send(bad({ topic: 5, messages: [] }))],
  ['producer.send({ messages: "abc" })', (w) => w.producer.send(bad({ topic: 'orders', messages: 'abc' }))],
  ['producer.send with a message that is a string', (w) => w.producer.send(bad({ topic: 'orders', messages: ['v'] }))],
  ['producer.send with partition -1', (w) => w.producer.send({ topic: 'orders', messages: [{ value: 'v', partition: -1 }] })],
  ['producer.send with partition 1.5', (w) => w.producer.send({ topic: 'orders', messages: [{ value: 'v', partition: 1.5 }] })],
  ['producer.send with a timestamp that is not a number', (w) => w.producer.send({ topic: 'orders', messages: [{ value: 'v', timestamp: 'yesterday' }] })],
  ['producer.send with acks 2', (w) => w.producer.send({ topic: 'orders', messages: [{ value: 'v' }], acks: bad(2) }), 'SKEIN_INVALID_REQUIRED_ACKS'],
  ['producer.sendBatch({ topicMessages: "orders" })', (w) => w.producer.sendBatch(bad({ topicMessages: 'orders' }))],
  ['producer.sendBatch with a null entry', (w) => w.producer.sendBatch(bad({ topicMessages: [null] }))],
  ['skein.producer({ idempotent: "yes" })', (w) => w.skein.producer(bad({ idempotent: 'yes' }))],
  ['skein.producer({ lingerMs: -1 })', (w) => w.skein.producer({ lingerMs: -1 })],
  ['skein.producer({ createPartitioner: 1 })', (w) => w.skein.producer(bad({ createPartitioner: 1 }))],
  // Consumer.
  ['skein.consumer({ groupId: "g", sessionTimeout: "30s" })', (w) => w.skein.consumer(bad({ groupId: 'g2', sessionTimeout: '30s' }))],
  ['skein.consumer({ groupId: "g", partitionAssigners: "range" })', (w) => w.skein.consumer(bad({ groupId: 'g2', partitionAssigners: 'range' }))],
  ['skein.consumer({ groupId: "g", autoOffsetReset: "first" })', (w) => w.skein.consumer(bad({ groupId: 'g2', autoOffsetReset: 'first' }))],
  ['consumer.subscribe(null)', (w) => w.consumer.subscribe(bad(null))],
  ['consumer.subscribe({ topic: 5 })', (w) => w.consumer.subscribe(bad({ topic: 5 }))],
  ['consumer.subscribe({ topics: [""] })', (w) => w.consumer.subscribe({ topics: [''] })],
  ['consumer.subscribe({ fromBeginning: "yes" })', (w) => w.consumer.subscribe(bad({ topics: ['orders'], fromBeginning: 'yes' }))],
  ['consumer.run({ eachBatch: "f" })', (w) => w.consumer.run(bad({ eachBatch: 'f' }))],
  ['consumer.run({ partitionsConsumedConcurrently: 0 })', (w) => w.consumer.run({ eachMessage: async () => {}, partitionsConsumedConcurrently: 0 })],
  ['consumer.run({ autoCommitInterval: -1 })', (w) => w.consumer.run({ eachMessage: async () => {}, autoCommitInterval: -1 })],
  ['consumer.commitOffsets("orders")', (w) => w.consumer.commitOffsets(bad('orders'))],
  ['consumer.commitOffsets with partition "0"', (w) => w.consumer.commitOffsets([{ topic: 'orders', partition: bad('0'), offset: 1 }])],
  ['consumer.commitOffsets with offset -3', (w) => w.consumer.commitOffsets([{ topic: 'orders', partition: 0, offset: -3 }])],
  ['consumer.seek(null)', (w) => w.consumer.seek(bad(null))],
  ['consumer.seek with partition "0"', (w) => w.consumer.seek({ topic: 'orders', partition: bad('0'), offset: 0 })],
  ['consumer.seek with offset "abc"', (w) => w.consumer.seek({ topic: 'orders', partition: 0, offset: 'abc' })],
  ['consumer.pause("orders")', (w) => w.consumer.pause(bad('orders'))],
  ['consumer.resume([{ topic: "orders", partitions: "0" }])', (w) => w.consumer.resume(bad([{ topic: 'orders', partitions: '0' }]))],
  // Admin.
  ['admin.createTopics({ topics: "orders" })', (w) => w.skein.admin.createTopics({ topics: bad('orders') })],
  ['admin.createTopics(null)', (w) => w.skein.admin.createTopics(bad(null))],
  ['admin.createTopics with numPartitions "3"', (w) => w.skein.admin.createTopics({ topics: [{ topic: 'n', numPartitions: bad('3') }] })],
  ['admin.createTopics with numPartitions 0', (w) => w.skein.admin.createTopics({ topics: [{ topic: 'n', numPartitions: 0 }] }), 'SKEIN_INVALID_PARTITIONS'],
  ['admin.createTopics with configEntries as an object', (w) => w.skein.admin.createTopics({ topics: [{ topic: 'n', configEntries: bad({ 'retention.ms': '1' }) }] })],
  ['admin.createTopics with a valid topic before a bad one', (w) => w.skein.admin.createTopics({ topics: [{ topic: 'fine' }, bad({ topic: 7 })] })],
  ['admin.deleteTopics(null)', (w) => w.skein.admin.deleteTopics(bad(null))],
  ['admin.deleteTopics({ topics: [5] })', (w) => w.skein.admin.deleteTopics({ topics: bad([5]) })],
  ['admin.createPartitions({ topicPartitions: { topic: "orders" } })', (w) => w.skein.admin.createPartitions({ topicPartitions: bad({ topic: 'orders', count: 4 }) })],
  ['admin.createPartitions with count "4"', (w) => w.skein.admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: bad('4') }] })],
  ['admin.fetchTopicMetadata({ topics: "orders" })', (w) => w.skein.admin.fetchTopicMetadata({ topics: bad('orders') })],
  ['admin.fetchTopicOffsets(5)', (w) => w.skein.admin.fetchTopicOffsets(bad(5))],
  ['admin.describeConfigs({ resources: "orders" })', (w) => w.skein.admin.describeConfigs({ resources: bad('orders') })],
  ['admin.alterConfigs with configEntries as an object', (w) => w.skein.admin.alterConfigs({ resources: [{ type: 2, name: 'orders', configEntries: bad({ 'retention.ms': '1' }) }] })],
  ['admin.alterConfigs with a numeric value', (w) => w.skein.admin.alterConfigs({ resources: [{ type: 2, name: 'orders', configEntries: [{ name: 'retention.ms', value: bad(1000) }] }] })],
  ['admin.describeGroups("g")', (w) => w.skein.admin.describeGroups(bad('g'))],
  ['admin.deleteGroups("g")', (w) => w.skein.admin.deleteGroups(bad('g'))],
  ['admin.fetchOffsets({ groupId: 5 })', (w) => w.skein.admin.fetchOffsets(bad({ groupId: 5 }))],
  ['admin.fetchOffsets({ topics: "orders" })', (w) => w.skein.admin.fetchOffsets({ groupId: 'g', topics: bad('orders') })],
  ['admin.resetOffsets({ earliest: "yes" })', (w) => w.skein.admin.resetOffsets(bad({ groupId: 'g', topic: 'orders', earliest: 'yes' }))],
  ['admin.setOffsets with partition "0"', (w) => w.skein.admin.setOffsets({ groupId: 'g', topic: 'orders', partitions: [{ partition: bad('0'), offset: '1' }] })],
  ['admin.setOffsets to a partition that does not exist', (w) => w.skein.admin.setOffsets({ groupId: 'g', topic: 'orders', partitions: [{ partition: 9, offset: '1' }] }), 'SKEIN_UNKNOWN_TOPIC_OR_PARTITION'],
  ['admin.setOffsets with offset "-1"', (w) => w.skein.admin.setOffsets({ groupId: 'g', topic: 'orders', partitions: [{ partition: 0, offset: '-1' }] })],
  ['admin.describeGroup(null)', (w) => w.skein.admin.describeGroup(bad(null))],
];

/** Everything a wrong call could change. */
async function state(w: World) {
  const topics = w.skein.admin.listTopics();
  const offsets = await w.skein.admin.fetchTopicOffsets('orders');
  const committed = await w.skein.admin.fetchOffsets({ groupId: 'g', topics: ['orders'] });
  return { topics: await topics, offsets, committed, groups: (await w.skein.admin.listGroups()).groups.length };
}

test('every public method refuses wrong arguments with a stable code and changes nothing', withTimeout(60_000, async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'd'), groupInitialRebalanceDelayMs: 0 });
  await skein.admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }, { topic: 'o' }, { topic: 'r' }] });
  const w: World = { skein, producer: skein.producer(), consumer: skein.consumer({ groupId: 'g' }) };
  await w.producer.send({ topic: 'orders', messages: [{ value: 'first', partition: 0 }] });
  const before = await state(w);
  const failures: string[] = [];
  for (const [what, call, code = 'SKEIN_INVALID_ARGUMENT'] of ROWS) {
    let error: unknown;
    try {
      await call(w);
    } catch (err) {
      error = err;
    }
    if (!(error instanceof SkeinError)) failures.push(`${what}: expected ${code}, got ${error === undefined ? 'no error' : String(error)}`);
    else if (error.code !== code) failures.push(`${what}: expected ${code}, got ${error.code} (${error.message})`);
  }
  assert.equal(failures, [], failures.join('\n'));
  assert.equal(await state(w), before, 'no wrong call changed anything');
  // And the right calls still work.
  await w.consumer.subscribe({ topics: ['orders'], fromBeginning: true });
  const seen: string[] = [];
  await w.consumer.run({ eachMessage: async ({ message }) => void seen.push(String(message.value)) });
  w.consumer.seek({ topic: 'orders', partition: 0, offset: '0' });
  while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
  assert.equal(seen, ['first']);
  await skein.close();
}));

test.run();
