/**
 * The schema registry: subjects, versions, global schema ids, compatibility levels and modes,
 * with Confluent Schema Registry's semantics, kept in the compacted topic `_schemas`.
 *
 * Owns the in-memory view of the topic (rebuilt by replaying it at open) and every rule:
 * identical schema → existing id (global, stable), versions numbered per subject, the global
 * default compatibility BACKWARD, soft and permanent deletes, READONLY/IMPORT modes. Each
 * change is written to the topic first and applied to memory only once the write succeeded,
 * so a failed write (SKEIN_SCHEMA_STORE_ERROR) leaves the registry as it was. Writes are
 * serialised (one at a time) so ids and versions never collide.
 *
 * Runs on the event loop. Knows nothing of HTTP (http-api.ts maps its errors to Confluent's
 * status and error codes) and nothing of files (the broker stores the topic).
 */
import avro from 'avsc';
import type { Type } from 'avsc';
import type { Broker } from '../broker/broker.js';
import { SkeinError, type ErrorCode } from '../errors.js';
import { compatibilityProblems, DEFAULT_COMPATIBILITY, isCompatibilityLevel, type CompatibilityLevel } from './compatibility.js';
import { SchemaLog, SCHEMAS_TOPIC } from './schema-log.js';
import { AvroSerde } from './avro-serde.js';
import {
  configKey,
  deleteSubjectKey,
  encodeKey,
  modeKey,
  parseKey,
  parseValue,
  schemaKey,
  type ConfigValue,
  type DeleteSubjectValue,
  type ModeValue,
  type SchemaValue,
} from './store-records.js';

export const MODES = ['READWRITE', 'READONLY', 'READONLY_OVERRIDE', 'IMPORT'] as const;
export type Mode = (typeof MODES)[number];

/** Schema types this registry accepts. JSON and PROTOBUF are refused with SKEIN_INVALID_SCHEMA. */
export const SCHEMA_TYPES = ['AVRO'] as const;

export interface SchemaVersion {
  subject: string;
  version: number;
  id: number;
  schema: string;
  /** Omitted for AVRO, as Confluent does. */
  schemaType?: string;
  deleted?: boolean;
}

export interface RegisterOptions {
  schemaType?: string;
  references?: unknown[];
  /** IMPORT mode only: the id and version to register under. */
  id?: number;
  version?: number;
  /** Normalize: accepted and ignored (identity is the compact JSON of the schema). */
  normalize?: boolean;
}

interface StoredSchema {
  id: number;
  schema: string;
  type: Type;
}

interface VersionEntry {
  id: number;
  deleted: boolean;
}

const MAX_VERSION = 2 ** 31 - 1;

function fail(code: ErrorCode, message: string, context: Record<string, unknown> = {}): never {
  throw new SkeinError(code, message, context);
}

/** Parses an Avro schema string; SKEIN_INVALID_SCHEMA with avsc's reason when it is not one. */
export function parseAvroSchema(schema: unknown): { canonical: string; type: Type } {
  if (typeof schema !== 'string' || schema.trim().length === 0) {
    fail('SKEIN_INVALID_SCHEMA', typeof schema === 'string' ? 'Empty schema' : 'the request needs a "schema" string');
  }
  let json: unknown;
  try {
    json = JSON.parse(schema);
  } catch (err) {
    fail('SKEIN_INVALID_SCHEMA', `Invalid schema: not JSON (${(err as Error).message})`);
  }
  let type: Type;
  try {
    type = avro.Type.forSchema(json as avro.Schema, { wrapUnions: 'auto' });
  } catch (err) {
    fail('SKEIN_INVALID_SCHEMA', `Invalid schema: ${(err as Error).message}`);
  }
  return { canonical: JSON.stringify(json), type };
}

function checkSubject(subject: unknown): string {
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 4096) {
    fail('SKEIN_INVALID_ARGUMENT', 'a subject must be a non-empty string');
  }
  return subject;
}

