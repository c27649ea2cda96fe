/**
 * Configs as Kafka presents them, through kafkajs: DescribeConfigs lists every Kafka 3.x topic
 * config with Kafka's defaults, sources and (when asked) synonyms; CreateTopics and
 * AlterConfigs accept the ones Skein stores without acting on yet; a BROKER resource lists the
 * broker's configs; a replica assignment naming an unknown broker is INVALID_REPLICA_ASSIGNMENT.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import kafkajs from 'kafkajs';
import { Skein } from '../../src/client/skein.js';
import { cleanupTempDirs, tempDir } from '../helpers/temp-dir.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
test.after(cleanupTempDirs);

const KAFKA_3_TOPIC_CONFIGS = {
  'cleanup.policy': 'delete',
  'compression.type': 'producer',
  'delete.retention.ms': '86400000',
  'file.delete.delay.ms': '60000',
  'flush.messages': '9223372036854775807',
  'flush.ms': '9223372036854775807',
  'follower.replication.throttled.replicas': '',
  'index.interval.bytes': '4096',
  'leader.replication.throttled.replicas': '',
  'max.compaction.lag.ms': '9223372036854775807',
  'message.downconversion.enable': 'true',
  'message.timestamp.difference.max.ms': '9223372036854775807',
  'message.timestamp.type': 'CreateTime',
  'min.cleanable.dirty.ratio': '0.5',
  'min.compaction.lag.ms': '0',
  'min.insync.replicas': '1',
  preallocate: 'false',
  'retention.bytes': '-1',
  'retention.ms': '604800000',
  'segment.index.bytes': '10485760',
  'segment.jitter.ms': '0',
  'unclean.leader.election.enable': 'false',
};

test('every Kafka 3.x topic config with its default, source and synonyms; broker configs; INVALID_REPLICA_ASSIGNMENT', async () => {
  const skein = await Skein.open({ dir: tempDir(), numPartitions: 2 });
  try {
    const { bootstrap } = await skein.listen({ port: 0 });
    const kafka = new Kafka({ clientId: 'configs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'shaped', numPartitions: 1, configEntries: [{ name: 'preallocate', value: 'true' }, { name: 'retention.ms', value: '3600000' }] }] });
    const described = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'shaped' }] });
    const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
    for (const [name, value] of Object.entries(KAFKA_3_TOPIC_CONFIGS)) {
      assert.ok(entries.has(name), `${name} is described`);
      if (name !== 'preallocate' && name !== 'retention.ms' && name !== 'index.interval.bytes') assert.is(entries.get(name)!.configValue, value, name);
    }
    const retention = entries.get('retention.ms')!;
    assert.is(retention.configValue, '3600000');
    assert.is(retention.configSource, 1); // DYNAMIC_TOPIC_CONFIG
    assert.equal(retention.configSynonyms.map((s) => [s.configName, s.configValue, s.configSource]), [
      ['retention.ms', '3600000', 1],
      ['log.retention.ms', '604800000', 5],
    ]);
    assert.is(entries.get('preallocate')!.configValue, 'true');
    assert.is(entries.get('compression.type')!.configSource, 5); // DEFAULT_CONFIG

    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'shaped', configEntries: [{ name: 'min.cleanable.dirty.ratio', value: '0.25' }, { name: 'segment.jitter.ms', value: '1000' }] }] });
    const after = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'shaped', configNames: ['min.cleanable.dirty.ratio', 'segment.jitter.ms'] }] });
    assert.equal(after.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]).sort(), [['min.cleanable.dirty.ratio', '0.25'], ['segment.jitter.ms', '1000']]);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'shaped', configEntries: [{ name: 'min.cleanable.dirty.ratio', value: '2' }] }] }).then(
      () => assert.unreachable('a ratio above 1 is refused'),
      (err: { type?: string }) => assert.is(err.type, 'INVALID_CONFIG'),
    );

    const broker = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '0' }] });
    const brokerConfigs = new Map(broker.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    assert.is(brokerConfigs.get('num.partitions'), '2');
    assert.is(brokerConfigs.get('default.replication.factor'), '1');
    assert.is(brokerConfigs.get('log.retention.ms'), '604800000');
    assert.is(brokerConfigs.get('log.segment.bytes'), '1073741824');
    assert.is(brokerConfigs.get('auto.create.topics.enable'), 'true');

    await admin.createTopics({ topics: [{ topic: 'elsewhere', replicaAssignment: [{ partition: 0, replicas: [7] }] }] }).then(
      () => assert.unreachable('broker 7 does not exist'),
      (err: { errors?: Array<{ type?: string }>; type?: string }) => assert.is(err.errors?.[0]?.type ?? err.type, 'INVALID_REPLICA_ASSIGNMENT'),
    );
    await admin.disconnect();
  } finally {
    await skein.close();
  }
});

test.run();
