// Emits the TypeScript of one generated message file: for each message model (spec.mjs),
// an interface per struct, a decoder and an encoder per struct, and a grammar comment.
//
// Shape of the code (the runtime helpers are in src/protocol/codec/):
// - decoders read each field into a local in wire order, then the tagged-field section,
//   and build the object literal at the end (one shape per struct: every field is set,
//   absent ones to their default);
// - encoders write each field present in the version, check that a non-ignorable field
//   the version lacks still holds its default (Java throws UnsupportedVersionException
//   there), and write the tagged fields that differ from their defaults, in tag order;
// - `flexible` and presence tests are simplified against the versions the struct can
//   appear in, so a field present in every generated version is read with no test.
import { complement, condition, covers, formatRange, isEmpty, intersect, split } from './versions.mjs';

const RESERVED = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await undefined r w m version flexible tag value tw')
    .split(' '),
);

const NUMBER_KINDS = new Set(['int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64']);
const capitalized = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const methodSuffix = { int8: 'Int8', int16: 'Int16', uint16: 'Uint16', int32: 'Int32', uint32: 'Uint32', int64: 'Int64', float64: 'Float64', bool: 'Bool', uuid: 'Uuid' };

/** Joins two conditions with &&, simplifying constants. */
function and(a, b) {
  if (a === 'false' || b === 'false') return 'false';
  if (a === 'true') return b;
  if (b === 'true') return a;
  return `${paren(a)} && ${paren(b)}`;
}
const paren = (c) => (/^[\w.]+$/.test(c) ? c : `(${c})`);
/** `cond ? a : b` with constant conditions folded. */
const choose = (cond, a, b) => (cond === 'true' ? a : cond === 'false' ? b : `(${cond} ? ${a} : ${b})`);

/**
 * Code for the versions of `within` split by `range`: `make(flag, sub)` is called with
 * flag true for those inside (sub = them) and false for the others, then joined by a test.
 */
function byRange(range, within, make) {
  const cond = condition(range, within);
  const [inside, outside] = split(range, within);
  if (cond === 'true') return make(true, inside);
  if (cond === 'false') return make(false, within);
  return { cond, yes: make(true, inside), no: make(false, outside) };
}
const chooseBy = (range, within, make) => {
  const r = byRange(range, within, make);
  return typeof r === 'string' ? r : `(${r.cond} ? ${r.yes} : ${r.no})`;
};

export class MessageEmitter {
  constructor() {
    /** Runtime helpers used, by module: they become the file's imports. */
    this.used = { compound: new Set(), malformed: new Set(), uuid: new Set(), writerValue: false, records: false };
  }

  // --- types ----------------------------------------------------------------------------

  tsType(type) {
    if (NUMBER_KINDS.has(type.kind)) return 'number';
    switch (type.kind) {
      case 'bool': return 'boolean';
      case 'string': case 'uuid': return 'string';
      case 'bytes': return 'Buffer';
      case 'records': this.used.records = true; return 'Records';
      case 'array': {
        const element = this.tsType(type.element);
        return /^\w+$/.test(element) ? `${element}[]` : `Array<${element}>`;
      }
      case 'struct': return type.struct;
    }
    throw new Error(`no TypeScript type for ${type.kind}`);
  }

  fieldType(field) {
    return this.tsType(field.type) + (isEmpty(field.nullable) ? '' : ' | null');
  }

  /** The value a field takes when absent (and the baseline for tagged fields), as code. */
  defaultValue(field) {
    const d = field.default;
    const kind = field.type.kind;
    if (NUMBER_KINDS.has(kind)) {
      const n = d === undefined ? 0 : Number(d);
      if (!Number.isFinite(n) || (kind !== 'float64' && !Number.isSafeInteger(n))) throw new Error(`${field.name}: default ${d}`);
      return String(n);
    }
    if (d === 'null') {
      if (isEmpty(field.nullable)) throw new Error(`${field.name}: default null on a field that is never nullable here`);
      return 'null';
    }
    switch (kind) {
      case 'bool': return d === 'true' ? 'true' : 'false';
      case 'string': return JSON.stringify(d ?? '');
      case 'uuid': this.used.uuid.add('ZERO_UUID'); return 'ZERO_UUID';
      case 'bytes': return 'Buffer.alloc(0)';
      case 'records': return 'null';
      case 'array': return '[]';
      case 'struct': return 'undefined';
    }
    throw new Error(`${field.name}: no default for ${kind}`);
  }

