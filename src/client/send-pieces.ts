/**
 * How the messages of one send become records grouped by partition (the producer's per-record
 * hot path, kept apart from batching and acknowledgements in producer.ts).
 *
 * Owns: checking each message's fields, turning them into RecordInput for the encoder, the
 * approximate size of a record (batch.size, sticky partitioning), and the per-partition
 * pieces of a send. Knows nothing of batches, sequence numbers or the broker.
 *
 * Cost per record is the point of this file (measured, docs/performance.md): no clock reading,
 * string or object per record. A plain message (Buffer or null key, Buffer or string value,
 * no headers, no timestamp of its own) is used as its own record: the encoder reads key and
 * value from it, and its timestamp is the time of the send, carried once per piece. A string
 * key is plain too under the default partitioner: its murmur2 is taken over its UTF-8 bytes
 * written into a scratch buffer (a Buffer per key was most of keyed produce's garbage). Other
 * messages get a RecordInput of their own (string keys become Buffers for a custom
 * partitioner, headers are checked and converted, timestamps given as strings become numbers).
 * The messages array is read during send() (once the producer is connected and the topic
 * exists, before send() returns; else after those awaits); each message object is read again
 * when its batch is encoded: at the latest when the event loop turn of the send ends
 * (lingerMs 0) or lingerMs later. Change a message object only after its send resolved.
 *
 * Event-loop thread only; pure apart from the partitioner's own state.
 */
import { SkeinError } from '../errors.js';
import type { RecordInput } from '../records/encode-record-batch.js';
import { timestamp as checkTimestamp } from './arguments.js';
import type { Partitioner } from './partitioner.js';
import { murmur2, toPositive } from './murmur2.js';

/** One message as send() takes it (kafkajs's shape). */
export interface Message {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: Record<string, Buffer | string | undefined>;
  /** Milliseconds since the epoch, as a number or a decimal string (kafkajs accepts both). Default: now. */
  timestamp?: number | string;
}

/** The records of one send bound for one partition. */
export interface PartitionPiece {
  topic: string;
  partition: number;
  records: RecordInput[];
  /** The time of the send: the timestamp of its records that carry none. */
  sentAt: number;
  /** True while `records` is the caller's own messages array (never written to). */
  borrowed: boolean;
}

/**
 * Adds the messages of one topic to the send's pieces (`byPartition[p]`, new ones also pushed
 * on `order`). Checks every message first-to-last and throws on the first bad one; nothing is
 * queued yet, so a bad message fails the whole send alone. `partitioner` undefined: all go to
 * partition 0 (a one-partition topic with the default partitioner).
 */
