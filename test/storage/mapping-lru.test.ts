import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import { MappingLru } from '../../src/storage/mapping-lru.js';

test('evicts the least recently touched item past capacity', () => {
  const evicted: string[] = [];
  const item = (name: string) => ({ name, evict: () => evicted.push(name) });
  const lru = new MappingLru(2);
  const [a, b, c] = [item('a'), item('b'), item('c')];
  lru.touch(a);
  lru.touch(b);
  lru.touch(a);
  lru.touch(c);
  assert.equal(evicted, ['b']);
  lru.forget(a);
  lru.touch(b);
  assert.equal(evicted, ['b']);
  assert.is(lru.size, 2);
});

test.run();
