/**
 * The only file that loads the compiled addon (build/Release/skein_native.node).
 *
 * Owns: the typed facade over the addon and the hand-off of the SkeinError factory to
 * C++ at load, so native failures are SkeinErrors with stable codes. Runs on whichever
 * thread imports it; the addon keeps per-environment state, so worker threads may load it.
 * Knows nothing of segments, offsets or topics: callers above decide what the bytes mean.
 */
import { createRequire } from 'node:module';
import { SkeinError, isErrorCode, type ErrorCode } from '../errors.js';

/** Why a batch scan stopped. The values are shared with native/batch_scan.h (checked at load). */
export const ScanStop = {
  /** The range ended exactly on a batch boundary. */
  END: 0,
  /** Fewer bytes remain than a batch header, or than the batch's declared length. */
  TRUNCATED: 1,
  /** batchLength is below the minimum (49) or above the allowed maximum; zeroed tails land here. */
  BAD_LENGTH: 2,
  /** magic is not 2. */
  BAD_MAGIC: 3,
  /** The stored CRC-32C does not match bytes 21..end of the batch. */
  BAD_CRC: 4,
  /** The scan stopped because maxBatches were read; more may follow. */
  LIMIT: 5,
} as const;
export type ScanStopCode = (typeof ScanStop)[keyof typeof ScanStop];

export interface ScanResult {
  /** Position just past the last valid batch: a file position for MappedFile.scan/scanAsync (also when the scan starts mid-file), a buffer index for scanBuffer. */
  validEnd: number;
  /** Number of valid batches between start and validEnd. */
  batches: number;
  /** Why the scan stopped (ScanStop). */
  stop: ScanStopCode;
}

/**
 * One file of a segment, memory-mapped MAP_SHARED.
 *
 * Lifetime: the mapping is reference counted. The handle holds one reference while it is
 * mapped; the external ArrayBuffer returned by `buffer()` (one per mapping, never two for one
 * address) holds another until V8 collects it; async work holds one while it runs. The
 * last release unmaps, then applies a pending `truncate`, then closes the fd if the handle
 * was closed. So a view taken from `buffer()` stays readable after `unmap()`, `close()`
 * or deletion of the file, and a file is never shrunk under a live mapping.
 */
export interface NativeMappedFile {
  /** Path given at open. */
  readonly path: string;
  /**
   * Logical size of the file in bytes: what `allocate` grew it to or `truncate` set it to. Writes,
   * reads and scans are bounds-checked against it. While a truncate waits for live mappings to go,
   * the file on disk is still larger (never shrunk under a mapping); it is cut when they are gone.
   */
  readonly fileSize: number;
  /** Size of the virtual mapping in bytes (0 when unmapped). Pages past fileSize must never be touched. */
  readonly mappedSize: number;
  /** True while the handle holds a mapping. */
  readonly mapped: boolean;
  /** True until close(). */
  readonly open: boolean;

  /**
   * Maps `[0, size)` of the file (size may exceed fileSize: the pages past EOF are reserved
   * address space that `allocate` later backs). Writable if opened writable. No-op if mapped
   * with the same size; another size makes a new mapping (views of the old one stay valid).
   * size must be > 0. Throws SKEIN_CLOSED after close.
   */
  map(size: number): void;
  /** Drops the handle's reference to the current mapping; views keep it alive. Idempotent. */
  unmap(): void;
  /**
   * Grows the file to at least `size` bytes with posix_fallocate, so writes into the mapping
   * below `size` cannot SIGBUS for lack of space. ENOSPC throws SKEIN_DISK_FULL and leaves
   * the file as it was.
   */
  allocate(size: number): void;
  /**
   * One external Buffer over the whole current mapping (length = mappedSize), created on
   * first call and cached natively until unmap. Returns null where the runtime refuses
   * external buffers (V8 sandbox) or when copy mode is forced with setForceCopy(true):
   * callers then use write() and readCopy(). Throws SKEIN_INVALID_ARGUMENT when not mapped.
   * Never touch its bytes past fileSize (SIGBUS), nor write through it on a read-only file (SIGSEGV).
   */
  buffer(): Buffer | null;
  /**
   * Copies `src` into the file at `position` (bounds-checked against fileSize and, when mapped,
   * mappedSize): through the mapping when mapped, with pwrite otherwise.
   */
  write(src: Uint8Array, position: number): void;
  /** Writes a big-endian int64 at `position` (used to patch a batch's baseOffset); mapped or not, as write. */
  writeInt64BE(position: number, value: number): void;
  /** Copies `[position, position + length)` of the file into a new Buffer: from the mapping, or with pread when unmapped. */
  readCopy(position: number, length: number): Buffer;
  /** msync(MS_SYNC) of the pages covering `[start, end)`, on the calling thread. Needs a mapping, as scan does. */
  flush(start: number, end: number): void;
  /** The same as flush, run as async work off the event loop. */
  flushAsync(start: number, end: number): Promise<void>;
  /**
   * Faults in the pages covering `[start, end)` for writing (MADV_POPULATE_WRITE), so later
   * writes there take no page faults. Does not change the bytes. Writable mappings only.
   */
  populate(start: number, end: number): void;
  /** The same as populate, as async work: runs on a pool thread ahead of the writer. */
  populateAsync(start: number, end: number): Promise<void>;
  /** Validates RecordBatch v2 framing and CRC over `[start, end)` of the mapping. */
  scan(start: number, end: number, maxBatches?: number): ScanResult;
  /** The same as scan, run as async work off the event loop (recovery of large segments). */
  scanAsync(start: number, end: number, maxBatches?: number): Promise<ScanResult>;
  /**
   * Sets the size the file is cut to. Applied at once when no mapping is alive; otherwise
   * when the last reference to the mapping is released. Never shrinks under a live mapping.
   * A pending cut survives close() and is applied through this handle's fd whenever the last
   * view goes, even if another handle or process has extended the file meanwhile: only defer
   * cuts of files nobody will extend while views live (rolled segments, not the active one).
   */
  truncate(size: number): void;
  /** Releases the handle: unmaps (views keep the mapping) and closes the fd once unused. Idempotent. */
  close(): void;
}

