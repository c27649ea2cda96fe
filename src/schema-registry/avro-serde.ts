/**
 * Confluent's wire format for Avro record keys and values, so that records produced in process
 * and by Confluent serializers (Java's KafkaAvroSerializer, kafkajs with
 * @kafkajs/confluent-schema-registry) read the same:
 *
 *   byte 0      magic 0
 *   bytes 1-4   schema id, int32 big-endian (the registry's global id)
 *   bytes 5-    the Avro binary encoding of the value with that schema
 *
 * encode() writes with a registered schema (by id, or the latest version of a subject);
 * decode() reads the id, fetches that schema from the registry and decodes the body with it,
 * or with a reader schema when one is given (Avro resolution: writer → reader). Parsed types
 * and resolvers are cached per id. Synchronous and in process: no HTTP.
 */
import type { Type } from 'avsc';
import { SkeinError } from '../errors.js';
import type { SchemaRegistry } from './schema-registry.js';

export const WIRE_MAGIC = 0;
export const WIRE_HEADER_BYTES = 5;

export class AvroSerde {
  private readonly registry: SchemaRegistry;
  private readonly resolvers = new Map<string, unknown>();
  /** Parsed types by id: an id never changes its schema, so a hit needs no registry lookup (as Confluent clients cache). */
  private readonly types = new Map<number, Type>();
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(registry: SchemaRegistry) {
    this.registry = registry;
  }

  /** The id and type to write `subject`'s records with: its latest live version. */
  latest(subject: string): { id: number; type: Type } {
    const latest = this.registry.getVersion(subject, 'latest');
    return { id: latest.id, type: this.typeOf(latest.id) };
  }

  private typeOf(id: number): Type {
    let type = this.types.get(id);
    if (!type) {
      type = this.registry.getSchemaById(id).type;
      this.types.set(id, type);
    }
    return type;
  }

  /**
   * Encodes `value` with the schema `schema` names: a global id, or a subject (its latest
   * version). SKEIN_SCHEMA_MISMATCH when the value does not fit the schema.
   */
  encode(schema: number | { subject: string }, value: unknown): Buffer {
    const { id, type } = typeof schema === 'number' ? { id: schema, type: this.typeOf(schema) } : this.latest(schema.subject);
    // Encode after the header in a scratch buffer (grown when a value does not fit: avsc then
    // answers with a negative position), and copy out once.
    let end: number;
    try {
      for (;;) {
        end = type.encode(value, this.scratch, WIRE_HEADER_BYTES);
        if (end >= 0) break;
        this.scratch = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, WIRE_HEADER_BYTES - end));
      }
    } catch (err) {
      throw new SkeinError('SKEIN_SCHEMA_MISMATCH', `the value does not match schema ${id}: ${(err as Error).message}`, { id, cause: err });
    }
    const out = Buffer.allocUnsafe(end);
    this.scratch.copy(out, 0, 0, end);
    out[0] = WIRE_MAGIC;
    out.writeInt32BE(id, 1);
    return out;
  }

  /** The schema id of a Confluent-framed buffer. SKEIN_SCHEMA_MISMATCH when it is not framed. */
  static schemaIdOf(buffer: Uint8Array): number {
    if (!(buffer instanceof Uint8Array) || buffer.length < WIRE_HEADER_BYTES || buffer[0] !== WIRE_MAGIC) {
      throw new SkeinError('SKEIN_SCHEMA_MISMATCH', 'not a Confluent-framed record: it must start with magic byte 0 and a 4-byte schema id');
    }
    return Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength).readInt32BE(1);
  }

  /**
   * Decodes a Confluent-framed buffer. SKEIN_SCHEMA_NOT_FOUND for an unknown id,
   * SKEIN_SCHEMA_MISMATCH when the body does not decode with the writer's schema (or cannot be
   * resolved to `readerSchema`).
   */
  decode<T = unknown>(buffer: Uint8Array, options: { readerSchema?: Type } = {}): T {
    const id = AvroSerde.schemaIdOf(buffer);
    const writer = this.typeOf(id);
    const body = Buffer.from(buffer.buffer, buffer.byteOffset + WIRE_HEADER_BYTES, buffer.byteLength - WIRE_HEADER_BYTES);
    try {
      if (!options.readerSchema) {
        const { value, offset } = writer.decode(body, 0);
        if (offset !== body.length) throw new Error(offset < 0 ? 'the body ends early' : `${body.length - offset} bytes follow the value`);
        return value as T;
      }
      const key = `${id}\u0000${options.readerSchema.fingerprint().toString('hex')}`;
      let resolver = this.resolvers.get(key);
      if (!resolver) {
        resolver = options.readerSchema.createResolver(writer);
        this.resolvers.set(key, resolver);
      }
      return options.readerSchema.fromBuffer(body, resolver as Parameters<Type['fromBuffer']>[1]) as T;
    } catch (err) {
      throw new SkeinError('SKEIN_SCHEMA_MISMATCH', `the record does not decode with schema ${id}: ${(err as Error).message}`, { id, cause: err });
    }
  }
}
