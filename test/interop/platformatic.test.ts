/**
 * @platformatic/kafka 1.x against `skein.listen()`: a client that speaks only flexible
 * versions (ApiVersions v3, Metadata v9, Produce v9, Fetch v12, the group APIs at their
 * flexible versions) and asks for fetch sessions. A sniffing proxy in front of the server
 * records what it sent, so the test shows those code paths were the ones exercised. A second
 * member of the group resumes from the committed offsets.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { cleanupTempDirs } from '../helpers/temp-dir.js';
import { serveSkein, until, type Served } from './helpers/skein-server.js';
import { sniffingProxy, type SniffingProxy } from './helpers/sniffing-proxy.js';

let served: Served;
let proxy: SniffingProxy;

test.before(async () => {
  proxy = await sniffingProxy();
  served = await serveSkein({ advertisedPort: proxy.port });
  proxy.target(served.listener.port);
});

test.after(async () => {
  await served.close();
  await proxy.close();
  cleanupTempDirs();
});

test('platformatic creates a topic, produces with keys and headers, and consumes them in a group', async () => {
  const bootstrapBrokers = [served.bootstrap];
  const admin = new Admin({ clientId: 'plt-admin', bootstrapBrokers });
  await admin.createTopics({ topics: ['plt'], partitions: 3, replicas: 1 });
  await admin.close();

  const producer = new Producer({ clientId: 'plt-producer', bootstrapBrokers, serializers: stringSerializers });
  const sent = Array.from({ length: 300 }, (_, i) => ({ topic: 'plt', key: `k${i % 37}`, value: `value-${i}-é`, headers: { n: String(i) } }));
  for (let i = 0; i < sent.length; i += 50) await producer.send({ messages: sent.slice(i, i + 50) });
  await producer.close();

  const consumer = new Consumer({ groupId: 'plt-group', clientId: 'plt-consumer', bootstrapBrokers, deserializers: stringDeserializers });
  const stream = await consumer.consume({ autocommit: true, topics: ['plt'], mode: 'earliest', sessionTimeout: 10_000, heartbeatInterval: 500 });
  const got = new Map<string, { key: string; n: string | undefined; partition: number }>();
  stream.on('data', (m) => got.set(m.value, { key: m.key, n: m.headers.get('n'), partition: m.partition }));
  await until(() => got.size === sent.length, 'every record');
  await stream.close();
  await consumer.close();

  for (const [i, s] of sent.entries()) {
    const g = got.get(s.value);
    assert.ok(g, `record ${i} consumed`);
    assert.is(g!.key, s.key);
    assert.is(g!.n, String(i));
  }
  const partitionsOfKey = new Map<string, Set<number>>();
  for (const g of got.values()) partitionsOfKey.set(g.key, (partitionsOfKey.get(g.key) ?? new Set()).add(g.partition));
  for (const [key, parts] of partitionsOfKey) assert.is(parts.size, 1, `key ${key} stays on one partition`);

  // A new member of the group resumes from what the first one committed (OffsetFetch v8).
  const late = Array.from({ length: 20 }, (_, i) => ({ topic: 'plt', key: `late${i}`, value: `late-${i}` }));
  const producer2 = new Producer({ clientId: 'plt-producer-2', bootstrapBrokers, serializers: stringSerializers });
  await producer2.send({ messages: late });
  await producer2.close();
  const consumer2 = new Consumer({ groupId: 'plt-group', clientId: 'plt-consumer-2', bootstrapBrokers, deserializers: stringDeserializers });
  const stream2 = await consumer2.consume({ autocommit: true, topics: ['plt'], mode: 'committed', fallbackMode: 'earliest', sessionTimeout: 10_000, heartbeatInterval: 500 });
  const resumed: string[] = [];
  stream2.on('data', (m) => resumed.push(m.value));
  await until(() => resumed.length >= late.length, 'the late records');
  await stream2.close();
  await consumer2.close();
  assert.equal(resumed.sort(), late.map((m) => m.value).sort(), 'only what came after the commit');

  const used = new Map<number, Set<number>>();
  for (const r of proxy.requests) used.set(r.apiKey, (used.get(r.apiKey) ?? new Set()).add(r.apiVersion));
  const versions = (key: number) => [...(used.get(key) ?? [])].sort((a, b) => a - b);
  assert.equal(versions(18), [3], 'ApiVersions v3 only');
  assert.equal(versions(0), [9], 'Produce v9 (flexible)');
  assert.equal(versions(1), [12], 'Fetch v12 (flexible)');
  assert.equal(versions(3), [9], 'Metadata v9 (flexible)');
  assert.equal(versions(10), [4], 'FindCoordinator v4 (batched keys)');
  assert.equal(versions(11), [6], 'JoinGroup v6 (flexible)');
  assert.equal(versions(14), [4], 'SyncGroup v4 (flexible)');
  assert.equal(versions(8), [8], 'OffsetCommit v8 (flexible)');
  assert.equal(versions(9), [8], 'OffsetFetch v8 (groups[])');
  assert.equal(versions(19), [7], 'CreateTopics v7 (flexible)');
  assert.equal(served.problems, []);
});

test.run();
