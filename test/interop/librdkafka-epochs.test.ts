/**
 * librdkafka (Debian's python3-confluent-kafka over librdkafka 2.0.2, as a child process)
 * against a Skein whose partition leads in epoch 5 after epochs 0 and 3: librdkafka reads the
 * epoch from Metadata and sends it as currentLeaderEpoch in Fetch and ListOffsets (KIP-320), so
 * the broker's fencing must agree with what it advertises. An idempotent producer writes, a
 * consumer reads everything back from the beginning; the batches on disk carry the epoch they
 * were written in. librdkafka 2.0.2 does not send OffsetForLeaderEpoch itself (>= 2.1 does);
 * test/protocol/server/offset-for-leader-epoch sends it over a socket.
 *
 * Skipped, saying so, without /usr/bin/python3 and confluent_kafka (apt: python3-confluent-kafka).
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { cleanupTempDirs } from '../helpers/temp-dir.js';
import { serveSkein, type Served } from './helpers/skein-server.js';

const PYTHON = '/usr/bin/python3';
const HAVE = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { encoding: 'utf8' }).status === 0;
const check = HAVE ? test : test.skip;
if (!HAVE) console.log('/usr/bin/python3 with confluent_kafka is missing (apt-get install python3-confluent-kafka): skipping');

const SCRIPT = `
import sys, json
from confluent_kafka import Producer, Consumer, TopicPartition
bootstrap, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5})
errors = []
def report(err, msg):
    if err is not None: errors.append(str(err))
for i in range(count):
    p.produce(topic, value=('librdkafka-%d' % i).encode(), partition=0, on_delivery=report)
left = p.flush(30)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'epochs-check', 'enable.auto.commit': False, 'auto.offset.reset': 'earliest'})
c.assign([TopicPartition(topic, 0, 0)])
seen = []
while len(seen) < count + 3:
    m = c.poll(10)
    if m is None: break
    if m.error(): errors.append(str(m.error())); continue
    seen.append([m.offset(), m.value().decode()])
low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
c.close()
print(json.dumps({'left': left, 'errors': errors, 'seen': seen, 'high': high}))
`;

let served: Served;

test.before(async () => {
  if (HAVE) served = await serveSkein({ numPartitions: 1 });
});

test.after(async () => {
  if (served) await served.close();
  cleanupTempDirs();
});

function runPython(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ['-c', SCRIPT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const safety = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(safety);
      resolve({ code, stdout, stderr });
    });
  });
}

check('librdkafka produces (idempotent, acks=all) and consumes a partition in leader epoch 5', async () => {
  const broker = served.skein.broker;
  await broker.createTopic({ topic: 'epochs', numPartitions: 1 });
  await broker.produce('epochs', 0, encodeRecordBatch([{ value: 'e0-a' }, { value: 'e0-b' }]));
  broker.partitionFor('epochs', 0).becomeLeader(3);
  await broker.produce('epochs', 0, encodeRecordBatch([{ value: 'e3-c' }]));
  broker.partitionFor('epochs', 0).becomeLeader(5);
  const run = await runPython([served.bootstrap, 'epochs', '20']);
  assert.is(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { left: number; errors: string[]; seen: Array<[number, string]>; high: number };
  assert.equal(out.errors, []);
  assert.is(out.left, 0);
  assert.equal(
    out.seen,
    [
      [0, 'e0-a'],
      [1, 'e0-b'],
      [2, 'e3-c'],
      ...Array.from({ length: 20 }, (_, i): [number, string] => [3 + i, `librdkafka-${i}`]),
    ],
  );
  assert.is(out.high, 23);
  const stamps = new Set<number>();
  for (const b of broker.partitionFor('epochs', 0).log.batchesFrom(3)) stamps.add(b.readInt32BE(12));
  assert.equal([...stamps], [5], 'librdkafka\'s batches were stamped with epoch 5');
  const epochs = [...broker.partitionFor('epochs', 0).log.batchesFrom(0)].map((b) => b.readInt32BE(12)).slice(0, 2);
  assert.equal(epochs, [0, 3]);
  assert.equal(served.problems, []);
});

test.run();
