/**
 * What the protocol server tells an observer (the admin port's metrics) about each request it
 * answered: which API, how long it took, and the decoded request and response, so per-topic
 * figures and error codes are read off the objects the server already has instead of being
 * counted in the handlers. Called on the event loop once per response, after encoding; an
 * observer must be cheap and must not throw (a throw is swallowed). No observer: no cost but
 * one property read per request.
 */
export interface RequestEvent {
  apiKey: number;
  api: string;
  apiVersion: number;
  request: unknown;
  /** The response sent (undefined for acks=0 produce, which gets none). */
  response: unknown;
  /** The whole request failed (the handler threw) and was answered with its error response. */
  failed: boolean;
  /** Kafka error code of a failed request (0 otherwise). */
  errorCode: number;
  /** From decoded request to encoded response, in seconds. */
  seconds: number;
}

export type RequestObserver = (event: RequestEvent) => void;

/** Shared by a server and its connections, so an observer set later applies to open connections too. */
export interface ObserverSlot {
  current: RequestObserver | undefined;
}