  /** Code testing that `v` (possibly undefined) differs from the field's default. */
  nonDefault(field, v) {
    const kind = field.type.kind;
    const d = this.defaultValue(field);
    if (kind === 'struct' || d === 'null' || kind === 'records') return `${v} != null`;
    if (kind === 'bytes' || kind === 'array') return `${v} !== undefined && (${v} === null || ${v}.length !== 0)`;
    return `${v} !== undefined && ${v} !== ${d}`;
  }

  // --- decoding -------------------------------------------------------------------------

  elementCodec(type, compactCond, direction) {
    if (type.kind === 'struct') return `${direction}${type.struct}`;
    if (type.kind === 'string' || type.kind === 'bytes') {
      const base = capitalized(type.kind);
      const pick = (compact) => `${direction}${compact ? 'Compact' : ''}${base}Element`;
      if (compactCond !== 'false') this.used.compound.add(pick(true));
      if (compactCond !== 'true') this.used.compound.add(pick(false));
      return choose(compactCond, pick(true), pick(false));
    }
    if (!methodSuffix[type.kind]) throw new Error(`no array element codec for ${type.kind}`);
    const name = `${direction}${methodSuffix[type.kind]}Element`;
    this.used.compound.add(name);
    return name;
  }

  /** An expression reading `field` in the versions of `within`. */
  readExpr(field, within) {
    const type = field.type;
    const compact = condition(field.compact, within);
    const nullable = condition(field.nullable, within);
    if (NUMBER_KINDS.has(type.kind) || type.kind === 'bool' || type.kind === 'uuid') return `r.read${methodSuffix[type.kind]}()`;
    if (type.kind === 'string' || type.kind === 'bytes') {
      const base = capitalized(type.kind);
      const method = (c, n) => `r.read${c ? 'Compact' : ''}${n ? 'Nullable' : ''}${base}()`;
      return chooseBy(field.compact, within, (c, sub) => chooseBy(field.nullable, sub, (n) => method(c, n)));
    }
    if (type.kind === 'records') {
      const read = choose(compact, 'r.readCompactRecords()', 'r.readRecords()');
      if (nullable === 'true') return read;
      this.used.compound.add('requireRecords');
      return choose(nullable, read, `requireRecords(${read}, r)`);
    }
    if (type.kind === 'array') {
      this.used.compound.add('readArray');
      const read = `readArray(r, ${compact}, ${nullable}, version, ${this.elementCodec(type.element, compact, 'read')})`;
      return isEmpty(field.nullable) ? `${read} as ${this.tsType(type)}` : read;
    }
    if (type.kind === 'struct') {
      if (nullable !== 'false') this.used.compound.add('readNullableStruct');
      return choose(nullable, `readNullableStruct(r, version, read${type.struct})`, `read${type.struct}(r, version)`);
    }
    throw new Error(`cannot read ${type.kind}`);
  }

