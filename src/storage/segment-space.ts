/**
 * The space ahead of the active segment's writer: disk reserved with fallocate before bytes
 * are written there (ExtentReservation), and pages faulted in on a pool thread before the
 * writer reaches them (PrefaultWindow).
 *
 * One of each per Segment, owned by it for its whole life; used only while it is active (a
 * sealed segment's reservation is its size). Runs on the event loop; the faulting itself is
 * addon async work. Knows nothing of batches or offsets: only byte positions in one file.
 */
import { SkeinError } from '../errors.js';
import type { NativeMappedFile } from '../native/binding.js';

/** The largest extent a segment reserves at once (see ExtentReservation.extentBytes). */
const MAX_EXTENT_BYTES = 256 * 1024 * 1024;
/** Bounds of the window of pages faulted in ahead of the writer (PrefaultWindow). */
const POPULATE_MIN_BYTES = 256 * 1024;
const POPULATE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Disk reserved for the active segment. Writes go through a shared mapping, and a write into
 * a file hole on a full disk would kill the process with SIGBUS, so space is always reserved
 * before it is written: an append that cannot reserve throws SKEIN_DISK_FULL and writes nothing.
 */
export class ExtentReservation {
  /** Disk reserved so far (fileSize of the active segment). */
  allocated = 0;
  /**
   * Disk reserved by the next fallocate. Starts at preallocateBytes and doubles with each
   * extent up to MAX_EXTENT_BYTES: an idle partition reserves little, a busy one reserves in
   * large extents, which measured here made first writes into the mapping markedly cheaper
   * than many small extents (ext4 maps large unwritten extents with fewer, larger folios).
   */
  private extentBytes: number;

  constructor(preallocateBytes: number) {
    this.extentBytes = preallocateBytes;
  }

  /** Reserves disk up to at least `end` (an extent more when it fits in `capacity`). */
  reserve(file: NativeMappedFile, end: number, capacity: number): void {
    if (end <= this.allocated) return;
    const want = Math.min(capacity, Math.max(end, this.allocated + this.extentBytes));
    try {
      file.allocate(want);
      this.allocated = want;
      this.extentBytes = Math.min(MAX_EXTENT_BYTES, this.extentBytes * 2);
    } catch (err) {
      // No room for a whole extent: reserve just what this append needs, so a nearly full
      // disk still takes the batches that fit (SKEIN_DISK_FULL when even those do not).
      if (!(err instanceof SkeinError) || err.code !== 'SKEIN_DISK_FULL' || want === end) throw err;
      file.allocate(end);
      this.allocated = end;
    }
  }

  /**
   * After an append: reserves the next extent early (at least `lead` bytes past the data),
   * once the writer is within `lead` bytes of the reserved end, so that PrefaultWindow can fault
   * its pages in before the writer gets there. Reserving only at need left the pages past each extent's end to be faulted by
   * the appends themselves: with eight partitions written evenly, all eight crossed 4 MiB
   * (then 12, 28 MiB...) at once, and each first append past the end took 1-1.5 ms for 95 KB,
   * a 10-12 ms stall of the event loop (the 8-partition pool bench, snappy produce). Best
   * effort, never throws: the batch is already written, and a full disk is reported by the
   * append that needs the space (reserve).
   */
  reserveAhead(file: NativeMappedFile, end: number, capacity: number, lead: number): void {
    if (this.allocated >= capacity || this.allocated - end > lead) return;
    const want = Math.min(capacity, Math.max(this.allocated + this.extentBytes, end + lead + 1));
    try {
      file.allocate(want);
      this.allocated = want;
      this.extentBytes = Math.min(MAX_EXTENT_BYTES, this.extentBytes * 2);
    } catch {
      // Left to reserve() at the append that needs it (SKEIN_DISK_FULL there, nothing written).
    }
  }
}

/**
 * Faults in the next pages of the active segment on a pool thread before the writer gets
 * there. The first write to each page of a shared file mapping takes a page fault; measured
 * here, copying into fresh pages ran at ~0.5 GB/s against ~20 GB/s into resident ones, so
 * without this the append path is bound by faults, not by memcpy. The window starts small
 * (idle partitions hold little page cache) and doubles whenever the writer catches up with
 * it, up to POPULATE_MAX_BYTES. Never past the reserved extent (pages past EOF would fault).
 */
export class PrefaultWindow {
  /** Pages up to here were (or are being) faulted in ahead of the writer. */
  private populatedEnd = 0;
  private window = POPULATE_MIN_BYTES;

  /** How far ahead of the writer pages are faulted in now (ExtentReservation.reserveAhead keeps disk reserved that far). */
  get lead(): number {
    return this.window;
  }

  /** The writer's data now ends at `end`; `allocated` bytes of the file are reserved. */
  advance(file: NativeMappedFile, end: number, allocated: number): void {
    if (end + this.window / 2 < this.populatedEnd) return;
    if (end >= this.populatedEnd && this.populatedEnd > 0) {
      this.window = Math.min(POPULATE_MAX_BYTES, this.window * 2);
    }
    const from = Math.max(this.populatedEnd, end);
    const to = Math.min(allocated, from + this.window);
    if (to <= from) return;
    this.populatedEnd = to;
    // Not gated on completion: a writer in a tight synchronous loop never lets the event loop
    // see it. Each request covers new pages, so requests stay bounded by what is written.
    // A failure only costs speed: the writes fault the pages in themselves.
    file.populateAsync(from, to).catch(() => undefined);
  }

  /** A truncation cut the data at `position`: pages past it are faulted in again when reached. */
  cutTo(position: number): void {
    this.populatedEnd = Math.min(this.populatedEnd, position);
  }
}
