/**
 * The records of the `_schemas` topic, in Confluent Schema Registry's own layout so that the
 * topic reads the same to tools that know it. Keys and values are JSON:
 *
 *   SCHEMA          key {"keytype":"SCHEMA","subject":s,"version":v,"magic":1}
 *                   value {"subject":s,"version":v,"id":n,"schema":"...","deleted":bool}
 *                   ("schemaType" only for non-Avro); null value: the version was deleted
 *                   for good (permanent delete)
 *   CONFIG          key {"keytype":"CONFIG","subject":s|null,"magic":0}
 *                   value {"compatibilityLevel":"FULL"}; null: back to the default
 *   MODE            key {"keytype":"MODE","subject":s|null,"magic":0}
 *                   value {"mode":"READONLY"}; null: back to the default
 *   DELETE_SUBJECT  key {"keytype":"DELETE_SUBJECT","subject":s,"magic":0}
 *                   value {"subject":s,"version":v}: versions up to v were soft-deleted
 *
 * Keys are written with their fields in this order, so the same logical key is the same bytes
 * and the log cleaner keeps only the last record of each. Pure functions; no I/O.
 */

export type StoreKey =
  | { keytype: 'SCHEMA'; subject: string; version: number; magic: 1 }
  | { keytype: 'CONFIG'; subject: string | null; magic: 0 }
  | { keytype: 'MODE'; subject: string | null; magic: 0 }
  | { keytype: 'DELETE_SUBJECT'; subject: string; magic: 0 };

export interface SchemaValue {
  subject: string;
  version: number;
  id: number;
  schema: string;
  schemaType?: string;
  deleted: boolean;
}

export interface ConfigValue {
  compatibilityLevel: string;
}

export interface ModeValue {
  mode: string;
}

export interface DeleteSubjectValue {
  subject: string;
  version: number;
}

export function schemaKey(subject: string, version: number): StoreKey {
  return { keytype: 'SCHEMA', subject, version, magic: 1 };
}

export function configKey(subject: string | null): StoreKey {
  return { keytype: 'CONFIG', subject, magic: 0 };
}

export function modeKey(subject: string | null): StoreKey {
  return { keytype: 'MODE', subject, magic: 0 };
}

export function deleteSubjectKey(subject: string): StoreKey {
  return { keytype: 'DELETE_SUBJECT', subject, magic: 0 };
}

/** The key's bytes: fields always in the order of the constructors above. */
export function encodeKey(key: StoreKey): string {
  return JSON.stringify(key);
}

/** A key read back from the topic, or undefined for keys this registry does not know (skipped). */
export function parseKey(bytes: Buffer | null): StoreKey | undefined {
  if (!bytes) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!key || typeof key !== 'object') return undefined;
  const k = key as Record<string, unknown>;
  switch (k.keytype) {
    case 'SCHEMA':
      return typeof k.subject === 'string' && Number.isInteger(k.version) ? schemaKey(k.subject, k.version as number) : undefined;
    case 'CONFIG':
      return typeof k.subject === 'string' || k.subject === null || k.subject === undefined ? configKey((k.subject as string | undefined) ?? null) : undefined;
    case 'MODE':
      return typeof k.subject === 'string' || k.subject === null || k.subject === undefined ? modeKey((k.subject as string | undefined) ?? null) : undefined;
    case 'DELETE_SUBJECT':
      return typeof k.subject === 'string' ? deleteSubjectKey(k.subject) : undefined;
    default:
      return undefined;
  }
}

export function parseValue<T>(bytes: Buffer | null): T | null {
  if (!bytes) return null;
  return JSON.parse(bytes.toString('utf8')) as T;
}