export class SchemaRegistry {
  private readonly log: SchemaLog;
  private readonly schemasById = new Map<number, StoredSchema>();
  private readonly idByCanonical = new Map<string, number>();
  private readonly subjects = new Map<string, Map<number, VersionEntry>>();
  /** Compatibility by subject; the key null is the global level. */
  private readonly configs = new Map<string | null, CompatibilityLevel>();
  private readonly modes = new Map<string | null, Mode>();
  private maxId = 0;
  private serde: AvroSerde | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(log: SchemaLog) {
    this.log = log;
  }

  /** Opens the registry over a broker: creates `_schemas` if needed and replays it. */
  static async open(broker: Broker, options: { topic?: string } = {}): Promise<SchemaRegistry> {
    const log = await SchemaLog.open(broker, options.topic ?? SCHEMAS_TOPIC);
    const registry = new SchemaRegistry(log);
    for await (const record of log.replay()) registry.apply(record.key, record.value);
    return registry;
  }

  /**
   * Encodes a value in Confluent's wire format (magic 0, schema id, Avro body) with a schema
   * id or the latest version of a subject. See avro-serde.ts.
   */
  encode(schema: number | { subject: string }, value: unknown): Buffer {
    this.serde ??= new AvroSerde(this);
    return this.serde.encode(schema, value);
  }

  /** Decodes a Confluent-framed buffer with the schema its id names (or resolved to `readerSchema`). */
  decode<T = unknown>(buffer: Uint8Array, options: { readerSchema?: Type } = {}): T {
    this.serde ??= new AvroSerde(this);
    return this.serde.decode<T>(buffer, options);
  }

  /* ------------------------------- replay / apply ------------------------------- */

  /** Applies one record of the topic to memory (replay and after each write). */
  private apply(keyBytes: Buffer | null, valueBytes: Buffer | null): void {
    const key = parseKey(keyBytes);
    if (!key) return;
    let value: unknown;
    try {
      value = parseValue(valueBytes);
    } catch {
      return; // A value we cannot read is skipped, as Confluent skips unreadable records.
    }
    switch (key.keytype) {
      case 'SCHEMA': {
        const versions = this.subjects.get(key.subject);
        if (value === null) {
          versions?.delete(key.version);
          if (versions && versions.size === 0) this.subjects.delete(key.subject);
          return;
        }
        const v = value as SchemaValue;
        if (!this.schemasById.has(v.id)) {
          let parsed: { canonical: string; type: Type };
          try {
            parsed = parseAvroSchema(v.schema);
          } catch {
            return;
          }
          this.schemasById.set(v.id, { id: v.id, schema: parsed.canonical, type: parsed.type });
          if (!this.idByCanonical.has(parsed.canonical)) this.idByCanonical.set(parsed.canonical, v.id);
        }
        this.maxId = Math.max(this.maxId, v.id);
        this.versionsOf(key.subject, true).set(key.version, { id: v.id, deleted: v.deleted === true });
        return;
      }
      case 'CONFIG': {
        const level = (value as ConfigValue | null)?.compatibilityLevel;
        if (isCompatibilityLevel(level)) this.configs.set(key.subject, level);
        else this.configs.delete(key.subject);
        return;
      }
      case 'MODE': {
        const mode = (value as ModeValue | null)?.mode;
        if ((MODES as readonly string[]).includes(mode as string)) this.modes.set(key.subject, mode as Mode);
        else this.modes.delete(key.subject);
        return;
      }
      case 'DELETE_SUBJECT': {
        const upTo = (value as DeleteSubjectValue | null)?.version ?? -1;
        for (const [version, entry] of this.subjects.get(key.subject) ?? []) if (version <= upTo) entry.deleted = true;
        return;
      }
    }
  }

  private versionsOf(subject: string, create = false): Map<number, VersionEntry> {
    let versions = this.subjects.get(subject);
    if (!versions) {
      versions = new Map();
      if (create) this.subjects.set(subject, versions);
    }
    return versions;
  }

  /** Serialises a read-then-write operation against other writes. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async store(records: Array<[string, string | null]>): Promise<void> {
    for (const [key, value] of records) {
      try {
        await this.log.append(key, value);
      } catch (err) {
        throw new SkeinError('SKEIN_SCHEMA_STORE_ERROR', `Error while writing to the schemas topic: ${(err as Error).message}`, { cause: err });
      }
      this.apply(Buffer.from(key), value === null ? null : Buffer.from(value));
    }
  }

  /* ------------------------------------ reads ------------------------------------ */

