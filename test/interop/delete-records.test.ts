/**
 * DeleteRecords, served over the protocol: kafkajs admin.deleteTopicRecords moves the low
 * watermark, consumers from the beginning start there, an offset past the high watermark is
 * OFFSET_OUT_OF_RANGE; `skein records delete` as a child process; whole segments below the new
 * start are deleted; the start offset survives a restart.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import kafkajs from 'kafkajs';
import { Skein } from '../../src/client/skein.js';
import { runSkein } from '../cli/helpers/cli-child.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const { Kafka, logLevel } = kafkajs;
test.after(cleanupTempDirs);

test('kafkajs deleteTopicRecords and skein records delete; segments go; the start survives a restart', async () => {
  const dir = tempDir();
  let skein = await Skein.open({ dir });
  try {
    const { bootstrap } = await skein.listen({ port: 0 });
    await skein.admin.createTopics({ topics: [{ topic: 'trimmed', numPartitions: 2, configEntries: [{ name: 'segment.bytes', value: '1024' }] }] });
    const kafka = new Kafka({ clientId: 'delete-records', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 40; i++) await producer.send({ topic: 'trimmed', messages: [{ partition: 0, value: `record-${i}-${'x'.repeat(60)}` }, { partition: 1, value: `p1-${i}` }] });
    await producer.disconnect();
    const segmentsBefore = readdirSync(join(dir, 'trimmed-0')).filter((f) => f.endsWith('.log')).length;
    assert.ok(segmentsBefore > 2, `small segments rolled (${segmentsBefore})`);

    const admin = kafka.admin();
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: ['trimmed'] }); // kafkajs needs the topic's metadata loaded first
    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '25' }] });
    const offsets = (await admin.fetchTopicOffsets('trimmed')).sort((a, b) => a.partition - b.partition);
    assert.equal(offsets.map((o) => [o.low, o.high]), [['25', '40'], ['0', '40']]);
    const segmentsAfter = readdirSync(join(dir, 'trimmed-0')).filter((f) => f.endsWith('.log')).length;
    assert.ok(segmentsAfter < segmentsBefore, 'whole segments below the new start are deleted');

    await admin.deleteTopicRecords({ topic: 'trimmed', partitions: [{ partition: 0, offset: '99' }] }).then(
      () => assert.unreachable('an offset past the high watermark is refused'),
      // kafkajs wraps the per-partition KafkaJSDeleteTopicRecordsError in its retrier's error.
      (err: unknown) => assert.match(inspect(err, { depth: 6 }), "type: 'OFFSET_OUT_OF_RANGE'"),
    );

    const consumer = kafka.consumer({ groupId: 'after-trim' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'trimmed', fromBeginning: true });
    const first = await new Promise<string>((resolve) => consumer.run({ eachMessage: async ({ partition, message }) => void (partition === 0 && resolve(message.offset)) }));
    assert.is(first, '25');
    await consumer.disconnect();
    await admin.disconnect();

    const cli = await runSkein(['records', 'delete', 'trimmed', '--partition', '1', '--before', 'end', '--bootstrap', bootstrap]);
    assert.is(cli.code, 0, cli.err);
    assert.is(cli.out, 'trimmed\t1\tlow watermark 40\n');
    const badOffset = await runSkein(['records', 'delete', 'trimmed', '--before', 'soon', '--bootstrap', bootstrap]);
    assert.is(badOffset.code, 2);
    const tooFar = await runSkein(['records', 'delete', 'trimmed', '--partition', '0', '--before', '1000', '--bootstrap', bootstrap]);
    assert.is(tooFar.code, 2);
    assert.match(tooFar.err, 'OFFSET_OUT_OF_RANGE');
  } finally {
    await skein.close();
  }
  skein = await Skein.open({ dir });
  try {
    const offsets = (await skein.admin.fetchTopicOffsets('trimmed')).sort((a, b) => a.partition - b.partition);
    assert.equal(offsets.map((o) => [Number(o.low), Number(o.high)]), [[25, 40], [40, 40]]);
  } finally {
    await skein.close();
  }
});

test.run();
