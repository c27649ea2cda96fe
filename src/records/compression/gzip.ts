/**
 * gzip (Kafka codec 1) over node:zlib: RFC 1952 members, as Kafka's Java client
 * (GZIPOutputStream), librdkafka and kafkajs write them. Several concatenated members are
 * read as one stream, as zlib does.
 *
 * Owns: one-shot compress and capped decompress. Synchronous (zlib's *Sync calls run on the
 * calling thread); stateless, safe on any thread.
 *
 * Zip bombs: zlib's maxOutputLength stops inflating as soon as the output would pass the cap
 * (it checks after every internal chunk of 16 KiB), so a bomb costs at most cap + 16 KiB.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { corruptCompressed, decompressedTooLarge } from './errors.js';

export function gzipCompress(data: Uint8Array): Buffer {
  return gzipSync(data);
}

export function gzipDecompress(data: Uint8Array, maxBytes: number): Buffer {
  try {
    // maxOutputLength above buffer.constants.MAX_LENGTH is a RangeError of its own.
    return gunzipSync(data, { maxOutputLength: Math.min(maxBytes, MAX_OUTPUT) });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw decompressedTooLarge('gzip', maxBytes, maxBytes + 1);
    throw corruptCompressed('gzip', `the records do not decompress: ${(err as Error).message}`, err);
  }
}

/** The largest maxOutputLength zlib accepts (a Buffer's maximum length). */
const MAX_OUTPUT = bufferConstants.MAX_LENGTH;
