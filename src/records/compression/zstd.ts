/**
 * zstd (Kafka codec 4, since Kafka 2.1 / Produce v7) over npm `zstd-napi` (N-API bindings of
 * the reference C library, prebuilt). @mongodb-js/zstd was the other candidate; it fetches
 * its binary from GitHub at install, which fails offline (docs/compression.md).
 *
 * Zip bombs: when every frame declares its content size (librdkafka, the Java client and
 * zstd-napi all write it), the sizes are summed and checked against the cap before one
 * native call decodes into a buffer of exactly that size (a frame lying about its size fails
 * inside zstd). Otherwise the streaming decoder fills buffers of at most the remaining
 * allowance, so nothing past the cap is ever produced.
 *
 * Owns: one compression and one decompression context for the thread that loads it (zstd
 * contexts are reusable and not thread-safe; each worker thread loads its own copy of this
 * module). Synchronous.
 */
import { createRequire } from 'node:module';
import { SkeinError } from '../../errors.js';
import { corruptCompressed, decompressedTooLarge } from './errors.js';

type Binding = typeof import('zstd-napi/binding.js');
type Api = typeof import('zstd-napi');

// Loaded on first use, not at import: zstd-napi compiles at install where no prebuilt binary
// can be fetched, and a Skein that never sees a zstd batch must load without it.
let loaded: { api: Api; binding: Binding } | undefined;
function zstd(): { api: Api; binding: Binding } {
  if (!loaded) {
    const require = createRequire(import.meta.url);
    try {
      loaded = { api: require('zstd-napi') as Api, binding: require('zstd-napi/binding') as Binding };
    } catch (err) {
      throw new SkeinError('SKEIN_UNSUPPORTED_COMPRESSION', `zstd needs the zstd-napi package, which did not load: ${(err as Error).message}`, { codec: 4, cause: err });
    }
  }
  return loaded;
}

let dctx: InstanceType<Binding['DCtx']> | undefined;
const STREAM_CHUNK = 128 * 1024;
const DECLARED_SIZE_TRUSTED = 16 * 1024 * 1024;

export function zstdCompress(data: Uint8Array): Buffer {
  return zstd().api.compress(data);
}

export function zstdDecompress(data: Uint8Array, maxBytes: number): Buffer {
  dctx ??= new (zstd().binding.DCtx)();
  try {
    const declared = declaredSize(data);
    if (declared > maxBytes) throw decompressedTooLarge('zstd', maxBytes, declared);
    // A frame header may claim any size: allocate it up front only while that is modest,
    // else let the streaming decoder grow with what the data really holds.
    if (declared >= 0 && declared <= DECLARED_SIZE_TRUSTED) {
      const out = Buffer.allocUnsafe(declared);
      const written = dctx.decompress(out, data);
      if (written !== declared) throw corruptCompressed('zstd', `frames declare ${declared} bytes but decode to ${written}`);
      return out;
    }
    return streamCapped(dctx, data, maxBytes);
  } catch (err) {
    // A failed or abandoned call (the cap) leaves the context mid-frame; start the next clean.
    dctx = undefined;
    if (err instanceof SkeinError) throw err;
    throw corruptCompressed('zstd', `the records do not decompress: ${(err as Error).message}`, err);
  }
}

/** Σ of the frames' declared content sizes, or -1 when any frame leaves it out. */
function declaredSize(data: Uint8Array): number {
  let total = 0;
  let frame = data;
  if (frame.length === 0) throw corruptCompressed('zstd', 'empty input: not a zstd frame');
  while (frame.length > 0) {
    const size = zstd().binding.getFrameContentSize(frame);
    if (size === null) return -1;
    total += size;
    frame = frame.subarray(zstd().binding.findFrameCompressedSize(frame));
  }
  return total;
}

function streamCapped(ctx: InstanceType<Binding['DCtx']>, data: Uint8Array, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data;
  for (;;) {
    // One byte of room past the cap tells "exactly at the cap" from "more to come".
    const room = Math.min(STREAM_CHUNK, maxBytes - total + 1);
    const chunk = Buffer.allocUnsafe(room);
    const [remainingHint, produced, consumed] = ctx.decompressStream(chunk, input);
    total += produced;
    if (total > maxBytes) throw decompressedTooLarge('zstd', maxBytes, total);
    if (produced > 0) chunks.push(chunk.subarray(0, produced));
    input = input.subarray(consumed);
    // A hint of 0 means the frame is complete and fully flushed.
    if (input.length === 0 && remainingHint === 0) break;
    if (consumed === 0 && produced === 0) throw corruptCompressed('zstd', 'the input ends inside a frame');
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, total);
}