  /** Subjects with at least one live version (or any version, with `deleted`). Sorted. */
  listSubjects(options: { deleted?: boolean } = {}): string[] {
    return [...this.subjects.entries()]
      .filter(([, versions]) => [...versions.values()].some((e) => options.deleted || !e.deleted))
      .map(([subject]) => subject)
      .sort();
  }

  /** Version numbers of a subject, ascending. SKEIN_SUBJECT_NOT_FOUND (40401). */
  listVersions(subject: string, options: { deleted?: boolean } = {}): number[] {
    const versions = [...this.liveVersions(subject, options.deleted)].map(([v]) => v);
    if (versions.length === 0) fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
    return versions;
  }

  private liveVersions(subject: string, includeDeleted = false): Array<[number, VersionEntry]> {
    return [...this.versionsOf(subject)].filter(([, e]) => includeDeleted || !e.deleted).sort((a, b) => a[0] - b[0]);
  }

  /**
   * One version of a subject: a number, or "latest" / -1. SKEIN_SUBJECT_NOT_FOUND (40401),
   * SKEIN_SCHEMA_VERSION_NOT_FOUND (40402), SKEIN_INVALID_SCHEMA_VERSION (42202).
   */
  getVersion(subject: string, version: string | number, options: { deleted?: boolean } = {}): SchemaVersion {
    const wanted = parseVersion(version);
    const all = this.liveVersions(subject, true);
    if (all.length === 0) fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
    const candidates = all.filter(([, e]) => options.deleted || !e.deleted);
    const found = wanted === 'latest' ? candidates[candidates.length - 1] : candidates.find(([v]) => v === wanted);
    if (!found) {
      if (wanted === 'latest') fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
      fail('SKEIN_SCHEMA_VERSION_NOT_FOUND', `Version ${wanted} not found.`, { subject, version: wanted });
    }
    return this.describe(subject, found[0], found[1]);
  }

  private describe(subject: string, version: number, entry: VersionEntry): SchemaVersion {
    const stored = this.schemasById.get(entry.id)!;
    return { subject, version, id: entry.id, schema: stored.schema, ...(entry.deleted ? { deleted: true } : {}) };
  }

  /** The schema with a global id. SKEIN_SCHEMA_NOT_FOUND (40403). */
  getSchemaById(id: number): { schema: string; type: Type } {
    const stored = Number.isInteger(id) ? this.schemasById.get(id) : undefined;
    if (!stored || !this.isReferenced(id)) fail('SKEIN_SCHEMA_NOT_FOUND', 'Schema not found', { id });
    return { schema: stored.schema, type: stored.type };
  }

  private isReferenced(id: number): boolean {
    for (const versions of this.subjects.values()) for (const e of versions.values()) if (e.id === id) return true;
    return false;
  }

  /** Subject-version pairs that use a schema id. SKEIN_SCHEMA_NOT_FOUND (40403). */
  versionsOfId(id: number, options: { deleted?: boolean } = {}): Array<{ subject: string; version: number }> {
    this.getSchemaById(id);
    const out: Array<{ subject: string; version: number }> = [];
    for (const [subject, versions] of [...this.subjects].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      for (const [version, e] of [...versions].sort((a, b) => a[0] - b[0])) {
        if (e.id === id && (options.deleted || !e.deleted)) out.push({ subject, version });
      }
    }
    return out;
  }

  /**
   * The version of `subject` holding this schema (POST /subjects/{s}). SKEIN_SUBJECT_NOT_FOUND
   * (40401), SKEIN_SCHEMA_NOT_FOUND (40403), SKEIN_INVALID_SCHEMA (42201).
   */
  lookup(subject: string, schema: unknown, options: RegisterOptions & { deleted?: boolean } = {}): SchemaVersion {
    checkSchemaType(options);
    const { canonical } = parseAvroSchema(schema);
    const versions = this.liveVersions(subject, options.deleted);
    if (versions.length === 0) fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
    const id = this.idByCanonical.get(canonical);
    const found = id === undefined ? undefined : [...versions].reverse().find(([, e]) => e.id === id);
    if (!found) fail('SKEIN_SCHEMA_NOT_FOUND', 'Schema not found', { subject });
    return this.describe(subject, found[0], found[1]);
  }

