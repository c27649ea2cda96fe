/**
 * `skein log inspect <folder>`: reads a partition folder (or a data folder of them) straight
 * from disk, as kafka-dump-log.sh does, without a broker and without taking the folder's lock
 * or changing a byte: per segment its base offset, bytes of batches, batches, records, first
 * and last offset and timestamps, and each batch's CRC-32C checked; `--batches` lists every
 * batch. Stops a segment at its zeroed preallocated tail; a damaged batch (bad length, magic
 * or CRC) is reported with its position, and the command exits 5. A folder without segment
 * files is "not a Skein log" (exit 5).
 *
 * Loads the native addon (CRC-32C), lazily.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import {
  ATTRIBUTES,
  BASE_TIMESTAMP,
  COMPRESSION_CODEC_MASK,
  COMPRESSION_NAMES,
  CRC,
  CRC_START,
  HEADER_SIZE,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  MIN_BATCH_LENGTH,
  PRODUCER_ID,
  RECORDS_COUNT,
  readBaseOffset,
  readBatchLength,
  readInt16BE,
  readInt32BE,
  readInt64BE,
  readUInt32BE,
} from '../records/batch-header.js';
import { CliFailure, EXIT } from './exit-codes.js';
import { progressBar } from './progress.js';
import type { Console } from './serve.js';
import { report } from './session.js';

const SEGMENT = /^(\d{20})\.log$/;

export interface BatchInfo {
  position: number;
  baseOffset: number;
  lastOffset: number;
  records: number;
  size: number;
  magic: number;
  compression: string;
  crc: number;
  crcValid: boolean;
  producerId: number;
  baseTimestamp: number;
  maxTimestamp: number;
}

export interface SegmentInfo {
  file: string;
  baseOffset: number;
  fileBytes: number;
  validBytes: number;
  batches: number;
  records: number;
  firstOffset: number | null;
  lastOffset: number | null;
  maxTimestamp: number | null;
  crcErrors: number;
  /** Why the scan stopped before the end of the file's data, if it did. */
  problem: string | null;
  batchList?: BatchInfo[];
}

export interface PartitionInfo {
  dir: string;
  segments: SegmentInfo[];
}

export async function inspectLog(folder: string, options: { batches: boolean; json: boolean }, io: Console): Promise<number> {
  try {
    const { native } = await import('../native/binding.js');
    const dirs = partitionFolders(resolve(folder));
    const total = dirs.reduce((sum, d) => sum + segmentFiles(d).reduce((s, f) => s + statSync(join(d, f)).size, 0), 0);
    const bar = options.json ? undefined : progressBar(total, 'bytes');
    const partitions: PartitionInfo[] = [];
    try {
      for (const dir of dirs) {
        partitions.push({ dir, segments: segmentFiles(dir).map((f) => inspectSegment(join(dir, f), options.batches, native.crc32c, (n) => bar?.increment(n))) });
      }
    } finally {
      bar?.stop();
    }
    const damaged = partitions.some((p) => p.segments.some((s) => s.problem !== null || s.crcErrors > 0));
    if (options.json) io.out(JSON.stringify({ partitions, damaged }));
    else print(partitions, io);
    if (damaged) io.err('skein: damaged batches found (see above); a broker opening this folder after an unclean stop cuts the log at the first one');
    return damaged ? EXIT.BAD_DATA : EXIT.OK;
  } catch (err) {
    return report(err, io);
  }
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => SEGMENT.test(f)).sort();
}

