/**
 * An independent reading of Kafka's JSON message specs for the protocol tests: random
 * messages (fast-check) for any spec and version, and what the generated decoder must
 * return for them. Written apart from scripts/gen-protocol/ on purpose, so a rule the
 * generator gets wrong (presence, nullability, defaults, tagged fields) shows up as a
 * disagreement instead of being shared by both sides.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const SCHEMATA = `${REPO}src/protocol/schemata/`;

export interface SpecField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string;
  flexibleVersions?: string;
  ignorable?: boolean;
  fields?: SpecField[];
}

export interface Spec {
  name: string;
  apiKey?: number;
  type: string;
  validVersions: string;
  flexibleVersions: string;
  fields: SpecField[];
  commonStructs?: Array<{ name: string; fields: SpecField[] }>;
}

export function loadSpec(path: string): Spec {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
  return JSON.parse(text) as Spec;
}

export const camel = (name: string): string => name.charAt(0).toLowerCase() + name.slice(1);

/** Whether `version` lies in a spec range ("3+", "0-7", "5", "none"). */
export function inRange(range: string | undefined, version: number): boolean {
  if (range === undefined || range === 'none') return false;
  if (range.endsWith('+')) return version >= Number(range.slice(0, -1));
  const [lo, hi] = range.includes('-') ? range.split('-').map(Number) : [Number(range), Number(range)];
  return version >= lo! && version <= hi!;
}

/** Whether any version in [lo, hi] lies in `range`. */
function meets(range: string, lo: number, hi: number): boolean {
  for (let v = lo; v <= hi; v++) if (inRange(range, v)) return true;
  return false;
}

const INT_BOUNDS: Record<string, [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

export class SpecModel {
  private readonly common: Map<string, SpecField[]>;

  /** `lo`..`hi`: the versions the codecs were generated for (fields outside them do not exist). */
  constructor(
    readonly spec: Spec,
    readonly lo: number,
    readonly hi: number,
  ) {
    this.common = new Map((spec.commonStructs ?? []).map((s) => [s.name, s.fields]));
  }

  isFlexible(version: number): boolean {
    return inRange(this.spec.flexibleVersions, version);
  }

  structFields(field: SpecField): SpecField[] {
    const name = field.type.replace(/^\[\]/, '');
    const fields = field.fields ?? this.common.get(name);
    if (!fields) throw new Error(`no fields for ${name}`);
    return fields;
  }

  private isStruct(type: string): boolean {
    return /^(\[\])?[A-Z]/.test(type);
  }

  /** The value of an absent field, as the generated decoder fills it in. */
  defaultOf(field: SpecField): unknown {
    const t = field.type;
    if (t.startsWith('[]')) return field.default === 'null' ? null : [];
    if (this.isStruct(t)) return undefined;
    if (field.default === 'null') return null;
    switch (t) {
      case 'bool':
        return field.default === 'true';
      case 'string':
        return field.default ?? '';
      case 'uuid':
        return 'AAAAAAAAAAAAAAAAAAAAAA';
      case 'bytes':
        return Buffer.alloc(0);
      case 'records':
        return null;
      default:
        return field.default === undefined ? 0 : Number(field.default);
    }
  }

  // --- random messages --------------------------------------------------------------------

  /** A random message of `version`, holding exactly the fields that version has (tagged ones sometimes left out). */
  arbitrary(version: number): fc.Arbitrary<Record<string, unknown>> {
    return this.structArbitrary(this.spec.fields, version, 0);
  }

  private structArbitrary(fields: SpecField[], version: number, depth: number): fc.Arbitrary<Record<string, unknown>> {
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    const required: string[] = [];
    for (const field of fields) {
      if (!inRange(field.versions, version)) continue;
      const name = camel(field.name);
      let value = this.valueArbitrary(field, version, depth);
      if (inRange(field.nullableVersions, version)) value = fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: value });
      shape[name] = value;
      if (!inRange(field.taggedVersions, version)) required.push(name);
    }
    return fc.record(shape, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
  }

  private valueArbitrary(field: SpecField, version: number, depth: number): fc.Arbitrary<unknown> {
    const t = field.type;
    if (t.startsWith('[]')) {
      const element: SpecField = { ...field, type: t.slice(2), nullableVersions: undefined, default: undefined };
      return fc.array(this.valueArbitrary(element, version, depth + 1), { maxLength: depth >= 2 ? 2 : 3 });
    }
    if (this.isStruct(t)) return this.structArbitrary(this.structFields(field), version, depth + 1);
    const bounds = INT_BOUNDS[t];
    if (bounds) {
      const [min, max] = bounds;
      const edges = fc.constantFrom(min, max, 0, -1 >= min ? -1 : 1, Number(field.default ?? 0));
      return fc.oneof(fc.integer({ min: Math.max(min, -1000), max: Math.min(max, 1000) }), fc.integer({ min, max }), edges);
    }
    switch (t) {
      case 'bool':
        return fc.boolean();
      case 'float64':
        return fc.double({ noNaN: true });
      case 'string':
        return fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }), fc.constant(''));
      case 'uuid':
        return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64url'));
      case 'bytes':
        return fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
      case 'records':
        // A single Buffer, or several (segment views) written back to back.
        return fc.oneof(
          fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
          fc.array(fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)), { maxLength: 3 }),
        );
    }
    throw new Error(`no arbitrary for ${t}`);
  }

  // --- what decoding returns -------------------------------------------------------------------

  /**
   * What decode(encode(message)) must return at `version`: every field the generated
   * versions know, absent ones and tagged ones equal to their default set to the default,
   * records joined into one Buffer.
   */
  expectedDecode(message: Record<string, unknown>, version: number): Record<string, unknown> {
    return this.expectStruct(this.spec.fields, message, version, this.lo, this.hi);
  }

  private expectStruct(fields: SpecField[], message: Record<string, unknown>, version: number, lo: number, hi: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of fields) {
      if (!meets(field.versions, lo, hi)) continue;
      const name = camel(field.name);
      const value = message[name];
      if (!inRange(field.versions, version) || value === undefined) {
        out[name] = this.defaultOf(field);
        continue;
      }
      // The struct's own context: the versions in which its parent field is present.
      let subLo = lo;
      let subHi = hi;
      while (subLo <= subHi && !inRange(field.versions, subLo)) subLo++;
      while (subHi >= subLo && !inRange(field.versions, subHi)) subHi--;
      out[name] = this.expectValue(field, value, version, subLo, subHi);
    }
    return out;
  }

  private expectValue(field: SpecField, value: unknown, version: number, lo: number, hi: number): unknown {
    if (value === null) return null;
    const t = field.type;
    if (t.startsWith('[]')) {
      const element: SpecField = { ...field, type: t.slice(2) };
      return (value as unknown[]).map((v) => this.expectValue(element, v, version, lo, hi));
    }
    if (this.isStruct(t)) return this.expectStruct(this.structFields(field), value as Record<string, unknown>, version, lo, hi);
    if (t === 'records' && Array.isArray(value)) return Buffer.concat(value as Buffer[]);
    return value;
  }
}

/** A message module generated under src/protocol/messages or test/protocol/generated. */
export type Codec = Record<string, unknown> & { minVersion: number; maxVersion: number };

export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}