export function addTopicMessages(
  topic: string,
  messages: readonly Message[],
  numPartitions: number,
  partitioner: Partitioner | undefined,
  sentAt: number,
  byPartition: PartitionPiece[],
  order: PartitionPiece[],
  defaultPartitioner = false,
): void {
  // While every message so far is plain and went to one partition, the piece can be the
  // caller's array itself (the common single-partition send): nothing is built per record.
  let single = -1;
  let direct = true;
  for (let m = 0; m < messages.length; m++) {
    const message = messages[m]!;
    const plain = isPlain(message, defaultPartitioner || partitioner === undefined);
    const record = plain ? (message as RecordInput) : toRecordInput(message, topic, sentAt);
    let partition = message.partition;
    if (partition === undefined) {
      const key = record.key;
      if (partitioner === undefined) partition = 0;
      else if (typeof key === 'string') partition = stringKeyPartition(key, numPartitions);
      else partition = partitioner({ topic, numPartitions, key: (key ?? null) as Buffer | null, size: recordSize(record) });
    }
    if (!Number.isInteger(partition) || partition < 0 || partition >= numPartitions) {
      throw new SkeinError('SKEIN_UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has no partition ${String(partition)}`, { topic, partition });
    }
    if (direct) {
      if (m === 0) single = partition;
      if (plain && partition === single) continue;
      // The first message that breaks the pattern: the ones before it go to `single`.
      direct = false;
      if (m > 0) pushAll(pieceOf(topic, single, sentAt, byPartition, order).records, messages as RecordInput[], m);
    }
    pieceOf(topic, partition, sentAt, byPartition, order).records.push(record);
  }
  if (direct && messages.length > 0) {
    const existing = byPartition[single];
    if (existing) pushAll(pieceOf(topic, single, sentAt, byPartition, order).records, messages as RecordInput[], messages.length);
    else order.push((byPartition[single] = { topic, partition: single, records: messages as RecordInput[], sentAt, borrowed: true }));
  }
}

/** records.push(...from.slice(0, count)) without the argument-count limit of a spread. */
function pushAll(records: RecordInput[], from: readonly RecordInput[], count: number): void {
  for (let i = 0; i < count; i++) records.push(from[i]!);
}

function pieceOf(topic: string, partition: number, sentAt: number, byPartition: PartitionPiece[], order: PartitionPiece[]): PartitionPiece {
  let piece = byPartition[partition];
  if (!piece) order.push((piece = byPartition[partition] = { topic, partition, records: [], sentAt, borrowed: false }));
  else if (piece.borrowed) {
    // A topic named twice in one sendBatch: copy before adding, the caller's array is theirs.
    piece.records = piece.records.slice();
    piece.borrowed = false;
  }
  return piece;
}

/** The scratch buffer string keys are hashed in (grown as needed, never shrunk). */
let keyScratch = Buffer.allocUnsafe(256);

/** The default partitioner's choice for a string key: murmur2 of its UTF-8 bytes, as Kafka's. */
function stringKeyPartition(key: string, numPartitions: number): number {
  if (key.length * 3 > keyScratch.length) keyScratch = Buffer.allocUnsafe(Math.max(key.length * 3, keyScratch.length * 2));
  const length = keyScratch.write(key, 0, 'utf8');
  return toPositive(murmur2(keyScratch, length)) % numPartitions;
}

/** A message the encoder can take as it is: see the header. `stringKeys`: a string key is fine (default partitioner). */
function isPlain(message: Message, stringKeys: boolean): boolean {
  if (typeof message !== 'object' || message === null || message.headers !== undefined || message.timestamp !== undefined) return false;
  const key = message.key;
  if (key !== undefined && key !== null && !(key instanceof Buffer) && !(stringKeys && typeof key === 'string')) return false;
  const value = message.value;
  return value instanceof Uint8Array || typeof value === 'string' || value === null;
}

function toBytes(value: unknown, field: string, topic: string): Buffer | null {
  if (value instanceof Uint8Array) return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return Buffer.from(value);
  throw new SkeinError('SKEIN_INVALID_ARGUMENT', `message ${field} must be a Buffer, a string or null, got ${typeof value}`, { topic, field });
}

/** `now`: the timestamp of a record that has none (the time of the send). */
export function toRecordInput(message: Message, topic: string, now: number): RecordInput {
  if (!message || typeof message !== 'object') {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'each message must be an object with a value', { topic });
  }
  if (!('value' in message)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'a message needs a value (null for a tombstone)', { topic });
  const value = toBytes(message.value, 'value', topic);
  const key = toBytes(message.key, 'key', topic);
  const given = message.headers;
  let headers: Record<string, Buffer | null> | undefined;
  if (given !== undefined) {
    if (typeof given !== 'object' || given === null) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'message headers must be an object', { topic });
    }
    headers = {};
    for (const [name, v] of Object.entries(given)) headers[name] = toBytes(v, `header ${name}`, topic);
  }
  const timestamp = message.timestamp === undefined ? now : checkTimestamp(message.timestamp, 'message timestamp');
  return { key, value, headers, timestamp };
}

/** Approximate bytes a record adds to a batch (for batch.size and the sticky partitioner). */
export function recordSize(record: RecordInput): number {
  const key = record.key;
  const value = record.value;
  let size = 16 + (key == null ? 0 : key.length) + (value == null ? 0 : value.length);
  const headers = record.headers;
  if (headers && !Array.isArray(headers)) {
    for (const name in headers) size += name.length + 4 + (headers[name]?.length ?? 0);
  }
  return size;
}
