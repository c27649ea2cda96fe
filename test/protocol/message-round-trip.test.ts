/**
 * Every generated API at every version it serves, requests and responses alike: random
 * messages (helpers/spec-model.ts, which reads the JSON specs on its own) are encoded,
 * decoded and encoded again; the two encodings must be byte-identical, the decoder must
 * consume exactly the bytes written, and it must return the message with absent fields
 * at their defaults.
 */
import { test } from '../helpers/test.js';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { APIS } from '../../src/protocol/api-keys.js';
import { Reader } from '../../src/protocol/codec/reader.js';
import { Writer } from '../../src/protocol/codec/writer.js';
import { SCHEMATA, SpecModel, kebab, loadSpec, type Codec } from './helpers/spec-model.js';

type Encode = (w: Writer, version: number, m: unknown) => void;
type Decode = (r: Reader, version: number) => Record<string, unknown>;

const RUNS = Number(process.env.SKEIN_PROTOCOL_RUNS ?? 30);
let roundTrips = 0;

function encode(fn: Encode, version: number, message: unknown): Buffer {
  const w = new Writer(16); // small, so messages span several scratch chunks
  fn(w, version, message);
  return w.toBuffer();
}

for (const api of APIS) {
  test(`${api.name} (key ${api.apiKey}) v${api.minVersion}-${api.maxVersion}: requests and responses round-trip byte for byte`, async () => {
    const codec = (await import(`../../src/protocol/messages/${kebab(api.name)}.js`)) as Codec;
    assert.is(codec.apiKey, api.apiKey);
    assert.is(codec.minVersion, api.minVersion);
    assert.is(codec.maxVersion, api.maxVersion);
    for (const kind of ['Request', 'Response'] as const) {
      const spec = loadSpec(`${SCHEMATA}${api.name}${kind}.json`);
      assert.is(spec.apiKey, api.apiKey);
      const model = new SpecModel(spec, api.minVersion, api.maxVersion);
      const encodeFn = codec[`encode${api.name}${kind}`] as Encode;
      const decodeFn = codec[`decode${api.name}${kind}`] as Decode;
      for (let version = api.minVersion; version <= api.maxVersion; version++) {
        assert.is((codec.isFlexible as (v: number) => boolean)(version), model.isFlexible(version), `${kind} v${version} flexible`);
        fc.assert(
          fc.property(model.arbitrary(version), (message) => {
            const first = encode(encodeFn, version, message);
            const r = new Reader(first);
            const decoded = decodeFn(r, version);
            assert.is(r.remaining, 0, 'the decoder consumed every byte');
            assert.equal(decoded, model.expectedDecode(message, version));
            const second = encode(encodeFn, version, decoded);
            assert.ok(first.equals(second), `${api.name}${kind} v${version}: re-encoding changed the bytes`);
          }),
          { numRuns: RUNS },
        );
        roundTrips += 1;
      }
    }
  });
}

test('every API × version × direction was round-tripped', () => {
  const expected = APIS.reduce((n, api) => n + 2 * (api.maxVersion - api.minVersion + 1), 0);
  assert.is(roundTrips, expected);
});

test.run();
