/**
 * Confluent Schema Registry's REST API over a SchemaRegistry, on node:http. Every answer is
 * JSON with the content type `application/vnd.schemaregistry.v1+json`; errors are
 * `{"error_code": n, "message": "..."}` with Confluent's HTTP status and error code (the
 * table below is the only place SkeinError codes meet those numbers).
 *
 * Lifecycle: `SchemaRegistryServer.listen({ registry, host, port })` binds (port 0: any free
 * port) and `close()` stops accepting and ends idle keep-alive connections. Runs on the event
 * loop; a request's work is in-memory except writes, which wait for `_schemas`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SkeinError, fromSystemError, type ErrorCode } from '../errors.js';
import { SCHEMA_TYPES, type SchemaRegistry, type RegisterOptions } from './schema-registry.js';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
/** Request bodies above this are refused (413): a schema is kilobytes. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** SkeinError code → [HTTP status, Confluent error_code]. */
const ERROR_STATUS: Partial<Record<ErrorCode, [number, number]>> = {
  SKEIN_SUBJECT_NOT_FOUND: [404, 40401],
  SKEIN_SCHEMA_VERSION_NOT_FOUND: [404, 40402],
  SKEIN_SCHEMA_NOT_FOUND: [404, 40403],
  SKEIN_SUBJECT_SOFT_DELETED: [404, 40404],
  SKEIN_SUBJECT_NOT_SOFT_DELETED: [404, 40405],
  SKEIN_SCHEMA_VERSION_SOFT_DELETED: [404, 40406],
  SKEIN_SCHEMA_VERSION_NOT_SOFT_DELETED: [404, 40407],
  SKEIN_SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED: [404, 40408],
  SKEIN_SUBJECT_LEVEL_MODE_NOT_CONFIGURED: [404, 40409],
  SKEIN_INCOMPATIBLE_SCHEMA: [409, 409],
  SKEIN_INVALID_SCHEMA: [422, 42201],
  SKEIN_INVALID_SCHEMA_VERSION: [422, 42202],
  SKEIN_INVALID_COMPATIBILITY_LEVEL: [422, 42203],
  SKEIN_INVALID_MODE: [422, 42204],
  SKEIN_OPERATION_NOT_PERMITTED: [422, 42205],
  SKEIN_INVALID_ARGUMENT: [422, 422],
  SKEIN_SCHEMA_STORE_ERROR: [500, 50001],
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = URLSearchParams;
type Handler = (params: string[], query: Query, body: () => Promise<Record<string, unknown>>) => unknown;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const SEGMENT = '([^/]+)';

function flag(query: Query, name: string): boolean {
  return query.get(name) === 'true';
}

function routesOf(registry: SchemaRegistry): Route[] {
  const r = (method: string, path: string, handler: Handler): Route => ({
    method,
    pattern: new RegExp(`^${path.replaceAll('{}', SEGMENT)}/?$`),
    handler,
  });
  const registerOptions = (body: Record<string, unknown>): RegisterOptions => ({
    schemaType: body.schemaType as string | undefined,
    references: body.references as unknown[] | undefined,
    id: body.id as number | undefined,
    version: body.version as number | undefined,
  });
  const withType = (schemaType: string | undefined) => (schemaType && schemaType !== 'AVRO' ? { schemaType } : {});
  return [
    r('GET', '', () => ({})),
    r('GET', '/subjects', (_, q) => registry.listSubjects({ deleted: flag(q, 'deleted') })),
    r('GET', '/subjects/{}/versions', ([s], q) => registry.listVersions(s!, { deleted: flag(q, 'deleted') })),
    r('GET', '/subjects/{}/versions/{}', ([s, v], q) => registry.getVersion(s!, v!, { deleted: flag(q, 'deleted') })),
    r('GET', '/subjects/{}/versions/{}/schema', ([s, v], q) => ({ raw: registry.getVersion(s!, v!, { deleted: flag(q, 'deleted') }).schema })),
    r('POST', '/subjects/{}/versions', async ([s], _, body) => {
      const b = await body();
      const { id } = await registry.register(s!, b.schema, registerOptions(b));
      return { id };
    }),
    r('POST', '/subjects/{}', async ([s], q, body) => {
      const b = await body();
      const found = registry.lookup(s!, b.schema, { ...registerOptions(b), deleted: flag(q, 'deleted') });
      return { subject: found.subject, id: found.id, version: found.version, schema: found.schema };
    }),
    r('DELETE', '/subjects/{}', ([s], q) => registry.deleteSubject(s!, { permanent: flag(q, 'permanent') })),
    r('DELETE', '/subjects/{}/versions/{}', ([s, v], q) => registry.deleteVersion(s!, v!, { permanent: flag(q, 'permanent') })),
    r('GET', '/schemas/types', () => [...SCHEMA_TYPES]),
    r('GET', '/schemas/ids/{}', ([id]) => ({ schema: registry.getSchemaById(parseId(id!)).schema, ...withType(undefined) })),
    r('GET', '/schemas/ids/{}/schema', ([id]) => ({ raw: registry.getSchemaById(parseId(id!)).schema })),
    r('GET', '/schemas/ids/{}/versions', ([id], q) => registry.versionsOfId(parseId(id!), { deleted: flag(q, 'deleted') })),
    r('POST', '/compatibility/subjects/{}/versions/{}', async ([s, v], q, body) => compatibility(registry, s!, v!, q, await body(), registerOptions)),
    r('POST', '/compatibility/subjects/{}/versions', async ([s], q, body) => compatibility(registry, s!, 'latest', q, await body(), registerOptions)),
    r('GET', '/config', () => ({ compatibilityLevel: registry.getConfig(null) })),
    r('PUT', '/config', async (_, __, body) => ({ compatibility: await registry.setConfig(null, (await body()).compatibility) })),
    r('DELETE', '/config', async () => ({ compatibilityLevel: await registry.deleteConfig(null) })),
    r('GET', '/config/{}', ([s], q) => ({ compatibilityLevel: registry.getConfig(s!, { defaultToGlobal: flag(q, 'defaultToGlobal') }) })),
    r('PUT', '/config/{}', async ([s], _, body) => ({ compatibility: await registry.setConfig(s!, (await body()).compatibility) })),
    r('DELETE', '/config/{}', async ([s]) => ({ compatibilityLevel: await registry.deleteConfig(s!) })),
    r('GET', '/mode', () => ({ mode: registry.getMode(null) })),
    r('PUT', '/mode', async (_, __, body) => ({ mode: await registry.setMode(null, (await body()).mode) })),
    r('GET', '/mode/{}', ([s], q) => ({ mode: registry.getMode(s!, { defaultToGlobal: flag(q, 'defaultToGlobal') }) })),
    r('PUT', '/mode/{}', async ([s], _, body) => ({ mode: await registry.setMode(s!, (await body()).mode) })),
    r('DELETE', '/mode/{}', async ([s]) => ({ mode: await registry.deleteMode(s!) })),
  ];
}

function compatibility(
  registry: SchemaRegistry,
  subject: string,
  version: string,
  query: Query,
  body: Record<string, unknown>,
  options: (body: Record<string, unknown>) => RegisterOptions,
): unknown {
  const result = registry.testCompatibility(subject, version, body.schema, options(body));
  return flag(query, 'verbose') ? { is_compatible: result.compatible, messages: result.problems } : { is_compatible: result.compatible };
}

function parseId(text: string): number {
  const id = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(id)) throw new SkeinError('SKEIN_SCHEMA_NOT_FOUND', 'Schema not found', { id: text });
  return id;
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 413, `request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        reject(new HttpError(400, 400, `Unrecognized request body: not JSON (${(err as Error).message})`));
        return;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        reject(new SkeinError('SKEIN_INVALID_SCHEMA', 'the request body must be a JSON object'));
        return;
      }
      resolve(parsed as Record<string, unknown>);
    });
  });
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const raw = payload && typeof payload === 'object' && 'raw' in payload && Object.keys(payload).length === 1;
  const body = raw ? String((payload as { raw: string }).raw) : JSON.stringify(payload);
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function sendError(res: ServerResponse, err: unknown): void {
  if (err instanceof HttpError) return send(res, err.status, { error_code: err.errorCode, message: err.message });
  if (err instanceof SkeinError) {
    const [status, errorCode] = ERROR_STATUS[err.code] ?? [500, 50001];
    return send(res, status, { error_code: errorCode, message: err.message });
  }
  send(res, 500, { error_code: 500, message: `Internal error: ${(err as Error)?.message ?? String(err)}` });
}

export interface SchemaRegistryServerOptions {
  registry: SchemaRegistry;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8081 (Confluent's); 0 picks a free port. */
  port?: number;
}

export class SchemaRegistryServer {
  readonly host: string;
  readonly port: number;
  private readonly server: Server;
  private closing: Promise<void> | undefined;

  private constructor(server: Server, address: AddressInfo) {
    this.server = server;
    this.host = address.address;
    this.port = address.port;
  }

  /** Where clients point their `host` (e.g. @kafkajs/confluent-schema-registry). */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  static listen(options: SchemaRegistryServerOptions): Promise<SchemaRegistryServer> {
    const routes = routesOf(options.registry);
    const server = createServer((req, res) => {
      handle(routes, req, res).catch((err: unknown) => sendError(res, err));
    });
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(fromSystemError(err, `cannot listen for the schema registry on ${options.host ?? '127.0.0.1'}:${options.port ?? 8081}`)));
      server.listen(options.port ?? 8081, options.host ?? '127.0.0.1', () => {
        resolve(new SchemaRegistryServer(server, server.address() as AddressInfo));
      });
    });
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise((resolve) => {
        this.server.close(() => resolve());
        this.server.closeIdleConnections();
      });
    }
    return this.closing;
  }
}

async function handle(routes: Route[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://registry');
  const path = url.pathname.replace(/\/+$/, '');
  let pathMatched = false;
  for (const route of routes) {
    const match = route.pattern.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== req.method) continue;
    let params: string[];
    try {
      params = match.slice(1).map((p) => decodeURIComponent(p));
    } catch {
      throw new HttpError(404, 404, `HTTP 404 Not Found: malformed path ${path}`);
    }
    const result = await route.handler(params, url.searchParams, () => readBody(req));
    send(res, 200, result);
    return;
  }
  if (pathMatched) throw new HttpError(405, 405, `HTTP 405 Method Not Allowed: ${req.method} ${path}`);
  throw new HttpError(404, 404, `HTTP 404 Not Found: ${path}`);
}
