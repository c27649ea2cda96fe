/**
 * Kafka's consumer protocol: the bytes consumers put in JoinGroup (a Subscription, one per
 * assignor they offer) and the leader hands back through SyncGroup (an Assignment). The
 * coordinator never looks inside them (they are opaque member metadata); the embedded
 * consumer and the admin tools do, and so does every Kafka client, so the encoding must be
 * exactly Kafka's: classic (non-flexible) big-endian encodings, versions only ever append
 * fields (ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json, v0-3).
 *
 *   Subscription => version:int16 topics:[string] userData:nullable-bytes
 *                   ownedPartitions:[topic:string partitions:[int32]]   (v1+)
 *                   generationId:int32                                  (v2+, default -1)
 *                   rackId:nullable-string                              (v3+, default null)
 *   Assignment   => version:int16 assignedPartitions:[topic:string partitions:[int32]]
 *                   userData:nullable-bytes                             (same fields in v0-3)
 *
 * string = int16 length + UTF-8; nullable-bytes = int32 length (-1 = null) + bytes;
 * [T] = int32 count + items.
 *
 * Decoding is lenient where real clients differ from the spec, strict everywhere else:
 * - a version above 3 is read as v3 and the appended fields are skipped (Kafka's rule for
 *   newer peers);
 * - bytes that end right after a field group of an older version are accepted with the
 *   defaults for what is missing: kafkajs's MemberMetadata writes only the v0 fields whatever
 *   version its assigner declares;
 * - an empty Assignment is an empty v0 assignment: the coordinator hands empty bytes to a
 *   member the leader gave nothing (as Kafka does) and kafkajs decodes those as null;
 * - a null topic array (count -1) reads as empty, as kafkajs reads it.
 * Anything else that does not parse (a length past the end, a null topic name, a negative
 * version) is SKEIN_INVALID_ARGUMENT with the byte `position`.
 *
 * Decoded userData Buffers are views of the input (no copy), as Kafka's zeroCopy fields.
 * Pure functions, no state.
 */
import { SkeinError } from '../../errors.js';

export const LATEST_CONSUMER_PROTOCOL_VERSION = 3;

/** One topic's partitions, as the consumer protocol and the assignors group them. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface Subscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+: the partitions this member owns now (cooperative rebalancing). */
  ownedPartitions: TopicPartitions[];
  /** v2+: the generation in which the member got ownedPartitions; -1 = none. */
  generationId: number;
  /** v3+: the member's rack (client.rack). */
  rackId: string | null;
}

export interface Assignment {
  version: number;
  assignedPartitions: TopicPartitions[];
  userData: Buffer | null;
}

/** What encodeSubscription needs; everything but topics has Kafka's default. */
export interface SubscriptionInput {
  /** Default LATEST_CONSUMER_PROTOCOL_VERSION. Fields newer than the version are not written (they are "ignorable" in Kafka's spec). */
  version?: number;
  topics: string[];
  userData?: Buffer | null;
  ownedPartitions?: TopicPartitions[];
  generationId?: number;
  rackId?: string | null;
}

export interface AssignmentInput {
  /** Default 0; v1-3 have the same fields. */
  version?: number;
  assignedPartitions: TopicPartitions[];
  userData?: Buffer | null;
}

export function encodeSubscription(subscription: SubscriptionInput): Buffer {
  const version = checkedVersion(subscription.version ?? LATEST_CONSUMER_PROTOCOL_VERSION, 'subscription');
  const writer = new Writer();
  writer.int16(version);
  writer.array(subscription.topics, (topic) => writer.string(topic));
  writer.nullableBytes(subscription.userData ?? null);
  if (version >= 1) writeTopicPartitions(writer, subscription.ownedPartitions ?? []);
  if (version >= 2) writer.int32(subscription.generationId ?? -1);
  if (version >= 3) writer.nullableString(subscription.rackId ?? null);
  return writer.finish();
}

export function decodeSubscription(bytes: Buffer): Subscription {
  const reader = new Reader(bytes, 'subscription');
  const version = reader.version();
  const subscription: Subscription = {
    version,
    topics: reader.array(() => reader.string()),
    userData: reader.nullableBytes(),
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  };
  if (version >= 1 && !reader.atEnd()) subscription.ownedPartitions = readTopicPartitions(reader);
  if (version >= 2 && !reader.atEnd()) subscription.generationId = reader.int32();
  if (version >= 3 && !reader.atEnd()) subscription.rackId = reader.nullableString();
  return subscription;
}

export function encodeAssignment(assignment: AssignmentInput): Buffer {
  const version = checkedVersion(assignment.version ?? 0, 'assignment');
  const writer = new Writer();
  writer.int16(version);
  writeTopicPartitions(writer, assignment.assignedPartitions);
  writer.nullableBytes(assignment.userData ?? null);
  return writer.finish();
}

