/**
 * Arrays and nested structs, the two compound types of the Kafka message specs, for the
 * generated codecs in ../messages. Element codecs are plain module-level functions taking
 * the version, so decoding an array allocates the array and its elements, no closures.
 *
 *   ARRAY[T]          INT32 count N, N × T; N = -1 is null
 *   COMPACT_ARRAY[T]  UNSIGNED_VARINT N+1, N × T; 0 is null
 *   nullable struct   INT8 -1 (null) or 1, then the struct (same in classic and flexible
 *                     versions; Java's generated code writes it so)
 */
import { malformed, unencodable } from './malformed.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

export type ReadElement<T> = (r: Reader, version: number) => T;
export type WriteElement<T> = (w: Writer, version: number, value: T) => void;

/** An array; null only where `nullable` (else SKEIN_INVALID_REQUEST). */
export function readArray<T>(r: Reader, compact: boolean, nullable: boolean, version: number, read: ReadElement<T>): T[] | null {
  const start = r.pos;
  const n = compact ? r.readCompactArrayLength() : r.readArrayLength();
  if (n < 0) {
    if (!nullable) throw malformed('null in a non-nullable array', start);
    return null;
  }
  const items = new Array<T>(n);
  for (let i = 0; i < n; i++) items[i] = read(r, version);
  return items;
}

/** An array; null only where `nullable` (else SKEIN_INVALID_ARGUMENT). */
export function writeArray<T>(
  w: Writer,
  compact: boolean,
  nullable: boolean,
  version: number,
  items: readonly T[] | null,
  write: WriteElement<T>,
): void {
  if (items === null || items === undefined) {
    if (!nullable) throw unencodable('null in a non-nullable array');
    if (compact) w.writeCompactArrayLength(-1);
    else w.writeArrayLength(-1);
    return;
  }
  if (!Array.isArray(items)) throw unencodable(`${String(items)} is not an array`);
  if (compact) w.writeCompactArrayLength(items.length);
  else w.writeArrayLength(items.length);
  for (const item of items) write(w, version, item);
}

export function readNullableStruct<T>(r: Reader, version: number, read: ReadElement<T>): T | null {
  return r.readInt8() < 0 ? null : read(r, version);
}

export function writeNullableStruct<T>(w: Writer, version: number, value: T | null, write: WriteElement<T>): void {
  if (value === null) {
    w.writeInt8(-1);
    return;
  }
  w.writeInt8(1);
  write(w, version, value);
}

/** A value the version needs (a non-nullable struct or records field) given as null or not at all. */
export function requireValue<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw unencodable(`${what} is not nullable here`);
  return value;
}

/** A `records` field read as null where the version does not allow it. */
export function requireRecords(value: Buffer | null, r: Reader): Buffer {
  if (value === null) throw malformed('null in non-nullable records', r.pos);
  return value;
}

// Element codecs of the primitive arrays found in the specs ([]int32, []int64, []string, ...).
// The `version` parameter is unused: they share the signature of the struct codecs.

export const readInt8Element: ReadElement<number> = (r) => r.readInt8();
export const writeInt8Element: WriteElement<number> = (w, _v, x) => w.writeInt8(x);
export const readInt16Element: ReadElement<number> = (r) => r.readInt16();
export const writeInt16Element: WriteElement<number> = (w, _v, x) => w.writeInt16(x);
export const readUint16Element: ReadElement<number> = (r) => r.readUint16();
export const writeUint16Element: WriteElement<number> = (w, _v, x) => w.writeUint16(x);
export const readInt32Element: ReadElement<number> = (r) => r.readInt32();
export const writeInt32Element: WriteElement<number> = (w, _v, x) => w.writeInt32(x);
export const readUint32Element: ReadElement<number> = (r) => r.readUint32();
export const writeUint32Element: WriteElement<number> = (w, _v, x) => w.writeUint32(x);
export const readInt64Element: ReadElement<number> = (r) => r.readInt64();
export const writeInt64Element: WriteElement<number> = (w, _v, x) => w.writeInt64(x);
export const readFloat64Element: ReadElement<number> = (r) => r.readFloat64();
export const writeFloat64Element: WriteElement<number> = (w, _v, x) => w.writeFloat64(x);
export const readBoolElement: ReadElement<boolean> = (r) => r.readBool();
export const writeBoolElement: WriteElement<boolean> = (w, _v, x) => w.writeBool(x);
export const readUuidElement: ReadElement<string> = (r) => r.readUuid();
export const writeUuidElement: WriteElement<string> = (w, _v, x) => w.writeUuid(x);
export const readStringElement: ReadElement<string> = (r) => r.readString();
export const writeStringElement: WriteElement<string> = (w, _v, x) => w.writeString(x);
export const readCompactStringElement: ReadElement<string> = (r) => r.readCompactString();
export const writeCompactStringElement: WriteElement<string> = (w, _v, x) => w.writeCompactString(x);
export const readBytesElement: ReadElement<Buffer> = (r) => r.readBytes();
export const writeBytesElement: WriteElement<Buffer> = (w, _v, x) => w.writeBytes(x);
export const readCompactBytesElement: ReadElement<Buffer> = (r) => r.readCompactBytes();
export const writeCompactBytesElement: WriteElement<Buffer> = (w, _v, x) => w.writeCompactBytes(x);
