/**
 * Which bytes of one segment had their CRC-32C checked in this process, and the check of the
 * rest on first read. Bytes this process appended were checked on append (the append's scan);
 * bytes a recovering load scanned were checked then; bytes found on disk otherwise (a segment
 * opened after a clean shutdown) are checked by the first read that hands them out, so a
 * flipped bit is reported as CorruptSegmentError instead of being handed to a reader.
 *
 * One per Segment, for its whole life; runs on the event loop (the check of a read's range is
 * synchronous: hardware CRC-32C runs at tens of GB/s). Knows nothing of offsets.
 */
import { CorruptSegmentError } from '../errors.js';
import { ScanStop, type NativeMappedFile } from '../native/binding.js';

export class CheckedPrefix {
  /** Bytes [0, end) had their CRCs checked in this process. */
  end = 0;

  /** Checks the CRCs of [start, stop) of `file` unless already checked; CorruptSegmentError otherwise. */
  check(file: NativeMappedFile, path: string, start: number, stop: number): void {
    if (stop <= this.end) return;
    const from = start <= this.end ? this.end : start;
    const result = file.scan(from, stop);
    // result.validEnd is a file position (MappedFile.scan), not relative to `from`.
    if (result.stop !== ScanStop.END || result.validEnd !== stop) {
      throw new CorruptSegmentError(`segment ${path} is damaged at position ${result.validEnd} (${stopName(result.stop)})`, {
        path,
        position: result.validEnd,
      });
    }
    if (from === this.end) this.end = stop;
  }

  /** A truncation cut the data at `position`. */
  cutTo(position: number): void {
    this.end = Math.min(this.end, position);
  }
}

function stopName(stop: number): string {
  return Object.entries(ScanStop).find(([, value]) => value === stop)?.[0] ?? String(stop);
}
