/**
 * Avro schema resolution (the Avro specification, "Schema Resolution"): can data written with
 * one schema be read with another? Implemented over avsc's parsed types rather than avsc's own
 * resolver, because the resolver throws on the first problem and is lenient where Avro is not
 * (it matches records by unqualified name). This returns every problem with its path, as
 * Confluent's verbose compatibility answer does.
 *
 * Rules, writer W and reader R:
 *  - W a union: every branch of W must be readable by R.
 *  - R a union (W not): some branch of R reads W.
 *  - same primitive; promotions int→long|float|double, long→float|double, float→double,
 *    string→bytes, bytes→string.
 *  - records: full names equal, or W's full name is one of R's aliases; each R field is found
 *    in W by name or by one of the R field's aliases (types resolved recursively) or has a
 *    default; W fields missing from R are skipped.
 *  - enums: names match; every W symbol is an R symbol, unless R has a default symbol.
 *  - fixed: names match and sizes are equal.  arrays: items; maps: values.
 * Logical types resolve as their underlying types (avsc parses them so without a registry).
 * Pure functions; no I/O.
 */
import type { Type } from 'avsc';

/** One reason the reader cannot read the writer's data: where, and what. */
export interface Incompatibility {
  path: string;
  message: string;
}

interface AvscNamed {
  name?: string;
  aliases?: string[];
}

interface AvscField {
  name: string;
  aliases: string[];
  type: Type;
  defaultValue(): unknown;
}

type AnyType = Type & AvscNamed & {
  typeName: string;
  fields?: AvscField[];
  symbols?: string[];
  default?: string;
  types?: Type[];
  itemsType?: Type;
  valuesType?: Type;
  size?: number;
};

const PROMOTIONS: Record<string, string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

/** Everything that stops `reader` from reading data written with `writer` (empty: compatible). */
export function readerProblems(reader: Type, writer: Type): Incompatibility[] {
  const problems: Incompatibility[] = [];
  check(reader as AnyType, writer as AnyType, '', problems, new Set());
  return problems;
}

function kindOf(type: AnyType): string {
  return type.typeName.startsWith('union') ? 'union' : type.typeName === 'error' ? 'record' : type.typeName;
}

function describe(type: AnyType): string {
  const kind = kindOf(type);
  return type.name ? `${kind} ${type.name}` : kind;
}

function check(reader: AnyType, writer: AnyType, path: string, out: Incompatibility[], seen: Set<string>): void {
  const writerKind = kindOf(writer);
  const readerKind = kindOf(reader);
  if (writerKind === 'union') {
    writer.types!.forEach((branch, i) => {
      check(reader, branch as AnyType, `${path}/${i}`, out, seen);
    });
    return;
  }
  if (readerKind === 'union') {
    const fits = reader.types!.some((branch) => {
      const trial: Incompatibility[] = [];
      check(branch as AnyType, writer, path, trial, new Set(seen));
      return trial.length === 0;
    });
    if (!fits) out.push({ path: path || '/', message: `reader union lacks a branch for the writer's ${describe(writer)}` });
    return;
  }
  if (readerKind !== writerKind) {
    if (!PROMOTIONS[writerKind]?.includes(readerKind)) {
      out.push({ path: path || '/', message: `reader type ${describe(reader)} cannot read writer type ${describe(writer)}` });
    }
    return;
  }
  switch (readerKind) {
    case 'record':
      checkRecord(reader, writer, path, out, seen);
      return;
    case 'enum':
      if (!namesMatch(reader, writer)) return mismatchedName(reader, writer, path, out);
      if (reader.default === undefined) {
        const missing = writer.symbols!.filter((s) => !reader.symbols!.includes(s));
        if (missing.length > 0) {
          out.push({ path: `${path}/symbols`, message: `reader enum ${reader.name} lacks writer symbols ${missing.join(', ')} and has no default` });
        }
      }
      return;
    case 'fixed':
      if (!namesMatch(reader, writer)) return mismatchedName(reader, writer, path, out);
      if (reader.size !== writer.size) {
        out.push({ path: `${path}/size`, message: `reader fixed ${reader.name} has size ${reader.size}, writer ${writer.size}` });
      }
      return;
    case 'array':
      check(reader.itemsType as AnyType, writer.itemsType as AnyType, `${path}/items`, out, seen);
      return;
    case 'map':
      check(reader.valuesType as AnyType, writer.valuesType as AnyType, `${path}/values`, out, seen);
      return;
    default:
      // Same primitive.
      return;
  }
}

function namesMatch(reader: AnyType, writer: AnyType): boolean {
  return reader.name === writer.name || (writer.name !== undefined && (reader.aliases ?? []).includes(writer.name));
}

function mismatchedName(reader: AnyType, writer: AnyType, path: string, out: Incompatibility[]): void {
  out.push({ path: `${path}/name`, message: `reader ${describe(reader)} does not match writer ${describe(writer)} (names and aliases differ)` });
}

function checkRecord(reader: AnyType, writer: AnyType, path: string, out: Incompatibility[], seen: Set<string>): void {
  if (!namesMatch(reader, writer)) return mismatchedName(reader, writer, path, out);
  // Recursive types: a pair of records already being checked further up holds if the rest does.
  const pair = `${reader.name}\u0000${writer.name}`;
  if (seen.has(pair)) return;
  seen.add(pair);
  const writerFields = new Map(writer.fields!.map((f) => [f.name, f]));
  for (const field of reader.fields!) {
    const source = writerFields.get(field.name) ?? field.aliases.map((a) => writerFields.get(a)).find((f) => f !== undefined);
    const fieldPath = `${path}/fields/${field.name}`;
    if (source) {
      check(field.type as AnyType, source.type as AnyType, `${fieldPath}/type`, out, seen);
    } else if (field.defaultValue() === undefined) {
      out.push({ path: fieldPath, message: `reader field ${field.name} of ${reader.name} is missing from the writer and has no default` });
    }
  }
  seen.delete(pair);
}