/**
 * What a group member was assigned, for display (admin console, `skein groups describe`):
 * partitions sorted per topic; [] when the group does not use the standard consumer protocol
 * or the bytes do not decode as it.
 */
export function readableAssignment(protocolType: string, bytes: Buffer): Array<{ topic: string; partitions: number[] }> {
  if (protocolType !== 'consumer' || bytes.length === 0) return [];
  try {
    return decodeAssignment(bytes).assignedPartitions.map((a) => ({ topic: a.topic, partitions: [...a.partitions].sort((x, y) => x - y) }));
  } catch {
    return [];
  }
}

export function decodeAssignment(bytes: Buffer): Assignment {
  if (bytes.length === 0) return { version: 0, assignedPartitions: [], userData: null };
  const reader = new Reader(bytes, 'assignment');
  const version = reader.version();
  return { version, assignedPartitions: readTopicPartitions(reader), userData: reader.nullableBytes() };
}

function checkedVersion(version: number, what: string): number {
  if (!Number.isInteger(version) || version < 0 || version > LATEST_CONSUMER_PROTOCOL_VERSION) {
    throw new SkeinError('SKEIN_INVALID_ARGUMENT', `cannot encode a consumer protocol ${what} of version ${version}`, { version });
  }
  return version;
}

function writeTopicPartitions(writer: Writer, list: TopicPartitions[]): void {
  writer.array(list, ({ topic, partitions }) => {
    writer.string(topic);
    writer.array(partitions, (partition) => writer.int32(partition));
  });
}

function readTopicPartitions(reader: Reader): TopicPartitions[] {
  return reader.array(() => ({ topic: reader.string(), partitions: reader.array(() => reader.int32()) }));
}

/** Collects big-endian fields in chunks; one concat at the end (these messages are small). */
class Writer {
  private readonly chunks: Buffer[] = [];

  int16(value: number): void {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(value);
    this.chunks.push(b);
  }

  int32(value: number): void {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new SkeinError('SKEIN_INVALID_ARGUMENT', `${value} is not an int32`, { value });
    }
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(value);
    this.chunks.push(b);
  }

  string(value: string): void {
    if (typeof value !== 'string') throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'a consumer protocol string must be a string', { value });
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length > 0x7fff) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a string of ${bytes.length} bytes does not fit an int16 length`);
    this.int16(bytes.length);
    this.chunks.push(bytes);
  }

  nullableString(value: string | null): void {
    if (value === null) this.int16(-1);
    else this.string(value);
  }

  nullableBytes(value: Buffer | null): void {
    if (value === null) {
      this.int32(-1);
      return;
    }
    if (!Buffer.isBuffer(value)) throw new SkeinError('SKEIN_INVALID_ARGUMENT', 'userData must be a Buffer or null');
    this.int32(value.length);
    this.chunks.push(value);
  }

  array<T>(items: readonly T[], writeItem: (item: T) => void): void {
    this.int32(items.length);
    for (const item of items) writeItem(item);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

class Reader {
  private position = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly what: string,
  ) {}

  atEnd(): boolean {
    return this.position >= this.bytes.length;
  }

  version(): number {
    const version = this.int16();
    if (version < 0) throw this.error(`negative version ${version}`);
    return version;
  }

  int16(): number {
    this.need(2);
    const value = this.bytes.readInt16BE(this.position);
    this.position += 2;
    return value;
  }

  int32(): number {
    this.need(4);
    const value = this.bytes.readInt32BE(this.position);
    this.position += 4;
    return value;
  }

  string(): string {
    const value = this.nullableString();
    if (value === null) throw this.error('a null string where a topic name is required');
    return value;
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    if (length < 0) throw this.error(`string length ${length}`);
    this.need(length);
    const value = this.bytes.toString('utf8', this.position, this.position + length);
    this.position += length;
    return value;
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    if (length < 0) throw this.error(`bytes length ${length}`);
    this.need(length);
    const value = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return value;
  }

  array<T>(readItem: () => T): T[] {
    const count = this.int32();
    if (count === -1) return [];
    if (count < 0) throw this.error(`array count ${count}`);
    // Every item here takes at least 2 bytes, so a larger count cannot be real: refuse it
    // before allocating for it.
    if (count * 2 > this.bytes.length - this.position) throw this.error(`array count ${count} past the end`);
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(readItem());
    return items;
  }

  private need(size: number): void {
    if (this.position + size > this.bytes.length) throw this.error(`${size} bytes needed, ${this.bytes.length - this.position} left`);
  }

  private error(problem: string): SkeinError {
    return new SkeinError('SKEIN_INVALID_ARGUMENT', `malformed consumer protocol ${this.what}: ${problem} at byte ${this.position}`, {
      position: this.position,
    });
  }
}