  emitDecoder(message, struct, isTop) {
    const ctx = struct.context;
    const flexible = condition(message.flexible, ctx);
    const lines = [];
    const fnName = isTop ? `decode${struct.name}` : `read${struct.name}`;
    lines.push(isTop
      ? `/** Decodes a ${struct.name} body of \`version\` (the reader is past the request/response header). */\nexport function ${fnName}(r: Reader, version: number): ${struct.name} {`
      : `function ${fnName}(r: Reader, version: number): ${struct.name} {`);
    if (!['true', 'false'].includes(flexible)) lines.push(`  const flexible = ${flexible};`);
    const flexibleRef = ['true', 'false'].includes(flexible) ? flexible : 'flexible';
    const locals = [];
    const tagged = [];
    for (const field of struct.fields) {
      const local = RESERVED.has(field.name) ? `${field.name}_` : field.name;
      locals.push([field.name, local]);
      const type = this.fieldType(field) + (field.required ? '' : this.defaultValue(field) === 'undefined' ? ' | undefined' : '');
      const regular = condition(field.regular, ctx);
      const hasTag = !isEmpty(field.tagged);
      if (hasTag) tagged.push({ field, local });
      const keyword = hasTag ? 'let' : 'const';
      if (regular === 'true') lines.push(`  ${keyword} ${local}: ${type} = ${this.readExpr(field, field.regular)};`);
      else if (regular === 'false') lines.push(`  ${keyword} ${local}: ${type} = ${this.defaultValue(field)};`);
      else lines.push(`  ${keyword} ${local}: ${type} = ${regular} ? ${this.readExpr(field, field.regular)} : ${this.defaultValue(field)};`);
    }
    if (flexibleRef !== 'false') {
      const body = [];
      if (tagged.length === 0) {
        body.push('r.skipTaggedFields();');
      } else {
        body.push('r.readTaggedFields((tag) => {');
        body.push('  switch (tag) {');
        for (const { field, local } of [...tagged].sort((a, b) => a.field.tag - b.field.tag)) {
          const when = condition(field.tagged, ctx);
          body.push(`    case ${field.tag}:`);
          if (when === 'true') {
            body.push(`      ${local} = ${this.readExpr(field, field.tagged)};`);
            body.push('      return true;');
          } else {
            body.push(`      if (!(${when})) return false;`);
            body.push(`      ${local} = ${this.readExpr(field, field.tagged)};`);
            body.push('      return true;');
          }
        }
        body.push('    default:');
        body.push('      return false;');
        body.push('  }');
        body.push('});');
      }
      if (flexibleRef === 'true') lines.push(...body.map((l) => `  ${l}`));
      else lines.push(`  if (flexible) {`, ...body.map((l) => `    ${l}`), '  }');
    }
    const entries = locals.map(([name, local]) => (name === local ? name : `${name}: ${local}`));
    lines.push(entries.length === 0 ? '  return {};' : `  return { ${entries.join(', ')} };`);
    lines.push('}');
    return lines.join('\n');
  }

  // --- encoding -------------------------------------------------------------------------

  /** Statements writing `v` (the field's value, never undefined) with writer `w`, in `within`. */
  writeStatements(field, within, v, w, known = false) {
    const type = field.type;
    const compact = condition(field.compact, within);
    const nullable = condition(field.nullable, within);
    const fieldNullable = !isEmpty(field.nullable);
    if (NUMBER_KINDS.has(type.kind) || type.kind === 'bool' || type.kind === 'uuid') return [`${w}.write${methodSuffix[type.kind]}(${v});`];
    if (type.kind === 'string' || type.kind === 'bytes') {
      const base = capitalized(type.kind);
      const tsBase = type.kind === 'string' ? 'string' : 'Buffer';
      const call = (c, n) => `${w}.write${c ? 'Compact' : ''}${n ? 'Nullable' : ''}${base}(${n || !fieldNullable ? v : `${v} as ${tsBase}`});`;
      return this.branchBy(field.compact, within, (c, sub) => this.branchBy(field.nullable, sub, (n) => [call(c, n)]));
    }
    if (type.kind === 'records') {
      const call = (c, n) => {
        if (!n) this.used.compound.add('requireValue');
        return `${w}.write${c ? 'Compact' : ''}Records(${n ? v : `requireValue(${v}, '${field.name}')`});`;
      };
      return this.branchBy(field.compact, within, (c, sub) => this.branchBy(field.nullable, sub, (n) => [call(c, n)]));
    }
    if (type.kind === 'array') {
      this.used.compound.add('writeArray');
      return [`writeArray(${w}, ${compact}, ${nullable}, version, ${v}, ${this.elementCodec(type.element, compact, 'write')});`];
    }
    if (type.kind === 'struct') {
      const optional = !known; // also for required fields: a JavaScript caller may still pass null
      return this.branch(nullable, (n) => {
        if (n) {
          this.used.compound.add('writeNullableStruct');
          return [`writeNullableStruct(${w}, version, ${v}, write${type.struct});`];
        }
        if (optional) this.used.compound.add('requireValue');
        return [`write${type.struct}(${w}, version, ${optional ? `requireValue(${v}, '${field.name}')` : v});`];
      });
    }
    throw new Error(`cannot write ${type.kind}`);
  }

