// Reads a Kafka message spec (clients/src/main/resources/common/message/*.json) and turns
// it into the model the emitter walks: structs with their fields, each field with the
// versions (within those we generate) in which it is present, nullable, tagged, compact.
//
// Spec rules followed (Kafka's MessageGenerator, FieldSpec, StructRegistry):
// - "versions": the field is on the wire in those versions; outside them it takes its
//   default. Fields absent from every generated version are dropped.
// - "taggedVersions" + "tag": in those versions the field lives in the tagged-field section
//   (written only when it differs from its default); Kafka requires them open-ended and a
//   suffix of "versions", so below them the field is a regular one.
// - "nullableVersions", "default", "ignorable", "flexibleVersions" (field level: "none"
//   keeps classic encodings in flexible versions, as RequestHeader's ClientId does).
// - Struct types are named by "type" ("[]Name" or "Name"): inline "fields" define them,
//   otherwise they come from the message's "commonStructs".
import { readFileSync } from 'node:fs';
import { EMPTY, covers, hull, intersect, isEmpty, parseVersions, sameRange } from './versions.mjs';

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

/** A spec file as an object: Kafka's files carry // comment lines, which JSON does not allow. */
export function loadSpec(path) {
  const text = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
  return JSON.parse(text);
}

export const camelCase = (name) => name.charAt(0).toLowerCase() + name.slice(1);

function parseType(type, where) {
  if (type.startsWith('[]')) return { kind: 'array', element: parseType(type.slice(2), where) };
  if (PRIMITIVES.has(type)) return { kind: type };
  if (/^[A-Z][A-Za-z0-9]*$/.test(type)) return { kind: 'struct', struct: type };
  throw new Error(`${where}: unknown type ${type}`);
}

/**
 * The model of one message spec generated for `generated` versions ({ lo, hi }):
 * { name, spec, flexible, structs: Map<name, struct> } with the top-level struct named
 * after the message and every struct { name, about, context, fields }.
 */
export function buildMessage(spec, generated) {
  const where = spec.name;
  const valid = parseVersions(spec.validVersions, where);
  if (!covers(valid, generated)) throw new Error(`${where}: versions ${generated.lo}-${generated.hi} are not all valid (${spec.validVersions})`);
  const flexible = parseVersions(spec.flexibleVersions, where) ?? EMPTY;
  const common = new Map((spec.commonStructs ?? []).map((s) => [s.name, s]));
  const structs = new Map();

  // Each struct's context is the set of generated versions in which it can appear, the
  // hull over every field that uses it; a common struct used again with a wider context
  // is walked again so its own fields see the wider one.
  function visit(name, about, rawFields, context, path) {
    let struct = structs.get(name);
    if (struct) {
      if (struct.rawFields !== rawFields) {
        throw new Error(`${where}: two different structs are named ${name} (rename one in the generator)`);
      }
      const wider = hull(struct.context, context);
      if (sameRange(wider, struct.context)) return;
      struct.context = wider;
    } else {
      struct = { name, about, rawFields, context, fields: [] };
      structs.set(name, struct);
    }
    struct.fields = rawFields.map((raw) => normalizeField(raw, struct.context, `${path}.${raw.name}`)).filter((f) => f !== null);
    for (const field of struct.fields) {
      const elementType = field.type.kind === 'array' ? field.type.element : field.type;
      if (elementType.kind !== 'struct') continue;
      const rawStruct = field.raw.fields ?? common.get(elementType.struct)?.fields;
      if (!rawStruct) throw new Error(`${where}: struct ${elementType.struct} has no fields and is not a common struct`);
      visit(elementType.struct, field.raw.about ?? '', rawStruct, field.present, `${path}.${field.raw.name}`);
    }
  }

  function normalizeField(raw, context, path) {
    const versions = parseVersions(raw.versions, path);
    if (!versions) throw new Error(`${path}: no versions`);
    const present = intersect(versions, context);
    if (isEmpty(present)) return null;
    const type = parseType(raw.type, path);
    const tagged = raw.taggedVersions === undefined ? EMPTY : intersect(parseVersions(raw.taggedVersions, path), present);
    if (raw.taggedVersions !== undefined) {
      const taggedAll = parseVersions(raw.taggedVersions, path);
      if (taggedAll.hi !== Infinity || versions.hi !== Infinity) throw new Error(`${path}: taggedVersions must be open-ended`);
      if (raw.tag === undefined) throw new Error(`${path}: taggedVersions without tag`);
    }
    const regular = isEmpty(tagged) ? present : intersect(present, { lo: present.lo, hi: tagged.lo - 1 });
    const nullable = intersect(parseVersions(raw.nullableVersions, path) ?? EMPTY, present);
    if (!isEmpty(nullable) && !['string', 'bytes', 'records', 'array', 'struct'].includes(type.kind)) {
      throw new Error(`${path}: a ${type.kind} cannot be nullable`);
    }
    const fieldFlexible = raw.flexibleVersions === undefined ? flexible : intersect(flexible, parseVersions(raw.flexibleVersions, path));
    return {
      raw,
      name: camelCase(raw.name),
      type,
      present,
      regular,
      tagged,
      tag: raw.tag,
      nullable,
      compact: intersect(fieldFlexible, present),
      ignorable: raw.ignorable === true,
      default: raw.default,
      about: raw.about ?? '',
      // required in TypeScript: on the wire, untagged, in every version the struct can appear in
      required: isEmpty(tagged) && covers(present, context),
    };
  }

  visit(spec.name, '', spec.fields, generated, spec.name);
  for (const struct of structs.values()) {
    const tags = struct.fields.filter((f) => !isEmpty(f.tagged)).map((f) => f.tag);
    if (new Set(tags).size !== tags.length) throw new Error(`${where}: ${struct.name} repeats a tag`);
  }
  return { name: spec.name, spec, generated, flexible: intersect(flexible, generated), structs };
}
