/**
 * The records of `__consumer_offsets` in Kafka's own binary layout, so that tools reading the
 * topic directly (Burrow, `kafka-console-consumer --formatter OffsetsMessageFormatter`) decode
 * them. Written from the published schemas in apache/kafka
 * (group-coordinator/src/main/resources/common/message/): every key and value starts with an
 * int16 version, then the fields in order, big-endian; strings are int16 length + UTF-8 (-1 =
 * null), bytes int32 length + bytes, arrays int32 count + elements (the versions written here
 * are all non-flexible, so no varints and no tagged fields).
 *
 *   key, version 1 (OffsetCommitKey):   group string, topic string, partition int32
 *   key, version 2 (GroupMetadataKey):  group string
 *   OffsetCommitValue v3 (what Kafka writes unless an expire time is set):
 *     offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
 *   GroupMetadataValue v3 (what Kafka writes since 2.3):
 *     protocolType string, generation int32, protocol string?, leader string?,
 *     currentStateTimestamp int64, members [memberId string, groupInstanceId string?,
 *     clientId string, clientHost string, rebalanceTimeout int32, sessionTimeout int32,
 *     subscription bytes, assignment bytes]
 *
 * A null value is a tombstone: the offset (or the whole group's metadata) is deleted.
 * Decoding accepts every version Kafka has written (key 0-2, offset value 0-4, group value
 * 0-4) so a log written by another version still loads; anything else is SKEIN_CORRUPT_RECORD.
 *
 * Pure functions over Buffers; knows nothing of logs or groups.
 */
import { SkeinError } from '../../errors.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const GROUP_METADATA_VALUE_VERSION = 3;

export type OffsetsTopicKey =
  | { type: 'offset'; group: string; topic: string; partition: number }
  | { type: 'group'; group: string };

export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Version 1 only; -1 otherwise. */
  expireTimestamp: number;
}

export interface GroupMemberMetadata {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: GroupMemberMetadata[];
}

/* ---------------------------------- writing ---------------------------------- */

class Writer {
  private readonly parts: Buffer[] = [];

  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }

  int64(v: number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }

  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const bytes = Buffer.from(v, 'utf8');
    if (bytes.length > 0x7fff) throw new SkeinError('SKEIN_INVALID_ARGUMENT', `a string of ${bytes.length} bytes does not fit an int16 length`);
    this.int16(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  bytes(v: Buffer): this {
    this.int32(v.length);
    this.parts.push(v);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Writer().int16(OFFSET_COMMIT_KEY_VERSION).string(group).string(topic).int32(partition).done();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer().int16(GROUP_METADATA_KEY_VERSION).string(group).done();
}

export function encodeOffsetCommitValue(value: Omit<OffsetCommitValue, 'expireTimestamp'>): Buffer {
  return new Writer()
    .int16(OFFSET_COMMIT_VALUE_VERSION)
    .int64(value.offset)
    .int32(value.leaderEpoch)
    .string(value.metadata)
    .int64(value.commitTimestamp)
    .done();
}

export function encodeGroupMetadataValue(value: GroupMetadataValue): Buffer {
  const w = new Writer()
    .int16(GROUP_METADATA_VALUE_VERSION)
    .string(value.protocolType)
    .int32(value.generation)
    .string(value.protocol)
    .string(value.leader)
    .int64(value.currentStateTimestamp)
    .int32(value.members.length);
  for (const m of value.members) {
    w.string(m.memberId).string(m.groupInstanceId).string(m.clientId).string(m.clientHost);
    w.int32(m.rebalanceTimeout).int32(m.sessionTimeout).bytes(m.subscription).bytes(m.assignment);
  }
  return w.done();
}

/* ---------------------------------- reading ---------------------------------- */

class Reader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw this.corrupt(`ends after ${this.buf.length} bytes`);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): number {
    this.need(8);
    const v = Number(this.buf.readBigInt64BE(this.pos));
    this.pos += 8;
    return v;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1);
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw this.corrupt('has an unterminated varint');
  }

  /** Non-flexible string (int16 length) or, when `compact`, a compact string (uvarint length + 1). */
  nullableString(compact: boolean): string | null {
    const len = compact ? this.uvarint() - 1 : this.int16();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  string(compact: boolean): string {
    const s = this.nullableString(compact);
    if (s === null) throw this.corrupt('has a null where a string is required');
    return s;
  }

  bytes(compact: boolean): Buffer {
    const len = compact ? this.uvarint() - 1 : this.int32();
    if (len < 0) throw this.corrupt('has null bytes where bytes are required');
    this.need(len);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return b;
  }

  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < 0) throw this.corrupt('has a null array');
    return n;
  }

  /** Skips a flexible version's tagged fields (none of which we use). */
  taggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.need(size);
      this.pos += size;
    }
  }

  corrupt(problem: string): SkeinError {
    return new SkeinError('SKEIN_CORRUPT_MESSAGE', `a __consumer_offsets ${this.what} ${problem}`);
  }
}

export function decodeOffsetsTopicKey(buf: Buffer): OffsetsTopicKey {
  const r = new Reader(buf, 'key');
  const version = r.int16();
  if (version === 0 || version === 1) {
    return { type: 'offset', group: r.string(false), topic: r.string(false), partition: r.int32() };
  }
  if (version === 2) return { type: 'group', group: r.string(false) };
  throw r.corrupt(`has unknown version ${version}`);
}

export function decodeOffsetCommitValue(buf: Buffer): OffsetCommitValue {
  const r = new Reader(buf, 'offset value');
  const version = r.int16();
  if (version < 0 || version > 4) throw r.corrupt(`has unknown version ${version}`);
  const flexible = version >= 4;
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string(flexible);
  const commitTimestamp = r.int64();
  const expireTimestamp = version === 1 ? r.int64() : -1;
  if (flexible) r.taggedFields();
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function decodeGroupMetadataValue(buf: Buffer): GroupMetadataValue {
  const r = new Reader(buf, 'group metadata value');
  const version = r.int16();
  if (version < 0 || version > 4) throw r.corrupt(`has unknown version ${version}`);
  const flexible = version >= 4;
  const protocolType = r.string(flexible);
  const generation = r.int32();
  const protocol = r.nullableString(flexible);
  const leader = r.nullableString(flexible);
  const currentStateTimestamp = version >= 2 ? r.int64() : -1;
  const count = r.arrayLength(flexible);
  const members: GroupMemberMetadata[] = [];
  for (let i = 0; i < count; i++) {
    const memberId = r.string(flexible);
    const groupInstanceId = version >= 3 ? r.nullableString(flexible) : null;
    const clientId = r.string(flexible);
    const clientHost = r.string(flexible);
    const rebalanceTimeout = version >= 1 ? r.int32() : -1;
    const sessionTimeout = r.int32();
    const subscription = r.bytes(flexible);
    const assignment = r.bytes(flexible);
    if (flexible) r.taggedFields();
    members.push({ memberId, groupInstanceId, clientId, clientHost, rebalanceTimeout: rebalanceTimeout === -1 ? sessionTimeout : rebalanceTimeout, sessionTimeout, subscription, assignment });
  }
  if (flexible) r.taggedFields();
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}