  /** `branch` over the versions of `within` split by `range` (see byRange). */
  branchBy(range, within, make) {
    const r = byRange(range, within, make);
    if (Array.isArray(r)) return r;
    return this.branch(r.cond, (flag) => (flag ? r.yes : r.no));
  }

  /** Statements for both values of a condition, folded when it is constant. */
  branch(cond, make) {
    if (cond === 'true') return make(true);
    if (cond === 'false') return make(false);
    const yes = make(true);
    const no = make(false);
    if (yes.length === 1 && no.length === 1) return [`if (${cond}) ${yes[0]}`, `else ${no[0]}`];
    return [`if (${cond}) {`, ...yes.map((l) => `  ${l}`), '} else {', ...no.map((l) => `  ${l}`), '}'];
  }

  /** The field's value as code, its default standing in for undefined. */
  valueExpr(field) {
    const member = `m.${field.name}`;
    if (field.required) return member;
    const d = this.defaultValue(field);
    if (d === 'undefined') return member;
    return isEmpty(field.nullable) ? `${member} ?? ${d}` : `${member} === undefined ? ${d} : ${member}`;
  }

  emitEncoder(message, struct, isTop) {
    const ctx = struct.context;
    const flexible = condition(message.flexible, ctx);
    const lines = [];
    const fnName = isTop ? `encode${struct.name}` : `write${struct.name}`;
    lines.push(isTop
      ? `/** Encodes a ${struct.name} body of \`version\` (the caller writes the header first). */\nexport function ${fnName}(w: Writer, version: number, m: ${struct.name}): void {`
      : `function ${fnName}(w: Writer, version: number, m: ${struct.name}): void {`);
    if (!['true', 'false'].includes(flexible)) lines.push(`  const flexible = ${flexible};`);
    const flexibleRef = ['true', 'false'].includes(flexible) ? flexible : 'flexible';
    const tagged = [];
    for (const field of struct.fields) {
      // Tagged versions are flexible ones, so a field is written in all of `present`.
      if (!covers(field.present, ctx) && !field.ignorable) {
        this.used.malformed.add('unsupportedField');
        const absent = complement(field.present, ctx);
        lines.push(`  if (${and(absent, this.nonDefault(field, `m.${field.name}`))}) throw unsupportedField('${struct.name}', '${field.name}', version);`);
      }
      if (!isEmpty(field.tagged)) tagged.push(field);
      const regular = condition(field.regular, ctx);
      if (regular === 'false') continue;
      const value = this.valueExpr(field);
      const statements = this.writeStatements(field, field.regular, value, 'w');
      if (regular === 'true') lines.push(...statements.map((l) => `  ${l}`));
      else if (statements.length === 1) lines.push(`  if (${regular}) ${statements[0]}`);
      else lines.push(`  if (${regular}) {`, ...statements.map((l) => `    ${l}`), '  }');
    }
    if (flexibleRef !== 'false') {
      const body = [];
      if (tagged.length === 0) {
        body.push('w.writeEmptyTaggedFields();');
      } else {
        this.used.writerValue = true;
        const sorted = [...tagged].sort((a, b) => a.tag - b.tag);
        const flags = sorted.map((field) => `tag${field.tag}`);
        sorted.forEach((field, i) => {
          body.push(`const ${flags[i]} = ${and(condition(field.tagged, ctx), this.nonDefault(field, `m.${field.name}`))};`);
        });
        body.push(`w.writeUnsignedVarint(${flags.map((f) => `(${f} ? 1 : 0)`).join(' + ')});`);
        sorted.forEach((field, i) => {
          body.push(`if (${flags[i]}) {`);
          body.push('  const tw = new Writer(64);');
          // nonDefault held, so the value is there: undefined cannot reach the writer
          const value = `m.${field.name}!`;
          body.push(...this.writeStatements(field, field.tagged, value, 'tw', true).map((l) => `  ${l}`));
          body.push(`  w.writeTaggedField(${field.tag}, tw);`);
          body.push('}');
        });
      }
      if (flexibleRef === 'true') lines.push(...body.map((l) => `  ${l}`));
      else lines.push('  if (flexible) {', ...body.map((l) => `    ${l}`), '  }');
    }
    lines.push('}');
    return lines.join('\n');
  }

