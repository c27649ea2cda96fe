/**
 * The embedded Avro serializer (Confluent wire format: magic, schema id, Avro body) against
 * JSON.stringify / JSON.parse of the same objects, records/s. The record: an order with
 * strings, a long, a double, an enum, an array and an optional field (~150 bytes of JSON).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Skein } from '../src/client/skein.js';
import { compare, printEnvironment } from './harness.js';

const root = mkdtempSync(join(tmpdir(), 'skein-bench-sr-'));
const skein = await Skein.open({ dir: join(root, 'data'), logCleanerIntervalMs: 0 });
const registry = await skein.schemaRegistry();
const schema = {
  type: 'record',
  name: 'Order',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'customer', type: 'string' },
    { name: 'amountCents', type: 'long' },
    { name: 'rate', type: 'double' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'] } },
    { name: 'items', type: { type: 'array', items: 'string' } },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
};
const { id } = await registry.register('orders-value', JSON.stringify(schema));
const order = { id: 'o-123456', customer: 'customer-42', amountCents: 123456789, rate: 0.0825, status: 'PAID', items: ['sku-1', 'sku-22', 'sku-333'], note: 'leave at the door' };
const avroBytes = registry.encode(id, order);
const jsonBytes = Buffer.from(JSON.stringify(order));
console.log(`one record: Avro ${avroBytes.length} bytes (5 of them the Confluent header), JSON ${jsonBytes.length} bytes`);

printEnvironment();
await compare('encode one record', {
  unit: 'records',
  baseline: { name: 'JSON.stringify + Buffer.from', fn: () => Buffer.from(JSON.stringify(order)), unitsPerOp: 1 },
  tasks: [{ name: 'registry.encode (Avro, Confluent framing)', fn: () => registry.encode(id, order), unitsPerOp: 1 }],
});
await compare('decode one record', {
  unit: 'records',
  baseline: { name: 'JSON.parse(buffer.toString())', fn: () => JSON.parse(jsonBytes.toString()), unitsPerOp: 1 },
  tasks: [{ name: 'registry.decode (schema by id, Avro)', fn: () => registry.decode(avroBytes), unitsPerOp: 1 }],
});
await skein.close();
rmSync(root, { recursive: true, force: true });
