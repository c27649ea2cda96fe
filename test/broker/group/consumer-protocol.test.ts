/**
 * Kafka's consumer protocol bytes (src/broker/group/consumer-protocol.ts): known bytes built by
 * hand from ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json, round trips at
 * every version, newer versions and short kafkajs encodings decoded, kafkajs (an independent
 * implementation) decoding ours and ours decoding its bytes, and malformed bytes refused.
 */
import { test } from '../../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  LATEST_CONSUMER_PROTOCOL_VERSION,
  type Subscription,
} from '../../../src/broker/group/consumer-protocol.js';
import { SkeinError } from '../../../src/errors.js';

const { MemberMetadata, MemberAssignment } = kafkajs.AssignerProtocol;

function bytes(...parts: Array<string | number[]>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p.replace(/\s+/g, ''), 'hex') : Buffer.from(p))));
}

function expectInvalid(fn: () => unknown, what: string): SkeinError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SkeinError, `${what}: a SkeinError, got ${String(error)}`);
    assert.is(error.code, 'SKEIN_INVALID_ARGUMENT', what);
    return error;
  }
  assert.unreachable(`${what}: should have thrown`);
  throw new Error('unreachable');
}

test('a v0 subscription is version, topics, userData, byte for byte', () => {
  const encoded = encodeSubscription({ version: 0, topics: ['ab', 'c'], userData: Buffer.from([7]) });
  assert.equal(encoded, bytes('0000', '00000002', '0002', Buffer.from('ab').toString('hex'), '0001 63', '00000001 07'));
  const nullUserData = encodeSubscription({ version: 0, topics: [] });
  assert.equal(nullUserData, bytes('0000', '00000000', 'ffffffff'));
});

test('a v3 subscription appends ownedPartitions, generationId and rackId, byte for byte', () => {
  const encoded = encodeSubscription({
    topics: ['t'],
    ownedPartitions: [{ topic: 't', partitions: [0, 2] }],
    generationId: 5,
    rackId: 'r1',
  });
  assert.equal(
    encoded,
    bytes(
      '0003',
      '00000001 0001 74',
      'ffffffff',
      '00000001 0001 74 00000002 00000000 00000002',
      '00000005',
      '0002',
      Buffer.from('r1').toString('hex'),
    ),
  );
  const decoded = decodeSubscription(encoded);
  assert.equal(decoded, { version: 3, topics: ['t'], userData: null, ownedPartitions: [{ topic: 't', partitions: [0, 2] }], generationId: 5, rackId: 'r1' });
});

test('each version round-trips the fields it has; the newer fields read back as defaults', () => {
  const full = {
    topics: ['orders', 'payments'],
    userData: Buffer.from('hello'),
    ownedPartitions: [{ topic: 'orders', partitions: [1, 3] }],
    generationId: 12,
    rackId: 'eu-1a',
  };
  const expected: Subscription[] = [
    { version: 0, topics: full.topics, userData: full.userData, ownedPartitions: [], generationId: -1, rackId: null },
    { version: 1, topics: full.topics, userData: full.userData, ownedPartitions: full.ownedPartitions, generationId: -1, rackId: null },
    { version: 2, topics: full.topics, userData: full.userData, ownedPartitions: full.ownedPartitions, generationId: 12, rackId: null },
    { version: 3, ...full },
  ];
  for (let version = 0; version <= LATEST_CONSUMER_PROTOCOL_VERSION; version++) {
    const decoded = decodeSubscription(encodeSubscription({ version, ...full }));
    assert.equal(decoded, expected[version], `v${version}`);
    assert.equal(encodeSubscription(decoded), encodeSubscription({ version, ...full }), `v${version} re-encodes to the same bytes`);
  }
});

test('random subscriptions and assignments round-trip at every version', () => {
  const topic = fc.string({ minLength: 1, maxLength: 12 });
  const topicPartitions = fc.array(
    fc.record({ topic, partitions: fc.array(fc.integer({ min: 0, max: 0x7fffffff }), { maxLength: 5 }) }, { noNullPrototype: true }),
    { maxLength: 4 },
  );
  const userData = fc.option(fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)), { nil: null });
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 3 }),
      fc.array(topic, { maxLength: 5 }),
      userData,
      topicPartitions,
      fc.integer({ min: -1, max: 1000 }),
      fc.option(fc.string({ maxLength: 8 }), { nil: null }),
      (version, topics, data, owned, generationId, rackId) => {
        const sub = decodeSubscription(encodeSubscription({ version, topics, userData: data, ownedPartitions: owned, generationId, rackId }));
        assert.equal(sub.topics, topics);
        assert.equal(sub.userData, data);
        assert.equal(sub.ownedPartitions, version >= 1 ? owned : []);
        assert.is(sub.generationId, version >= 2 ? generationId : -1);
        assert.is(sub.rackId, version >= 3 ? rackId : null);
        const assignment = decodeAssignment(encodeAssignment({ version, assignedPartitions: owned, userData: data }));
        assert.equal(assignment, { version, assignedPartitions: owned, userData: data });
      },
    ),
  );
});

