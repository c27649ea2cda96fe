/**
 * Checks on the arguments of the public client API (Skein, Producer, Consumer, Admin), so that
 * a wrong type is refused with SKEIN_INVALID_ARGUMENT (naming the argument) before anything
 * happens, instead of being half-understood: a string where an array belongs is iterated
 * character by character (`deleteTopics({ topics: 'orders' })` deleted `o` and `r`), a string
 * partition '0' is not partition 0, a handler that is not a function fails later, elsewhere.
 * Pure functions; each returns the value it checked, typed.
 */
import { SkeinError } from '../errors.js';

function invalid(argument: string, expected: string, got: unknown): SkeinError {
  return new SkeinError('SKEIN_INVALID_ARGUMENT', `${argument} must be ${expected}, got ${describe(got)}`, { argument });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${String(value)}`;
  return typeof value;
}

export function object<T extends object>(value: T | null | undefined, argument: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(argument, 'an object', value);
  return value;
}

export function array<T>(value: T[] | null | undefined, argument: string): T[] {
  if (!Array.isArray(value)) throw invalid(argument, 'an array', value);
  return value;
}

export function string(value: unknown, argument: string): string {
  if (typeof value !== 'string') throw invalid(argument, 'a string', value);
  return value;
}

export function nonEmptyString(value: unknown, argument: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(argument, 'a non-empty string', value);
  return value;
}

/** An array of non-empty strings (topic names, group ids). */
export function stringArray(value: unknown, argument: string): string[] {
  if (!Array.isArray(value)) throw invalid(argument, 'an array of strings', value);
  value.forEach((item, i) => nonEmptyString(item, `${argument}[${i}]`));
  return value as string[];
}

export function optionalBoolean(value: unknown, argument: string): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw invalid(argument, 'a boolean', value);
  return value as boolean | undefined;
}

export function optionalFunction<F extends (...args: never[]) => unknown>(value: F | undefined, argument: string): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw invalid(argument, 'a function', value);
  return value;
}

/** An integer in [min, max] (a number: the string '0' is refused). */
export function integer(value: unknown, argument: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(argument, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

export function optionalInteger(value: unknown, argument: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return value === undefined ? undefined : integer(value, argument, min, max);
}

/** An offset as kafkajs passes them: a non-negative integer, as a number or a decimal string. */
export function offset(value: unknown, argument: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid(argument, 'a non-negative integer offset (number or decimal string)', value);
  return n;
}

/** Milliseconds since the epoch, as a number or a decimal string (kafkajs accepts both); never negative. */
export function timestamp(value: unknown, argument: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid(argument, 'a non-negative time in ms since the epoch', value);
  return n;
}
