/**
 * Confluent's compatibility levels over Avro schema resolution (avro-compatibility.ts):
 *   BACKWARD    the new schema reads data written with the latest version
 *   FORWARD     the latest version reads data written with the new schema
 *   FULL        both
 *   *_TRANSITIVE the same against every live version, not only the latest
 *   NONE        no check
 * Pure functions over parsed avsc types; the registry decides which versions are "live".
 */
import type { Type } from 'avsc';
import { readerProblems, type Incompatibility } from './avro-compatibility.js';

export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

/**
 * Problems that stop `candidate` from joining a subject whose live versions are `previous`
 * (oldest first) under `level`; an empty list means compatible.
 */
export function compatibilityProblems(level: CompatibilityLevel, candidate: Type, previous: ReadonlyArray<{ version: number; type: Type }>): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const messages: string[] = [];
  const report = (direction: string, version: number, problems: Incompatibility[]) => {
    for (const p of problems) messages.push(`${direction} of version ${version}: ${p.message} at ${p.path}`);
  };
  for (const { version, type: old } of against) {
    if (backward) report('new schema cannot read data', version, readerProblems(candidate, old));
    if (forward) report('data of the new schema cannot be read by the schema', version, readerProblems(old, candidate));
  }
  return messages;
}