  /** The compatibility level in force for a subject (its own, else the global one). */
  compatibilityOf(subject: string | null): CompatibilityLevel {
    return (subject !== null ? this.configs.get(subject) : undefined) ?? this.configs.get(null) ?? DEFAULT_COMPATIBILITY;
  }

  /** GET /config and /config/{s}: SKEIN_SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED (40408) without a level of its own. */
  getConfig(subject: string | null, options: { defaultToGlobal?: boolean } = {}): CompatibilityLevel {
    if (subject === null) return this.compatibilityOf(null);
    const own = this.configs.get(subject);
    if (own) return own;
    if (options.defaultToGlobal) return this.compatibilityOf(null);
    fail('SKEIN_SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED', `Subject '${subject}' does not have subject-level compatibility configured`, { subject });
  }

  getMode(subject: string | null, options: { defaultToGlobal?: boolean } = {}): Mode {
    if (subject === null) return this.modes.get(null) ?? 'READWRITE';
    const own = this.modes.get(subject);
    if (own) return own;
    if (options.defaultToGlobal) return this.modes.get(null) ?? 'READWRITE';
    fail('SKEIN_SUBJECT_LEVEL_MODE_NOT_CONFIGURED', `Subject '${subject}' does not have subject-level mode configured`, { subject });
  }

  private effectiveMode(subject: string): Mode {
    return this.modes.get(subject) ?? this.modes.get(null) ?? 'READWRITE';
  }

  private ensureWritable(subject: string | null): void {
    const mode = subject === null ? this.getMode(null) : this.effectiveMode(subject);
    if (mode === 'READONLY' || mode === 'READONLY_OVERRIDE') {
      fail('SKEIN_OPERATION_NOT_PERMITTED', subject === null ? 'The registry is in read-only mode' : `Subject ${subject} is in read-only mode`, { subject });
    }
  }

  /**
   * Whether `schema` may be registered under `subject` against `version` ("latest" or a
   * number) under the subject's level; `problems` lists why not. 40401/40402 when the subject
   * or version does not exist, 42201 for an invalid schema.
   */
  testCompatibility(subject: string, version: string | number, schema: unknown, options: RegisterOptions = {}): { compatible: boolean; problems: string[] } {
    checkSchemaType(options);
    const { type } = parseAvroSchema(schema);
    const wanted = parseVersion(version);
    const live = this.liveVersions(subject);
    if (live.length === 0) {
      if (wanted === 'latest') return { compatible: true, problems: [] };
      fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
    }
    const level = this.compatibilityOf(subject);
    let against: Array<[number, VersionEntry]>;
    if (wanted === 'latest') against = live;
    else {
      const one = live.find(([v]) => v === wanted);
      if (!one) fail('SKEIN_SCHEMA_VERSION_NOT_FOUND', `Version ${wanted} not found.`, { subject, version: wanted });
      against = level.endsWith('_TRANSITIVE') ? live.filter(([v]) => v <= wanted) : [one];
    }
    const problems = compatibilityProblems(level, type, against.map(([v, e]) => ({ version: v, type: this.schemasById.get(e.id)!.type })));
    return { compatible: problems.length === 0, problems };
  }

  /* ------------------------------------ writes ------------------------------------ */

