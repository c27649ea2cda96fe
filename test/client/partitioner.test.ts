import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { murmur2, toPositive } from '../../src/client/murmur2.js';
import { createDefaultPartitioner, keyedPartition } from '../../src/client/partitioner.js';

test('murmur2 matches the Java client (Kafka UtilsTest vectors)', () => {
  assert.is(murmur2(Buffer.from('21')), -973932308);
  assert.is(murmur2(Buffer.from('foobar')), -790332482);
  assert.is(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
  assert.is(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
  assert.is(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')), -58897971);
  assert.is(murmur2(Buffer.from('abc')), 479470107);
});

test('keyed records go where the Java default partitioner puts them', () => {
  // toPositive(murmur2(key)) % n, worked out from the vectors above.
  assert.is(keyedPartition(Buffer.from('21'), 10), toPositive(-973932308) % 10);
  assert.is(keyedPartition(Buffer.from('foobar'), 7), toPositive(-790332482) % 7);
  assert.is(keyedPartition(Buffer.from('abc'), 3), 479470107 % 3);
  assert.is(toPositive(-1), 0x7fffffff);
});

test('null keys stick to one partition until batch.size, then move', () => {
  const partition = createDefaultPartitioner(1000);
  const first = partition({ topic: 't', numPartitions: 8, key: null, size: 100 });
  for (let i = 0; i < 9; i++) assert.is(partition({ topic: 't', numPartitions: 8, key: null, size: 100 }), first);
  const next = partition({ topic: 't', numPartitions: 8, key: null, size: 100 });
  assert.is.not(next, first);
  const keyed = partition({ topic: 't', numPartitions: 8, key: Buffer.from('abc'), size: 100 });
  assert.is(keyed, 479470107 % 8);
});

test.run();