export interface NativeMappedFileConstructor {
  /**
   * Opens (or with `create`, creates exclusively) the file at `path`. `writable` defaults to
   * `create`; `create` with `writable: false` is SKEIN_INVALID_ARGUMENT.
   * Missing folder or file: SKEIN_LOG_DIR_UNAVAILABLE; other errno (EEXIST included): SKEIN_IO_ERROR.
   */
  new (path: string, options: { create?: boolean; writable?: boolean }): NativeMappedFile;
}

export interface NativeStats {
  /** Mappings alive in this environment (held by a handle, a buffer or async work). */
  liveMappings: number;
  /** Sum of their sizes in bytes (virtual). */
  mappedBytes: number;
  /** External buffers created over mappings since load. */
  externalBuffers: number;
}

export interface NativeBinding {
  /** CRC-32C (Castagnoli) of `buf`, continuing from `initial` (default 0), with the best path for this CPU. */
  crc32c(buf: Uint8Array, initial?: number): number;
  /** CRC-32C with the table-driven fallback only, for tests and benchmarks. */
  crc32cTable(buf: Uint8Array, initial?: number): number;
  /** Which path crc32c uses here: 'sse42', 'armv8' or 'table'. */
  crc32cImplementation: string;
  /** Validates RecordBatch v2 framing and CRC over a buffer (appends arriving from producers). */
  scanBuffer(buf: Uint8Array, maxBatches?: number): ScanResult;
  /**
   * The same scan, also writing `summaryFields` doubles per valid batch into `out` (layout in
   * native/batch_scan.h and src/records/batch-summary.ts), for as many batches as `out` holds
   * (stop LIMIT when more remain). The one walk of an append's headers.
   */
  summarizeBuffer(buf: Uint8Array, out: Float64Array): ScanResult;
  /** Doubles per batch written by summarizeBuffer. */
  summaryFields: number;
  /** Does nothing: the cost of one N-API crossing, for benchmarks. */
  noop(): void;
  /** Forces MappedFile.buffer() to return null (copy mode), to test the fallback path. */
  setForceCopy(force: boolean): void;
  stats(): NativeStats;
  MappedFile: NativeMappedFileConstructor;
  /** Constants the addon shares with TS, checked below. */
  constants: Record<string, number>;
  /** Hands the addon the function it uses to create errors. Called once, here. */
  setErrorFactory(factory: (code: string, message: string, errno?: string, syscall?: string, path?: string) => Error): void;
}

function createNativeError(code: string, message: string, errno?: string, syscall?: string, path?: string): Error {
  const errorCode: ErrorCode = isErrorCode(code) ? code : 'SKEIN_IO_ERROR';
  return new SkeinError(errorCode, message, { errno, syscall, path });
}

function load(): NativeBinding {
  const require = createRequire(import.meta.url);
  // dist/native/binding.js and out/src/native/binding.js both resolve the package root by walking up.
  const candidates = ['../../build/Release/skein_native.node', '../../../build/Release/skein_native.node'];
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      return require(candidate) as NativeBinding;
    } catch (err) {
      lastError = err;
      if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
    }
  }
  throw new SkeinError('SKEIN_IO_ERROR', 'the native addon is not built: run `npm install`', { cause: lastError });
}

export const native: NativeBinding = load();
native.setErrorFactory(createNativeError);

// Constants shared with C++ come from one place each; a mismatch is a build defect, so fail at load.
for (const [name, value] of Object.entries(ScanStop)) {
  if (native.constants[`SCAN_${name}`] !== value) {
    throw new SkeinError('SKEIN_IO_ERROR', `native constant SCAN_${name} is ${native.constants[`SCAN_${name}`]}, expected ${value}`);
  }
}
