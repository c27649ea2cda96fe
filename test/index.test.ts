/** Pins the public surface: widening it must be a deliberate change to this list. */
import { test } from './helpers/test.js';
import * as assert from 'uvu/assert';
import * as skein from '../src/index.js';

test('src/index.ts exports exactly the public API', () => {
  assert.equal(Object.keys(skein).sort(), [
    'COMPATIBILITY_LEVELS',
    'CompressionTypes',
    'CorruptSegmentError',
    'DEFAULT_LOG_CONFIG',
    'ERROR_CODES',
    'MappingLru',
    'OffsetOutOfRangeError',
    'PartitionLog',
    'Skein',
    'SkeinError',
    'compress',
    'crc32c',
    'decodeRecordBatch',
    'decompress',
    'encodeRecordBatch',
    'iterateBatches',
    'iterateRecords',
    'murmur2',
    'validateCompressedBatch',
  ]);
});

test('crc32c from the package root gives the known answer', () => {
  assert.is(skein.crc32c('123456789'), 0xe3069283);
  assert.is(skein.crc32c(Buffer.from('6789'), skein.crc32c('12345')), 0xe3069283);
  assert.throws(() => skein.crc32c(42 as never), (err: Error) => err instanceof skein.SkeinError);
});

test('package.json exports only the root', async () => {
  const pkg = JSON.parse((await import('node:fs')).readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  assert.equal(Object.keys(pkg.exports), ['.', './package.json']);
});

test.run();
