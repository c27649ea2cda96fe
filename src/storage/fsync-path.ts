/**
 * fsync of a folder or of one file by path, for the steps of a multi-step file operation that
 * must be durable before the next one starts (renames, a segment cut by a truncation, a
 * `.gaps` marker written before the batches that need it).
 *
 * Stateless; synchronous, on whichever thread calls it (the event loop for logs). Throws the
 * raw system error: callers wrap it with the context they know (fromSystemError).
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';

/** fsync of the folder, so renames, creations and unlinks in it are durable. */
export function syncDir(dir: string): void {
  syncPath(dir, 'r');
}

/** fsync of one file (a segment cut by truncateTo), so its new length is durable. */
export function syncFile(path: string): void {
  syncPath(path, 'r+');
}

function syncPath(path: string, flags: string): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
