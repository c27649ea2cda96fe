/**
 * The child of kill-during-delete.test.ts. `setup`: creates topic `big` with argv[4]
 * partitions, one record each ("old-<p>"), closes and exits. `delete`: opens, prints
 * "deleting", deletes `big`, prints "deleted" and waits to be killed.
 */
import { Broker } from '../../src/broker/broker.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';

const [dir, phase, partitionsText] = process.argv.slice(2);
const broker = await Broker.open({ dir: dir!, maxPartitionsPerRequest: 100_000, maxBrokerPartitions: 100_000 });
if (phase === 'setup') {
  const partitions = Number(partitionsText);
  await broker.createTopic({ topic: 'big', numPartitions: partitions, configEntries: [{ name: 'segment.bytes', value: '65536' }] });
  for (let p = 0; p < partitions; p++) await broker.produce('big', p, encodeRecordBatch([{ value: `old-${p}` }]), -1);
  await broker.close();
  process.exit(0);
}
process.stdout.write('deleting\n');
await broker.deleteTopic('big');
process.stdout.write('deleted\n');
setInterval(() => {}, 1000);
