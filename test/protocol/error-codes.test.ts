/**
 * src/protocol/error-codes.ts: every code of src/errors.ts has an explicit Kafka mapping
 * (so a new code cannot silently become UNKNOWN_SERVER_ERROR), the numbers are Kafka's
 * (KAFKA-PROTOCOL.md §7; spot-checked against kafkajs's error table, an independent copy),
 * and anything unmapped becomes -1.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { ERROR_CODES, SkeinError, type ErrorCode } from '../../src/errors.js';
import { KAFKA_ERRORS, SKEIN_TO_KAFKA, kafkaErrorName, toKafkaErrorCode } from '../../src/protocol/error-codes.js';

const require = createRequire(import.meta.url);

test('every SkeinError code has an explicit Kafka error, and nothing else is mapped', () => {
  const missing = ERROR_CODES.filter((code) => SKEIN_TO_KAFKA[code] === undefined);
  assert.equal(missing, [], `add these to SKEIN_TO_KAFKA in src/protocol/error-codes.ts: ${missing.join(', ')}`);
  const extra = Object.keys(SKEIN_TO_KAFKA).filter((code) => !(ERROR_CODES as readonly string[]).includes(code));
  assert.equal(extra, []);
});

test('Kafka numbers agree with kafkajs\'s table of broker errors', () => {
  const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: Array<{ type: string; code: number }> };
  const byType = new Map(errorCodes.map((e) => [e.type, e.code]));
  // kafkajs predates the rename of NOT_LEADER_FOR_PARTITION (KIP-497).
  const renamed: Record<string, string> = { NOT_LEADER_OR_FOLLOWER: 'NOT_LEADER_FOR_PARTITION' };
  let checked = 0;
  for (const [name, code] of Object.entries(KAFKA_ERRORS)) {
    const theirs = byType.get(renamed[name] ?? name);
    if (theirs === undefined) continue;
    assert.is(code, theirs, name);
    checked += 1;
  }
  assert.ok(checked >= 60, `only ${checked} names checked`);
});

test('toKafkaErrorCode maps SkeinErrors through the table and anything else to -1', () => {
  assert.is(toKafkaErrorCode(new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', 'x')), 3);
  assert.is(toKafkaErrorCode(new SkeinError('SKEIN_OFFSET_OUT_OF_RANGE', 'x')), 1);
  assert.is(toKafkaErrorCode(new SkeinError('SKEIN_CORRUPT_MESSAGE', 'x')), 2);
  assert.is(toKafkaErrorCode(new SkeinError('SKEIN_DISK_FULL', 'x')), 56);
  assert.is(toKafkaErrorCode(new SkeinError('SKEIN_MEMBER_ID_REQUIRED', 'x')), 79);
  assert.is(toKafkaErrorCode(new SkeinError('SKEIN_UNSUPPORTED_VERSION', 'x')), 35);
  assert.is(toKafkaErrorCode(new SkeinError('SKEIN_INVALID_REQUEST', 'x')), 42);
  assert.is(toKafkaErrorCode(new Error('plain')), -1);
  assert.is(toKafkaErrorCode(undefined), -1);
  const future = new SkeinError('SKEIN_CLOSED', 'x');
  Object.defineProperty(future, 'code', { value: 'SKEIN_NOT_YET_INVENTED' as ErrorCode });
  assert.is(toKafkaErrorCode(future), -1, 'a code with no row (a newer copy of Skein) is UNKNOWN_SERVER_ERROR');
  for (const code of ERROR_CODES) assert.type(toKafkaErrorCode(new SkeinError(code, 'x')), 'number');
});

test('names and numbers are one-to-one', () => {
  const numbers = Object.values(KAFKA_ERRORS);
  assert.is(new Set(numbers).size, numbers.length);
  assert.is(kafkaErrorName(27), 'REBALANCE_IN_PROGRESS');
  assert.is(kafkaErrorName(12345), undefined);
});

test.run();
