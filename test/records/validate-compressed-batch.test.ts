/**
 * validateCompressedBatch(es): the checks a broker makes inside a compressed batch before it
 * stores it as sent: CRC first, codec id, decompression within the cap, exact record count,
 * offset deltas 0..n-1, records that parse. Each failure has its code; valid batches give a
 * summary.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateCompressedBatch, validateCompressedBatches } from '../../src/records/validate-compressed-batch.js';
import { encodeRecordBatch } from '../../src/records/encode-record-batch.js';
import { compress } from '../../src/records/compression/index.js';
import { SkeinError } from '../../src/errors.js';
import { batchWithPayload, compressedBatch, gzipBombBatch, recordsSection } from '../helpers/compressed-batches.js';

const CAP = { maxDecompressedBytes: 1024 * 1024 };
const records = Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `value ${i} `.repeat(20), timestamp: 1_700_000_000_000 + i }));

function throwsCode(fn: () => unknown, code: string, what: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SkeinError, `${what}: ${String(err)}`);
    assert.is((err as SkeinError).code, code, `${what}: ${(err as Error).message}`);
    return;
  }
  assert.unreachable(`${what}: expected ${code}`);
}

test('a valid batch of each codec gives its summary', () => {
  const plainBytes = recordsSection(records).length;
  for (const [i, name] of (['gzip', 'snappy', 'lz4', 'zstd'] as const).entries()) {
    const batch = encodeRecordBatch(records, { compression: name });
    const summary = validateCompressedBatch(batch, CAP);
    assert.equal(summary, { position: 0, compression: name, recordCount: 20, batchBytes: batch.length, recordBytes: plainBytes }, name);
    assert.is(compressedBatch(records, (i + 1) as 1 | 2 | 3 | 4).length, batch.length, `${name}: the helper builds what the encoder does`);
  }
});

test('a record count that does not match the header → SKEIN_INVALID_RECORD (Kafka: INVALID_RECORD)', () => {
  for (const codec of [1, 2, 3, 4] as const) {
    throwsCode(() => validateCompressedBatch(compressedBatch(records, codec, 21), CAP), 'SKEIN_INVALID_RECORD', `codec ${codec} announces more`);
    throwsCode(() => validateCompressedBatch(compressedBatch(records, codec, 19), CAP), 'SKEIN_INVALID_RECORD', `codec ${codec} announces fewer`);
  }
});

test('offset deltas out of order inside → SKEIN_INVALID_RECORD', () => {
  // Two one-record sections back to back: both records carry offsetDelta 0.
  const one = recordsSection([{ value: 'a', timestamp: 1 }]);
  const payload = compress('zstd', Buffer.concat([one, one]));
  throwsCode(() => validateCompressedBatch(batchWithPayload(payload, 4, 2), CAP), 'SKEIN_INVALID_RECORD', 'deltas 0, 0');
});

test('records that do not decompress → SKEIN_CORRUPT_MESSAGE (CRC correct)', () => {
  for (const codec of [1, 2, 3, 4] as const) {
    const good = compress(codec, recordsSection(records));
    const flipped = Buffer.from(good);
    for (let i = Math.floor(flipped.length / 3); i < flipped.length; i += 7) flipped[i] ^= 0xa5;
    throwsCode(() => validateCompressedBatch(batchWithPayload(flipped, codec, 20), CAP), 'SKEIN_CORRUPT_MESSAGE', `codec ${codec} flipped`);
    throwsCode(() => validateCompressedBatch(batchWithPayload(good.subarray(0, good.length - 5), codec, 20), CAP), 'SKEIN_CORRUPT_MESSAGE', `codec ${codec} cut`);
  }
});

test('a zip bomb → SKEIN_MESSAGE_TOO_LARGE at the cap; a wrong CRC is caught before decompressing', () => {
  const bomb = gzipBombBatch(64 * 1024 * 1024);
  assert.ok(bomb.length < 100_000);
  throwsCode(() => validateCompressedBatch(bomb, CAP), 'SKEIN_MESSAGE_TOO_LARGE', 'bomb');
  const badCrc = Buffer.from(bomb);
  badCrc[17] ^= 1;
  throwsCode(() => validateCompressedBatch(badCrc, CAP), 'SKEIN_CORRUPT_MESSAGE', 'CRC');
  // verifyCrc: false (a native scan checked it already) goes straight to the contents.
  throwsCode(() => validateCompressedBatch(badCrc, { ...CAP, verifyCrc: false }), 'SKEIN_MESSAGE_TOO_LARGE', 'no CRC check');
  // Exactly at the cap passes the size check (and then fails on the zeros, which are not records).
  throwsCode(() => validateCompressedBatch(gzipBombBatch(1024 * 1024), CAP), 'SKEIN_INVALID_RECORD', 'at the cap');
});

test('codec ids 5-7 → SKEIN_UNSUPPORTED_COMPRESSION; a bad cap → SKEIN_INVALID_ARGUMENT', () => {
  for (const codec of [5, 6, 7]) {
    throwsCode(() => validateCompressedBatch(batchWithPayload(Buffer.from('whatever'), codec, 1), CAP), 'SKEIN_UNSUPPORTED_COMPRESSION', `id ${codec}`);
  }
  throwsCode(() => validateCompressedBatch(compressedBatch(records, 1), {} as never), 'SKEIN_INVALID_ARGUMENT', 'no cap');
});

test('validateCompressedBatches checks only the compressed v2 batches of a request, with their positions', () => {
  const plain = encodeRecordBatch(records);
  const gzip = compressedBatch(records, 1);
  const zstd = compressedBatch(records.slice(0, 3), 4);
  const summaries = validateCompressedBatches(Buffer.concat([plain, gzip, zstd]), CAP);
  assert.equal(
    summaries.map((s) => [s.position, s.compression, s.recordCount]),
    [[plain.length, 'gzip', 20], [plain.length + gzip.length, 'zstd', 3]],
  );
  assert.equal(validateCompressedBatches(plain, CAP), []);
  throwsCode(() => validateCompressedBatches(Buffer.concat([plain, compressedBatch(records, 2, 5)]), CAP), 'SKEIN_INVALID_RECORD', 'second batch');
});

test.run();
