/**
 * Partition limits over the wire: a kafkajs CreateTopics or CreatePartitions above the
 * broker's limits gets Kafka's POLICY_VIOLATION and creates nothing; below them it works.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { Skein } from '../../../src/client/skein.js';
import { cleanupTempDirs, tempDir } from '../../helpers/temp-dir.js';
import { withTimeout } from '../../helpers/timeout.js';

const { Kafka, logLevel } = kafkajs;

test.after(cleanupTempDirs);

/** The Kafka error type names kafkajs reports for a rejected admin call. */
function errorTypes(err: unknown): string[] {
  const e = err as { type?: string; errors?: Array<{ type?: string }> };
  return [e.type, ...(e.errors ?? []).map((x) => x.type)].filter((t): t is string => typeof t === 'string');
}

test('CreateTopics and CreatePartitions above the limits get POLICY_VIOLATION and create nothing', withTimeout(30_000, async () => {
  const skein = await Skein.open({ dir: join(tempDir(), 'd'), maxPartitionsPerRequest: 8, maxBrokerPartitions: 10 });
  const listener = await skein.listen({ port: 0, log: () => {} });
  const admin = new Kafka({ clientId: 'limits', brokers: [listener.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  await admin.connect();
  let refused: unknown;
  await admin.createTopics({ topics: [{ topic: 'huge', numPartitions: 9 }] }).catch((err: unknown) => (refused = err));
  assert.ok(errorTypes(refused).includes('POLICY_VIOLATION'), `got ${String(refused)} ${JSON.stringify(errorTypes(refused))}`);
  assert.ok(await admin.createTopics({ topics: [{ topic: 'fits', numPartitions: 8 }] }));
  refused = undefined;
  await admin.createPartitions({ topicPartitions: [{ topic: 'fits', count: 11 }] }).catch((err: unknown) => (refused = err));
  assert.ok(errorTypes(refused).includes('POLICY_VIOLATION'), `got ${String(refused)} ${JSON.stringify(errorTypes(refused))}`);
  assert.equal((await admin.listTopics()).filter((t) => !t.startsWith('__')).sort(), ['fits']);
  assert.is((await admin.fetchTopicMetadata({ topics: ['fits'] })).topics[0]!.partitions.length, 8);
  await admin.disconnect();
  await skein.close();
}));

test.run();
