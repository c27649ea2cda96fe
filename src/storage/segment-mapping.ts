/**
 * The file handle and mapping of one segment: the native MappedFile (an fd), the external
 * Buffer over its current mapping, and the address space mapped for appends.
 *
 * An active segment holds a writable handle mapped over `capacity` bytes (segment.bytes, or
 * more for one larger batch) for its whole active life. A sealed segment holds nothing until
 * it is read: then a read-only handle mapped at the data's size, until the MappingLru evicts
 * it (release) and the next read opens it again. A load keeps its writable handle for the
 * segment that becomes active. Views handed out keep their mapping alive after release
 * (reference counted in native/), so release never breaks a reader.
 *
 * One per Segment, which decides when to open, map and release (and checks that it is not
 * closed). Runs on the event loop. Knows nothing of batches, offsets or indexes.
 */
import { unlinkSync } from 'node:fs';
import { native, type NativeMappedFile } from '../native/binding.js';

export class SegmentMapping {
  private readonly path: string;
  file: NativeMappedFile | undefined;
  /** External Buffer over the whole current mapping; null in copy mode; undefined when not asked yet. */
  private buffer: Buffer | null | undefined;
  /** Address space mapped for the active segment; at least segmentBytes. */
  capacity: number;

  constructor(path: string, capacity: number) {
    this.path = path;
    this.capacity = capacity;
  }

  /**
   * Creates the empty file of a new active segment and maps `capacity` bytes of address space
   * (pages past the file's size are never touched before an append reserves them).
   */
  create(): void {
    const file = new native.MappedFile(this.path, { create: true, writable: true });
    try {
      file.map(this.capacity);
    } catch (err) {
      file.close();
      try {
        unlinkSync(this.path);
      } catch {
        // The file is empty; if it cannot be removed the loader treats it as an empty segment.
      }
      throw err;
    }
    this.file = file;
    this.buffer = file.buffer();
  }

  /** The mapping as a Buffer (null in copy mode: reads then copy, appends use pwrite). */
  bytes(): Buffer | null {
    if (this.buffer === undefined) this.buffer = this.file!.buffer();
    return this.buffer;
  }

  /** The buffer already taken, without taking one (null or undefined: none). */
  get current(): Buffer | null | undefined {
    return this.buffer;
  }

  /** For a sealed segment's read: a read-only handle mapped over its `size` bytes of data. */
  mapForReads(size: number): void {
    if (!this.file) this.file = new native.MappedFile(this.path, { create: false, writable: false });
    if (!this.file.mapped) {
      this.file.map(size);
      this.buffer = undefined;
    }
  }

  /** A writable handle for a segment being loaded, activated or cut (the one a load kept, or a new one). */
  writable(): NativeMappedFile {
    if (!this.file) this.file = new native.MappedFile(this.path, { create: false, writable: true });
    return this.file;
  }

  /** Maps the (loaded) file for appends: at least its capacity, and all of its `size` bytes of data. */
  mapForAppends(size: number): void {
    const file = this.writable();
    file.unmap();
    this.buffer = undefined;
    const capacity = Math.max(this.capacity, size);
    file.map(capacity);
    this.buffer = file.buffer();
    this.capacity = capacity;
  }

  /** Maps a larger address space for appends (the disk for it was reserved by the caller). */
  grow(capacity: number): void {
    this.file!.map(capacity);
    this.buffer = this.file!.buffer();
    this.capacity = capacity;
  }

  /** Closes the fd and drops the handle's mapping (views keep theirs). */
  release(): void {
    this.file?.close();
    this.file = undefined;
    this.buffer = undefined;
  }
}