test('a newer subscription version is read as v3 and its appended fields are skipped', () => {
  const v3 = encodeSubscription({ topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [4] }], generationId: 9, rackId: null });
  const v4 = Buffer.concat([v3, bytes('00000063 00')]);
  v4.writeInt16BE(4, 0);
  const decoded = decodeSubscription(v4);
  assert.is(decoded.version, 4);
  assert.equal(decoded.ownedPartitions, [{ topic: 't', partitions: [4] }]);
  assert.is(decoded.generationId, 9);
});

test('kafkajs MemberMetadata bytes decode, even when they claim a version whose fields they lack', () => {
  for (const version of [0, 1, 3]) {
    const theirs = MemberMetadata.encode({ version, topics: ['a', 'b'], userData: Buffer.from('x') });
    const decoded = decodeSubscription(theirs);
    assert.equal(decoded, { version, topics: ['a', 'b'], userData: Buffer.from('x'), ownedPartitions: [], generationId: -1, rackId: null });
  }
  const theirsV0 = MemberMetadata.encode({ version: 0, topics: ['a'], userData: Buffer.alloc(0) });
  assert.equal(encodeSubscription(decodeSubscription(theirsV0)), theirsV0, 'our v0 bytes are kafkajs\'s bytes');
});

test('kafkajs decodes our subscriptions of every version (it reads the v0 fields)', () => {
  for (let version = 0; version <= LATEST_CONSUMER_PROTOCOL_VERSION; version++) {
    const ours = encodeSubscription({ version, topics: ['a', 'b'], userData: Buffer.from('u'), ownedPartitions: [{ topic: 'a', partitions: [0] }], generationId: 3, rackId: 'r' });
    const theirs = MemberMetadata.decode(ours)!;
    assert.is(theirs.version, version);
    assert.equal(theirs.topics, ['a', 'b']);
    assert.equal(theirs.userData, Buffer.from('u'));
  }
});

test('an assignment is version, [topic, [partition]], userData, byte for byte and both ways with kafkajs', () => {
  const ours = encodeAssignment({ assignedPartitions: [{ topic: 't', partitions: [1, 2] }], userData: Buffer.alloc(0) });
  assert.equal(ours, bytes('0000', '00000001 0001 74 00000002 00000001 00000002', '00000000'));
  const theirs = MemberAssignment.encode({ version: 0, assignment: { t: [1, 2] }, userData: Buffer.alloc(0) });
  assert.equal(ours, theirs);
  assert.equal(MemberAssignment.decode(ours), { version: 0, assignment: { t: [1, 2] }, userData: Buffer.alloc(0) });
  for (let version = 0; version <= LATEST_CONSUMER_PROTOCOL_VERSION; version++) {
    const encoded = MemberAssignment.encode({ version, assignment: { x: [0], y: [3, 1] }, userData: Buffer.alloc(0) });
    assert.equal(decodeAssignment(encoded), { version, assignedPartitions: [{ topic: 'x', partitions: [0] }, { topic: 'y', partitions: [3, 1] }], userData: Buffer.alloc(0) });
  }
});

test('empty assignment bytes (a member the leader gave nothing) decode as an empty assignment', () => {
  assert.equal(decodeAssignment(Buffer.alloc(0)), { version: 0, assignedPartitions: [], userData: null });
});

test('a null topic array reads as empty, as kafkajs reads it', () => {
  assert.equal(decodeSubscription(bytes('0000 ffffffff ffffffff')).topics, []);
});

test('malformed bytes are SKEIN_INVALID_ARGUMENT with the byte position', () => {
  const good = encodeSubscription({ version: 0, topics: ['topic'], userData: Buffer.from('data') });
  for (let cut = 1; cut < good.length; cut++) {
    expectInvalid(() => decodeSubscription(good.subarray(0, cut)), `subscription cut at ${cut}`);
  }
  const v1 = encodeSubscription({ version: 1, topics: ['t'], ownedPartitions: [{ topic: 't', partitions: [1] }] });
  expectInvalid(() => decodeSubscription(v1.subarray(0, v1.length - 1)), 'v1 cut inside ownedPartitions');
  const negative = expectInvalid(() => decodeSubscription(bytes('ffff 00000000 ffffffff')), 'negative version');
  assert.is(negative.position, 2);
  expectInvalid(() => decodeSubscription(bytes('0000 7fffffff')), 'an array count past the end');
  expectInvalid(() => decodeSubscription(bytes('0000 00000001 ffff ffffffff')), 'a null topic name');
  expectInvalid(() => decodeSubscription(bytes('0000 00000000 fffffffe')), 'a negative bytes length');
  expectInvalid(() => decodeAssignment(bytes('00')), 'an assignment of one byte');
  expectInvalid(() => decodeAssignment(bytes('0000 00000001 0001 74 00000002 00000001')), 'an assignment cut inside partitions');
});

test('encoding refuses what the format cannot carry', () => {
  expectInvalid(() => encodeSubscription({ version: 4, topics: [] }), 'an unknown version');
  expectInvalid(() => encodeSubscription({ version: -1, topics: [] }), 'a negative version');
  expectInvalid(() => encodeAssignment({ assignedPartitions: [{ topic: 't', partitions: [2 ** 31] }] }), 'a partition past int32');
  expectInvalid(() => encodeSubscription({ topics: ['x'.repeat(40000)] }), 'a topic name longer than an int16 length');
});

test.run();