  // --- interfaces and grammar -------------------------------------------------------------

  fieldNotes(field, ctx) {
    const notes = [];
    if (!isEmpty(field.regular) && !(field.regular.lo <= ctx.lo && field.regular.hi >= ctx.hi)) notes.push(`v${formatRange(field.regular)}`);
    if (!isEmpty(field.tagged)) notes.push(`tagged ${field.tag} in v${formatRange(field.tagged)}`);
    if (!isEmpty(field.nullable)) notes.push(`nullable v${formatRange(field.nullable)}`);
    if (!isEmpty(field.compact) && !isEmpty(intersect(field.present, field.compact)) && field.raw.flexibleVersions !== undefined) notes.push(`compact v${formatRange(field.compact)}`);
    if (field.raw.flexibleVersions === 'none') notes.push('never compact');
    if (field.default !== undefined) notes.push(`default ${field.default}`);
    if (field.ignorable) notes.push('ignorable');
    return notes;
  }

  emitInterface(struct) {
    const lines = [];
    if (struct.about) lines.push(`/** ${escapeComment(struct.about)} */`);
    lines.push(`export interface ${struct.name} {`);
    for (const field of struct.fields) {
      const notes = this.fieldNotes(field, struct.context);
      const doc = `${escapeComment(field.about)}${notes.length ? ` (${notes.join('; ')})` : ''}`.trim();
      if (doc) lines.push(`  /** ${doc} */`);
      lines.push(`  ${field.name}${field.required ? '' : '?'}: ${this.fieldType(field)};`);
    }
    lines.push('}');
    return lines.join('\n');
  }

  /** Kafka-style grammar of a message over the generated versions, as comment lines. */
  grammar(message) {
    const lines = [];
    const top = message.structs.get(message.name);
    const flex = isEmpty(message.flexible) ? 'no flexible version here' : `flexible versions ${message.spec.flexibleVersions}`;
    lines.push(`${message.name} v${formatRange(message.generated)} (${flex}) =>`);
    const walk = (struct, depth) => {
      for (const field of struct.fields) {
        const typeName = field.raw.type;
        const notes = this.fieldNotes(field, struct.context).filter((n) => !n.startsWith('default') && n !== 'ignorable');
        lines.push(`${'  '.repeat(depth)}${field.name}: ${typeName}${notes.length ? ` (${notes.join('; ')})` : ''}`);
        const element = field.type.kind === 'array' ? field.type.element : field.type;
        if (element.kind === 'struct') walk(message.structs.get(element.struct), depth + 1);
      }
    };
    walk(top, 1);
    return lines;
  }

  emitMessage(message) {
    const parts = [];
    for (const struct of message.structs.values()) parts.push(this.emitInterface(struct));
    for (const struct of message.structs.values()) parts.push(this.emitDecoder(message, struct, struct.name === message.name));
    for (const struct of message.structs.values()) parts.push(this.emitEncoder(message, struct, struct.name === message.name));
    return parts.join('\n\n');
  }

  imports(codecDir) {
    const lines = [];
    const compound = [...this.used.compound].sort();
    if (compound.length) lines.push(`import { ${compound.join(', ')} } from '${codecDir}/compound.js';`);
    const malformed = [...this.used.malformed].sort();
    if (malformed.length) lines.push(`import { ${malformed.join(', ')} } from '${codecDir}/malformed.js';`);
    lines.push(`import type { Reader } from '${codecDir}/reader.js';`);
    if (this.used.records) lines.push(`import type { Records } from '${codecDir}/records.js';`);
    const uuid = [...this.used.uuid].sort();
    if (uuid.length) lines.push(`import { ${uuid.join(', ')} } from '${codecDir}/uuid.js';`);
    lines.push(this.used.writerValue ? `import { Writer } from '${codecDir}/writer.js';` : `import type { Writer } from '${codecDir}/writer.js';`);
    return lines;
  }
}

function escapeComment(text) {
  return text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
}
