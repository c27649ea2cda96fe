/**
 * Child process of persistence.test.ts: opens Skein on <dir>, serves the schema registry on
 * a free port, registers <count> evolving versions of subject "kill-me" through the REST API,
 * printing `registered <version> <id>` after each answer, then `done` and waits to be killed.
 * stdout is a pipe written synchronously, so every line the parent reads was printed after
 * the registry acknowledged that version.
 */
import { Skein } from '../../src/client/skein.js';

const [dir, countText] = process.argv.slice(2);
const skein = await Skein.open({ dir: dir! });
const server = await skein.serveSchemaRegistry({ port: 0 });
const count = Number(countText);
for (let v = 1; v <= count; v++) {
  const fields = [{ name: 'a', type: 'int' }, ...Array.from({ length: v - 1 }, (_, i) => ({ name: `f${i}`, type: 'string', default: '' }))];
  const res = await fetch(`${server.url}/subjects/kill-me/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'K', fields }) }),
  });
  const { id } = (await res.json()) as { id: number };
  process.stdout.write(`registered ${v} ${id}\n`);
}
process.stdout.write('done\n');
setInterval(() => undefined, 1000);
