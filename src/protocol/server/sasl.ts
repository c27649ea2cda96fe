/**
 * SASL authentication of one connection (KAFKA-PROTOCOL.md §9), with the PLAIN mechanism.
 *
 * Owns: the connection's authentication state and the credential check. The connection asks
 * it which requests may be handled yet (`allows`) and whether the next frame is a bare SASL
 * token (`expectsRawToken`); the SaslHandshake and SaslAuthenticate handlers drive it through
 * `handshake` and `authenticate`. No sockets here.
 *
 * States, when the server has SASL configured:
 *
 *   start ──SaslHandshake v0 (PLAIN)──▶ raw-token ──token frame──▶ authenticated
 *     │                                   (the next frame is a bare token, no Kafka header;
 *     │                                    the answer is a bare empty token)
 *     └──SaslHandshake v1 (PLAIN)──▶ authenticate ──SaslAuthenticate──▶ authenticated
 *
 * Before `authenticated` only ApiVersions, SaslHandshake and (after a v1 handshake)
 * SaslAuthenticate are allowed; anything else, or a failed token, closes the connection, as
 * the Java broker does. A handshake naming another mechanism gets UNSUPPORTED_SASL_MECHANISM
 * with the enabled list and leaves the state as it was. Without SASL configured every request
 * is allowed and every handshake is refused with an empty list.
 *
 * PLAIN (RFC 4616): one token `authzid NUL username NUL password`, authzid empty or equal to
 * the username. Passwords are compared through SHA-256 digests with timingSafeEqual, so the
 * time taken says nothing about the password, nor its length. PLAIN sends the password as it
 * is: use it on trusted networks until TLS comes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { KAFKA_ERRORS } from '../error-codes.js';

export interface SaslOptions {
  /** PLAIN users and their passwords. */
  plain?: { users: Readonly<Record<string, string>> };
}

type State = 'open' | 'start' | 'raw-token' | 'authenticate' | 'authenticated';

const ALWAYS_ALLOWED = new Set([18 /* ApiVersions */, 17 /* SaslHandshake */]);
const SASL_AUTHENTICATE = 36;

export type AuthenticateResult = { ok: true; user: string } | { ok: false; message: string };

export class SaslSession {
  private readonly users: ReadonlyMap<string, Buffer>;
  private state: State;
  private user: string | undefined;

  constructor(options: SaslOptions | undefined) {
    const plain = options?.plain?.users ?? {};
    this.users = new Map(Object.entries(plain).map(([name, password]) => [name, digest(password)]));
    this.state = this.users.size > 0 ? 'start' : 'open';
  }

  /** The mechanisms a handshake may name. */
  get mechanisms(): string[] {
    return this.users.size > 0 ? ['PLAIN'] : [];
  }

  /** Whether the next frame is a bare token (after a v0 handshake). */
  get expectsRawToken(): boolean {
    return this.state === 'raw-token';
  }

  /** Whether a SaslAuthenticate request is expected now. */
  get expectsAuthenticate(): boolean {
    return this.state === 'authenticate';
  }

  /** Whether requests are served: no SASL configured, or the peer has logged in. */
  get authenticated(): boolean {
    return this.state === 'open' || this.state === 'authenticated';
  }

  /** The authenticated user, once there is one. */
  get principal(): string | undefined {
    return this.user;
  }

  /** Whether a request of this API may be handled in the current state. */
  allows(apiKey: number): boolean {
    if (this.state === 'open' || this.state === 'authenticated') return true;
    if (this.state === 'raw-token') return false;
    return ALWAYS_ALLOWED.has(apiKey) || (apiKey === SASL_AUTHENTICATE && this.state === 'authenticate');
  }

  /** SaslHandshake: the error code and the enabled mechanisms to answer with. */
  handshake(mechanism: string, version: number): { errorCode: number; mechanisms: string[] } {
    if (this.state === 'open' || !this.mechanisms.includes(mechanism)) {
      return { errorCode: KAFKA_ERRORS.UNSUPPORTED_SASL_MECHANISM, mechanisms: this.mechanisms };
    }
    if (this.state !== 'start') return { errorCode: KAFKA_ERRORS.ILLEGAL_SASL_STATE, mechanisms: this.mechanisms };
    this.state = version === 0 ? 'raw-token' : 'authenticate';
    return { errorCode: KAFKA_ERRORS.NONE, mechanisms: this.mechanisms };
  }

  /** Checks a PLAIN token (from a bare frame or a SaslAuthenticate request). */
  authenticate(token: Buffer): AuthenticateResult {
    if (this.state !== 'raw-token' && this.state !== 'authenticate') return { ok: false, message: 'no SASL handshake preceded the token' };
    const parts = splitPlain(token);
    const known = parts ? this.users.get(parts.username) : undefined;
    // Digest even for unknown users so both paths take the same time.
    const offered = digest(parts?.password ?? '');
    const valid = parts !== undefined && known !== undefined && timingSafeEqual(known, offered) && (parts.authzid === '' || parts.authzid === parts.username);
    if (!valid) return { ok: false, message: 'Authentication failed: invalid username or password' };
    this.state = 'authenticated';
    this.user = parts!.username;
    return { ok: true, user: parts!.username };
  }
}

function digest(password: string): Buffer {
  return createHash('sha256').update(password, 'utf8').digest();
}

function splitPlain(token: Buffer): { authzid: string; username: string; password: string } | undefined {
  const first = token.indexOf(0);
  const second = first < 0 ? -1 : token.indexOf(0, first + 1);
  if (first < 0 || second < 0 || token.indexOf(0, second + 1) >= 0) return undefined;
  return {
    authzid: token.subarray(0, first).toString('utf8'),
    username: token.subarray(first + 1, second).toString('utf8'),
    password: token.subarray(second + 1).toString('utf8'),
  };
}
