/**
 * The child of topic-churn.test.ts: a broker on argv[2] doing random topic work forever, one
 * operation at a time (create, delete, re-create, produce with acks=all, commit), until its
 * parent kills it with SIGKILL. Each operation is announced before it starts and reported
 * once acknowledged, one JSON line each on stdout, so the parent knows what was acknowledged
 * and what was in flight at the kill:
 *   {"start":"create","topic":"a"}  {"ack":"create","topic":"a","id":"…","partitions":3}
 *   {"start":"delete","topic":"a","id":"…"}  {"ack":"delete",…}
 *   {"start":"produce",…}  {"ack":"produce","topic":"a","id":"…","partition":0,"baseOffset":4,"values":[…]}
 *   {"start":"commit","topic":"a","id":"…","partition":0,"offset":7}  {"ack":"commit",…}
 * Record values are "<topic id>:<n>", so the parent can tell which incarnation wrote them.
 */
import { Broker } from '../../src/broker/broker.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { Random } from '../helpers/random.js';

const [dir, seedText] = process.argv.slice(2);
const rng = new Random(Number(seedText));
const NAMES = ['a', 'b', 'c'];
const say = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');

const broker = await Broker.open({ dir: dir!, groupInitialRebalanceDelayMs: 0 });
say({ ready: true });
let n = 0;
for (;;) {
  const topic = NAMES[rng.int(0, NAMES.length - 1)]!;
  const id = broker.topicId(topic);
  if (id === undefined) {
    const partitions = rng.int(1, 6);
    say({ start: 'create', topic });
    await broker.createTopic({ topic, numPartitions: partitions, configEntries: [{ name: 'segment.bytes', value: '65536' }] });
    say({ ack: 'create', topic, id: broker.topicId(topic), partitions });
    continue;
  }
  const roll = rng.int(0, 99);
  const partition = rng.int(0, broker.partitionCount(topic) - 1);
  if (roll < 10) {
    say({ start: 'delete', topic, id });
    await broker.deleteTopic(topic);
    say({ ack: 'delete', topic, id });
  } else if (roll < 75) {
    const values = Array.from({ length: rng.int(1, 5) }, () => `${id}:${n++}`);
    say({ start: 'produce', topic, id, partition });
    const result = await broker.produce(topic, partition, encodeRecordBatch(values.map((value) => ({ value }))), -1);
    say({ ack: 'produce', topic, id, partition, baseOffset: result.baseOffset, values });
  } else {
    const offset = broker.offsets(topic, partition).highWatermark;
    say({ start: 'commit', topic, id, partition, offset });
    await broker.groups.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', offsets: [{ topic, partition, offset }] });
    say({ ack: 'commit', topic, id, partition, offset });
  }
}