  /**
   * Registers a schema under a subject and returns its global id: the existing id when the
   * subject already has it, or when another subject registered the same schema. Checks the
   * subject's compatibility level against its live versions first (SKEIN_INCOMPATIBLE_SCHEMA).
   */
  register(subjectIn: string, schema: unknown, options: RegisterOptions = {}): Promise<{ id: number; version: number }> {
    return this.exclusive(async () => {
      const subject = checkSubject(subjectIn);
      checkSchemaType(options);
      const { canonical, type } = parseAvroSchema(schema);
      const mode = this.effectiveMode(subject);
      const live = this.liveVersions(subject);
      const existingId = this.idByCanonical.get(canonical);
      const already = existingId === undefined ? undefined : live.find(([, e]) => e.id === existingId);
      if (already && options.id === undefined) return { id: existingId!, version: already[0] };
      this.ensureWritable(subject);
      if ((options.id !== undefined || options.version !== undefined) && mode !== 'IMPORT') {
        fail('SKEIN_OPERATION_NOT_PERMITTED', `Subject ${subject} is not in import mode: an id or version cannot be given`, { subject });
      }
      if (mode !== 'IMPORT') {
        const problems = compatibilityProblems(
          this.compatibilityOf(subject),
          type,
          live.map(([v, e]) => ({ version: v, type: this.schemasById.get(e.id)!.type })),
        );
        if (problems.length > 0) {
          fail(
            'SKEIN_INCOMPATIBLE_SCHEMA',
            `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${problems.join('; ')}]`,
            { subject, problems },
          );
        }
      }
      let id: number;
      if (options.id !== undefined) {
        if (!Number.isInteger(options.id) || options.id < 1) fail('SKEIN_INVALID_SCHEMA', `id ${String(options.id)} is not a positive integer`);
        const taken = this.schemasById.get(options.id);
        if (taken && taken.schema !== canonical) fail('SKEIN_INVALID_SCHEMA', `id ${options.id} already holds another schema`);
        id = options.id;
      } else {
        id = existingId ?? this.maxId + 1;
      }
      const all = this.liveVersions(subject, true);
      const version = options.version ?? (all.length === 0 ? 1 : all[all.length - 1]![0] + 1);
      if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) fail('SKEIN_INVALID_SCHEMA_VERSION', `The specified version '${String(version)}' is not a valid version id.`);
      if (!this.schemasById.has(id)) {
        // Remember the parsed type so apply() does not parse it again.
        this.schemasById.set(id, { id, schema: canonical, type });
        this.idByCanonical.set(canonical, id);
      }
      const value: SchemaValue = { subject, version, id, schema: canonical, deleted: false };
      try {
        await this.store([[encodeKey(schemaKey(subject, version)), JSON.stringify(value)]]);
      } catch (err) {
        if (!this.isReferenced(id)) {
          this.schemasById.delete(id);
          if (this.idByCanonical.get(canonical) === id) this.idByCanonical.delete(canonical);
        }
        throw err;
      }
      return { id, version };
    });
  }

  /**
   * DELETE /subjects/{s}: soft delete marks every live version deleted; `permanent` removes
   * versions already soft-deleted (SKEIN_SUBJECT_NOT_SOFT_DELETED otherwise). Returns the
   * versions deleted.
   */
  deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    return this.exclusive(async () => {
      const all = this.liveVersions(subject, true);
      if (all.length === 0) fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
      this.ensureWritable(subject);
      const live = all.filter(([, e]) => !e.deleted);
      if (options.permanent) {
        if (live.length > 0) fail('SKEIN_SUBJECT_NOT_SOFT_DELETED', `Subject '${subject}' was not deleted first before being permanently deleted`, { subject });
        await this.store(all.map(([v]) => [encodeKey(schemaKey(subject, v)), null]));
        return all.map(([v]) => v);
      }
      if (live.length === 0) fail('SKEIN_SUBJECT_SOFT_DELETED', `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`, { subject });
      const records: Array<[string, string | null]> = live.map(([v, e]) => [
        encodeKey(schemaKey(subject, v)),
        JSON.stringify({ subject, version: v, id: e.id, schema: this.schemasById.get(e.id)!.schema, deleted: true } satisfies SchemaValue),
      ]);
      records.push([encodeKey(deleteSubjectKey(subject)), JSON.stringify({ subject, version: live[live.length - 1]![0] } satisfies DeleteSubjectValue)]);
      await this.store(records);
      return live.map(([v]) => v);
    });
  }

  /** DELETE /subjects/{s}/versions/{v}: soft, or permanent for a soft-deleted version. Returns the version. */
  deleteVersion(subject: string, versionIn: string | number, options: { permanent?: boolean } = {}): Promise<number> {
    return this.exclusive(async () => {
      const wanted = parseVersion(versionIn);
      const all = this.liveVersions(subject, true);
      if (all.length === 0) fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
      this.ensureWritable(subject);
      const pool = options.permanent ? all : all.filter(([, e]) => !e.deleted);
      const found = wanted === 'latest' ? pool[pool.length - 1] : all.find(([v]) => v === wanted);
      if (!found) {
        if (wanted === 'latest') fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
        fail('SKEIN_SCHEMA_VERSION_NOT_FOUND', `Version ${wanted} not found.`, { subject, version: wanted });
      }
      const [version, entry] = found;
      if (options.permanent) {
        if (!entry.deleted) fail('SKEIN_SCHEMA_VERSION_NOT_SOFT_DELETED', `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`, { subject, version });
        await this.store([[encodeKey(schemaKey(subject, version)), null]]);
        return version;
      }
      if (entry.deleted) fail('SKEIN_SCHEMA_VERSION_SOFT_DELETED', `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`, { subject, version });
      const value: SchemaValue = { subject, version, id: entry.id, schema: this.schemasById.get(entry.id)!.schema, deleted: true };
      await this.store([[encodeKey(schemaKey(subject, version)), JSON.stringify(value)]]);
      return version;
    });
  }

  /** PUT /config and /config/{s}. SKEIN_INVALID_COMPATIBILITY_LEVEL (42203). */
  setConfig(subject: string | null, level: unknown): Promise<CompatibilityLevel> {
    return this.exclusive(async () => {
      if (!isCompatibilityLevel(level)) fail('SKEIN_INVALID_COMPATIBILITY_LEVEL', `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`);
      if (subject !== null) checkSubject(subject);
      await this.store([[encodeKey(configKey(subject)), JSON.stringify({ compatibilityLevel: level } satisfies ConfigValue)]]);
      return level;
    });
  }

  /** DELETE /config and /config/{s}: back to the default; returns the level that was in force. */
  deleteConfig(subject: string | null): Promise<CompatibilityLevel> {
    return this.exclusive(async () => {
      const previous = subject === null ? this.compatibilityOf(null) : this.configs.get(subject);
      if (previous === undefined) {
        if (subject !== null && this.liveVersions(subject, true).length === 0) fail('SKEIN_SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`, { subject });
        fail('SKEIN_SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED', `Subject '${subject}' does not have subject-level compatibility configured`, { subject });
      }
      await this.store([[encodeKey(configKey(subject)), null]]);
      return previous;
    });
  }

  /** PUT /mode and /mode/{s}. SKEIN_INVALID_MODE (42204). */
  setMode(subject: string | null, mode: unknown): Promise<Mode> {
    return this.exclusive(async () => {
      if (!(MODES as readonly unknown[]).includes(mode)) fail('SKEIN_INVALID_MODE', `Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT.`);
      if (subject !== null) checkSubject(subject);
      await this.store([[encodeKey(modeKey(subject)), JSON.stringify({ mode: mode as Mode } satisfies ModeValue)]]);
      return mode as Mode;
    });
  }

  /** DELETE /mode/{s}: back to the global mode; returns the mode that was set. */
  deleteMode(subject: string): Promise<Mode> {
    return this.exclusive(async () => {
      const previous = this.getMode(subject);
      await this.store([[encodeKey(modeKey(subject)), null]]);
      return previous;
    });
  }
}

/** "latest", -1 or an integer in [1, 2^31-1]; SKEIN_INVALID_SCHEMA_VERSION (42202) otherwise. */
export function parseVersion(version: string | number): number | 'latest' {
  if (version === 'latest' || version === -1 || version === '-1') return 'latest';
  const n = typeof version === 'number' ? version : /^\d+$/.test(version) ? Number(version) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_VERSION) {
    fail('SKEIN_INVALID_SCHEMA_VERSION', `The specified version '${String(version)}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
  }
  return n;
}

function checkSchemaType(options: RegisterOptions): void {
  const type = options.schemaType ?? 'AVRO';
  if (type !== 'AVRO') {
    fail('SKEIN_INVALID_SCHEMA', `Invalid schema: schema type ${String(type)} is not supported by Skein's registry (only AVRO)`);
  }
  if (Array.isArray(options.references) && options.references.length > 0) {
    fail('SKEIN_INVALID_SCHEMA', 'Invalid schema: schema references are not supported by Skein\'s registry');
  }
}