/** The folder itself if it holds segments, else its sub-folders that do (a data folder). */
function partitionFolders(folder: string): string[] {
  let entries: string[];
  try {
    if (!statSync(folder).isDirectory()) throw new CliFailure(`${folder} is not a folder (give a partition folder such as skein-data/orders-0, or a data folder)`, EXIT.USAGE);
    entries = readdirSync(folder);
  } catch (err) {
    if (err instanceof CliFailure) throw err;
    throw new CliFailure(`cannot read ${folder}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.USAGE);
  }
  if (entries.some((f) => SEGMENT.test(f))) return [folder];
  const found = entries
    .filter((e) => {
      try {
        return statSync(join(folder, e)).isDirectory() && readdirSync(join(folder, e)).some((f) => SEGMENT.test(f));
      } catch {
        return false;
      }
    })
    .sort()
    .map((e) => join(folder, e));
  if (found.length === 0) throw new CliFailure(`${folder} is not a Skein log: no segment files (00000000000000000000.log) in it or in its sub-folders`, EXIT.BAD_DATA);
  return found;
}

function inspectSegment(path: string, listBatches: boolean, crc32c: (buf: Uint8Array) => number, progress: (bytes: number) => void): SegmentInfo {
  const fileBytes = statSync(path).size;
  const info: SegmentInfo = {
    file: basename(path),
    baseOffset: Number(SEGMENT.exec(basename(path))![1]),
    fileBytes,
    validBytes: 0,
    batches: 0,
    records: 0,
    firstOffset: null,
    lastOffset: null,
    maxTimestamp: null,
    crcErrors: 0,
    problem: null,
    batchList: listBatches ? [] : undefined,
  };
  const fd = openSync(path, 'r');
  try {
    let position = 0;
    const header = Buffer.alloc(HEADER_SIZE);
    while (position + LOG_OVERHEAD <= fileBytes) {
      const got = readSync(fd, header, 0, HEADER_SIZE, position);
      const batchLength = got >= LOG_OVERHEAD ? readBatchLength(header, 0) : 0;
      if (batchLength === 0 && readBaseOffset(header, 0) === 0 && position > 0) break; // the zeroed, preallocated tail
      if (batchLength === 0 && position === 0 && header.every((b) => b === 0)) break; // an empty segment
      if (got < HEADER_SIZE || batchLength < MIN_BATCH_LENGTH || position + LOG_OVERHEAD + batchLength > fileBytes) {
        info.problem = `bad batch length ${batchLength} at position ${position}`;
        break;
      }
      if (header[MAGIC] !== 2) {
        info.problem = `magic ${header[MAGIC]} (not 2) at position ${position}`;
        break;
      }
      const size = LOG_OVERHEAD + batchLength;
      const batch = Buffer.alloc(size);
      readSync(fd, batch, 0, size, position);
      const crc = readUInt32BE(batch, CRC);
      const crcValid = crc32c(batch.subarray(CRC_START)) === crc;
      const baseOffset = readBaseOffset(batch, 0);
      const lastOffset = baseOffset + readInt32BE(batch, LAST_OFFSET_DELTA);
      const records = readInt32BE(batch, RECORDS_COUNT);
      const maxTimestamp = readInt64BE(batch, MAX_TIMESTAMP);
      if (!crcValid) info.crcErrors++;
      info.batches++;
      info.records += records;
      info.firstOffset ??= baseOffset;
      info.lastOffset = lastOffset;
      info.maxTimestamp = Math.max(info.maxTimestamp ?? maxTimestamp, maxTimestamp);
      info.batchList?.push({
        position,
        baseOffset,
        lastOffset,
        records,
        size,
        magic: batch[MAGIC]!,
        compression: COMPRESSION_NAMES[readInt16BE(batch, ATTRIBUTES) & COMPRESSION_CODEC_MASK] ?? 'unknown',
        crc,
        crcValid,
        producerId: readInt64BE(batch, PRODUCER_ID),
        baseTimestamp: readInt64BE(batch, BASE_TIMESTAMP),
        maxTimestamp,
      });
      position += size;
      progress(size);
      if (!crcValid) {
        info.problem = `CRC mismatch in the batch at position ${position - size} (offsets ${baseOffset}..${lastOffset})`;
        break;
      }
    }
    info.validBytes = position;
    progress(fileBytes - position);
  } finally {
    closeSync(fd);
  }
  return info;
}

function print(partitions: PartitionInfo[], io: Console): void {
  for (const p of partitions) {
    io.out(`${p.dir}: ${p.segments.length} segment${p.segments.length === 1 ? '' : 's'}`);
    for (const s of p.segments) {
      const range = s.firstOffset === null ? 'empty' : `offsets ${s.firstOffset}..${s.lastOffset}`;
      io.out(
        `  ${s.file}: ${range}, ${s.batches} batches, ${s.records} records, ${s.validBytes} bytes of batches (file ${s.fileBytes} bytes)${s.crcErrors > 0 ? `, ${s.crcErrors} CRC error${s.crcErrors === 1 ? '' : 's'}` : ''}${s.problem ? `, DAMAGED: ${s.problem}` : ''}`,
      );
      for (const b of s.batchList ?? []) {
        io.out(
          `    baseOffset: ${b.baseOffset} lastOffset: ${b.lastOffset} count: ${b.records} position: ${b.position} size: ${b.size} magic: ${b.magic} compresscodec: ${b.compression} producerId: ${b.producerId} CreateTime: ${b.maxTimestamp} crc: ${b.crc} isvalid: ${b.crcValid}`,
        );
      }
    }
  }
}
