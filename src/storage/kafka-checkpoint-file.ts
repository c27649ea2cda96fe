/**
 * Kafka's checkpoint text format (its CheckpointFile), shared by the files that use it so a
 * data folder reads the same to Kafka's eyes and tools:
 *
 *   0                 <- format version
 *   2                 <- number of entries
 *   <entry>           <- one line each, fields separated by single spaces
 *   <entry>
 *
 * Replaced atomically (write to `.tmp`, fsync, rename, fsync of the folder), so a crash leaves
 * the old content or the new. This file knows the frame only: what an entry holds (leader
 * epochs, per-partition offsets) belongs to the file that uses it, which parses each line.
 * Synchronous, event loop.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromSystemError } from '../errors.js';
import { TEMP_SUFFIX } from './file-names.js';

const FORMAT_VERSION = 0;

export type CheckpointRead<T> = { state: 'ok'; entries: T[] } | { state: 'missing' } | { state: 'corrupt'; reason: string };

/**
 * Reads the file at `path`: its entries, 'missing', or 'corrupt' with what is wrong (never
 * throws for content). `parseEntry` gets a line's fields and the entries parsed so far, and
 * returns the entry or, for a line it refuses, the reason.
 */
export function readCheckpointFile<T>(path: string, parseEntry: (fields: string[], line: string, before: readonly T[]) => T | { corrupt: string }): CheckpointRead<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
    return { state: 'corrupt', reason: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) return { state: 'corrupt', reason: 'has no version and count lines' };
  if (lines[0] !== String(FORMAT_VERSION)) return { state: 'corrupt', reason: `has format version ${JSON.stringify(lines[0])}, expected ${FORMAT_VERSION}` };
  const count = parseNonNegative(lines[1]!);
  if (count === undefined) return { state: 'corrupt', reason: `has an entry count ${JSON.stringify(lines[1])}` };
  if (lines.length !== 2 + count) return { state: 'corrupt', reason: `says ${count} entries but holds ${lines.length - 2}` };
  const entries: T[] = [];
  for (let i = 0; i < count; i++) {
    const line = lines[2 + i]!;
    const entry = parseEntry(line.split(' '), line, entries);
    if (isRefusal(entry)) return { state: 'corrupt', reason: entry.corrupt };
    entries.push(entry);
  }
  return { state: 'ok', entries };
}

/** Replaces the file at `path` with these entry lines durably (tmp + fsync + rename + folder fsync). */
export function writeCheckpointFile(path: string, entryLines: readonly string[]): void {
  const temp = path + TEMP_SUFFIX;
  let text = `${FORMAT_VERSION}\n${entryLines.length}\n`;
  for (const line of entryLines) text += `${line}\n`;
  try {
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
    const dirFd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  } catch (err) {
    throw fromSystemError(err as NodeJS.ErrnoException, `cannot write ${path}`, { path });
  }
}

/** A whole number written in decimal digits that fits a safe integer, else undefined. */
export function parseNonNegative(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function isRefusal<T>(entry: T | { corrupt: string }): entry is { corrupt: string } {
  return typeof entry === 'object' && entry !== null && typeof (entry as { corrupt?: unknown }).corrupt === 'string';
}
