/**
 * workers/shared-blocks.ts: blocks of shared memory are reused by size class, never made for a
 * length over the largest block, and the free list keeps a bounded number of bytes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_BLOCK_BYTES, SharedBlocks } from '../../src/workers/shared-blocks.js';

test('a block given back is the one taken next for a length of its size class', () => {
  const blocks = new SharedBlocks();
  const first = blocks.take(100_000)!;
  assert.instance(first, SharedArrayBuffer);
  assert.ok(first.byteLength >= 100_000 && first.byteLength < 200_000, `a 100000-byte need takes a ${first.byteLength}-byte block`);
  blocks.give(first);
  assert.is(blocks.take(first.byteLength - 1), first, 'reused');
  assert.is(blocks.allocated, 1);
  const other = blocks.take(100_000)!;
  assert.is.not(other, first, 'a block taken and not given back is not handed out twice');
  assert.is(blocks.allocated, 2);
});

test('small lengths share the smallest class; a larger class is not handed out for a small need', () => {
  const blocks = new SharedBlocks();
  const big = blocks.take(1_000_000)!;
  blocks.give(big);
  const small = blocks.take(10)!;
  assert.is.not(small, big);
  assert.ok(small.byteLength < big.byteLength);
  blocks.give(small);
  assert.is(blocks.take(1), small);
});

test('no block over the largest size: the caller moves an ArrayBuffer instead', () => {
  const blocks = new SharedBlocks();
  assert.is(blocks.take(MAX_BLOCK_BYTES + 1), undefined);
  assert.is(blocks.take(MAX_BLOCK_BYTES)!.byteLength, MAX_BLOCK_BYTES);
});

test('the free list keeps a bounded number of bytes per class; blocks not its own size are not kept', () => {
  const blocks = new SharedBlocks();
  const taken = Array.from({ length: 200 }, () => blocks.take(100_000)!);
  for (const block of taken) blocks.give(block);
  assert.ok(blocks.kept > 0 && blocks.kept < 200, `kept ${blocks.kept} of 200 blocks of ${taken[0]!.byteLength} bytes`);
  assert.ok(blocks.kept * taken[0]!.byteLength <= 8 * 1024 * 1024);
  const before = blocks.kept;
  blocks.give(new SharedArrayBuffer(100_000));
  assert.is(blocks.kept, before, 'an odd-sized block is dropped');
});

test.run();
