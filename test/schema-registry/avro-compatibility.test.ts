/**
 * Avro schema resolution rule by rule (fields and defaults, promotions, enums and their
 * defaults, unions, aliases, nested and recursive records, arrays, maps, fixed), each case
 * also checked against avsc's own resolver (createResolver) and by decoding real data written
 * with the writer schema: where we say compatible, the data must decode.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import avro from 'avsc';
import { readerProblems } from '../../src/schema-registry/avro-compatibility.js';
import { compatibilityProblems } from '../../src/schema-registry/compatibility.js';

const t = (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto' });
const rec = (fields: unknown[], extra: Record<string, unknown> = {}) => ({ type: 'record', name: 'R', namespace: 'n', fields, ...extra });

/** [name, reader, writer, compatible, a value written with the writer (for compatible cases)] */
const CASES: Array<[string, unknown, unknown, boolean, unknown?]> = [
  ['same primitive', 'int', 'int', true, 5],
  ['int → long', 'long', 'int', true, 5],
  ['int → float', 'float', 'int', true, 5],
  ['int → double', 'double', 'int', true, 5],
  ['long → double', 'double', 'long', true, 5],
  ['float → double', 'double', 'float', true, 1.5],
  ['string → bytes', 'bytes', 'string', true, 'x'],
  ['bytes → string', 'string', 'bytes', true, Buffer.from('x')],
  ['long ↛ int', 'int', 'long', false],
  ['double ↛ float', 'float', 'double', false],
  ['string ↛ int', 'int', 'string', false],
  ['field added with default', rec([{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: 'd' }]), rec([{ name: 'a', type: 'int' }]), true, { a: 1 }],
  ['field added without default', rec([{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]), rec([{ name: 'a', type: 'int' }]), false],
  ['field removed', rec([{ name: 'a', type: 'int' }]), rec([{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]), true, { a: 1, b: 'x' }],
  ['field promoted', rec([{ name: 'a', type: 'long' }]), rec([{ name: 'a', type: 'int' }]), true, { a: 1 }],
  ['field renamed through an alias', rec([{ name: 'b', type: 'int', aliases: ['a'] }]), rec([{ name: 'a', type: 'int' }]), true, { a: 3 }],
  ['field renamed without alias', rec([{ name: 'b', type: 'int' }]), rec([{ name: 'a', type: 'int' }]), false],
  ['record renamed through an alias', { ...rec([{ name: 'a', type: 'int' }]), name: 'S', aliases: ['n.R'] }, rec([{ name: 'a', type: 'int' }]), true, { a: 1 }],
  ['record renamed without alias', { ...rec([{ name: 'a', type: 'int' }]), name: 'S' }, rec([{ name: 'a', type: 'int' }]), false],
  ['enum with a new symbol', { type: 'enum', name: 'E', symbols: ['A', 'B', 'C'] }, { type: 'enum', name: 'E', symbols: ['A', 'B'] }, true, 'B'],
  ['enum losing a symbol', { type: 'enum', name: 'E', symbols: ['A'] }, { type: 'enum', name: 'E', symbols: ['A', 'B'] }, false],
  ['enum losing a symbol, reader has a default', { type: 'enum', name: 'E', symbols: ['A', 'Z'], default: 'Z' }, { type: 'enum', name: 'E', symbols: ['A', 'B'] }, true, 'B'],
  ['enum renamed', { type: 'enum', name: 'F', symbols: ['A'] }, { type: 'enum', name: 'E', symbols: ['A'] }, false],
  ['fixed same size', { type: 'fixed', name: 'F', size: 4 }, { type: 'fixed', name: 'F', size: 4 }, true, Buffer.alloc(4)],
  ['fixed other size', { type: 'fixed', name: 'F', size: 8 }, { type: 'fixed', name: 'F', size: 4 }, false],
  ['array items promoted', { type: 'array', items: 'long' }, { type: 'array', items: 'int' }, true, [1, 2]],
  ['array items incompatible', { type: 'array', items: 'int' }, { type: 'array', items: 'string' }, false],
  ['map values promoted', { type: 'map', values: 'double' }, { type: 'map', values: 'float' }, true, { x: 1.5 }],
  ['map values incompatible', { type: 'map', values: 'boolean' }, { type: 'map', values: 'string' }, false],
  ['array vs map', { type: 'map', values: 'int' }, { type: 'array', items: 'int' }, false],
  ['union reader gains a branch', ['null', 'string', 'int'], ['null', 'string'], true, 'x'],
  ['union reader loses a branch', ['null', 'string'], ['null', 'string', 'int'], false],
  ['writer union, reader plain (all branches readable)', 'double', ['int', 'long'], true, { long: 3 }],
  ['writer union, reader plain (a branch unreadable)', 'string', ['null', 'string'], false],
  ['writer plain, reader union with a promotion', ['null', 'long'], 'int', true, 4],
  ['writer plain, reader union without a match', ['null', 'boolean'], 'int', false],
  [
    'nested record field added with default',
    rec([{ name: 'inner', type: { type: 'record', name: 'I', fields: [{ name: 'x', type: 'int' }, { name: 'y', type: 'int', default: 0 }] } }]),
    rec([{ name: 'inner', type: { type: 'record', name: 'I', fields: [{ name: 'x', type: 'int' }] } }]),
    true,
    { inner: { x: 1 } },
  ],
  [
    'nested record field added without default',
    rec([{ name: 'inner', type: { type: 'record', name: 'I', fields: [{ name: 'x', type: 'int' }, { name: 'y', type: 'int' }] } }]),
    rec([{ name: 'inner', type: { type: 'record', name: 'I', fields: [{ name: 'x', type: 'int' }] } }]),
    false,
  ],
  [
    'recursive record (a linked list) gains a field with default',
    { type: 'record', name: 'Node', fields: [{ name: 'v', type: 'int' }, { name: 'next', type: ['null', 'Node'] }, { name: 'w', type: 'long', default: 0 }] },
    { type: 'record', name: 'Node', fields: [{ name: 'v', type: 'int' }, { name: 'next', type: ['null', 'Node'] }] },
    true,
    { v: 1, next: { v: 2, next: null } },
  ],
];

for (const [name, readerSchema, writerSchema, compatible, sample] of CASES) {
  test(name, () => {
    const reader = t(readerSchema);
    const writer = t(writerSchema);
    const problems = readerProblems(reader, writer);
    assert.is(problems.length === 0, compatible, JSON.stringify(problems));
    let resolverOk = true;
    try {
      reader.createResolver(writer);
    } catch {
      resolverOk = false;
    }
    if (compatible) {
      assert.ok(resolverOk, 'avsc can resolve what we call compatible');
      const bytes = writer.toBuffer(sample);
      reader.fromBuffer(bytes, reader.createResolver(writer));
    }
  });
}

test('problems name the path of each failure', () => {
  const problems = readerProblems(
    t(rec([{ name: 'a', type: 'int' }, { name: 'b', type: { type: 'array', items: 'int' } }, { name: 'c', type: 'string' }])),
    t(rec([{ name: 'a', type: 'string' }, { name: 'b', type: { type: 'array', items: 'string' } }])),
  );
  assert.equal(problems.map((p) => p.path), ['/fields/a/type', '/fields/b/type/items', '/fields/c']);
});

test('levels: direction and transitivity', () => {
  const v1 = t(rec([{ name: 'a', type: 'int' }]));
  const v2 = t(rec([{ name: 'a', type: 'int' }, { name: 'b', type: 'string', default: '' }]));
  const v3 = t(rec([{ name: 'a', type: 'int' }, { name: 'b', type: 'string' }]));
  const history = [{ version: 1, type: v1 }, { version: 2, type: v2 }];
  assert.equal(compatibilityProblems('BACKWARD', v3, history), []);
  assert.is(compatibilityProblems('BACKWARD_TRANSITIVE', v3, history).length, 1);
  assert.equal(compatibilityProblems('FORWARD', v3, history), []);
  assert.equal(compatibilityProblems('FULL', v3, history), []);
  assert.is(compatibilityProblems('FULL_TRANSITIVE', v3, history).length, 1);
  assert.equal(compatibilityProblems('NONE', t('string'), history), []);
  const removed = t(rec([{ name: 'b', type: 'string', default: '' }]));
  assert.equal(compatibilityProblems('BACKWARD', removed, history), []);
  assert.is(compatibilityProblems('FORWARD', removed, history).length, 1, 'v2 cannot read data without a');
  assert.equal(compatibilityProblems('BACKWARD', v1, []), [], 'a first version is always compatible');
});

test.run();
