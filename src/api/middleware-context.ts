/**
 * The public middleware API: what a route's `use: [...]` middlewares see. These types are part of
 * gw's stable surface (docs/middleware-api.md): a field is only added here, never renamed or
 * removed before a major version. Nothing here names gw's internals; the adapter in
 * src/pipeline/public-context.ts maps them onto the internal request context, which may change
 * freely.
 */

import type { IncomingHttpHeaders } from 'node:http';

/** Runs the rest of the route: later middlewares, gw's policies after `use`, the upstream. */
export type Next = () => Promise<void>;

/** A route middleware: `use: [myMiddleware]` in a TS or JS config. */
export type Middleware = (c: MiddlewareContext, next: Next) => Promise<void>;

/** A header value as set by a middleware: one value, or several (sent as repeated lines). */
export type HeaderValue = string | readonly string[];

/** Header names are lower-case; a header that is not there reads as undefined. */
export type ReadonlyHeaders = Readonly<IncomingHttpHeaders>;

/** The verified caller, set by the route's `auth` before `use` runs. */
export interface Identity {
  readonly kind: 'apiKey' | 'jwt';
  /** Stable id: the key id, or the token's issuer + subject (rate limits are keyed by it). */
  readonly id: string;
  /** Readable caller: the key's name or the token's `sub`. */
  readonly name: string;
  /** The token's subject (sent upstream as X-User-ID). */
  readonly subject?: string;
  readonly scopes: readonly string[];
  /** The token's verified claims (JWT only). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Rate-limit tier: the key's tier, or the token's tier claim. */
  readonly tier?: string;
}

/** The client's request, read-only. */
export interface RequestView {
  /** The request id (the client's valid X-Request-ID, else a fresh UUID); also sent upstream. */
  readonly id: string;
  readonly method: string;
  /** The canonical path that matched the route (dot segments resolved, before stripPrefix). */
  readonly path: string;
  /** Path and query: `path` followed by the query string as the client sent it. */
  readonly url: string;
  /** The query string, parsed. A copy: editing it changes nothing. */
  readonly query: URLSearchParams;
  /**
   * The request headers as they stand to go upstream: the client's, minus identity headers a
   * client may not send, plus gw's (X-Forwarded-*, X-Request-ID, verified identity) and the edits
   * of earlier middlewares.
   */
  readonly headers: ReadonlyHeaders;
  /** The client's address (the socket's peer; X-Forwarded-For is not trusted). */
  readonly clientIp: string;
}

/** The route that matched, as configured. */
export interface RouteView {
  /** Stable id: the route's `name`, else "METHODS path". */
  readonly id: string;
  readonly name: string | undefined;
  /** The route's `path` pattern as configured, e.g. '/api/users/:id'. */
  readonly path: string;
  readonly service: string | undefined;
}

/** The request body: read it (once read, later reads give the same bytes) or replace it. */
export interface RequestBody {
  /** The body's bytes (empty when the request has none); 413 GW_BODY_TOO_LARGE past the limit. */
  buffer(): Promise<Buffer>;
  /** The body as UTF-8 text. */
  text(): Promise<string>;
  /** The body parsed as JSON; 400 GW_BODY_INVALID_JSON when it is not JSON. */
  json<T = unknown>(): Promise<T>;
  /** Sends `body` upstream instead, with its own Content-Length (and this Content-Type if given). */
  replace(body: string | Uint8Array, contentType?: string): void;
  /** Sends `value` upstream as JSON (Content-Type: application/json). */
  replaceJson(value: unknown): void;
}

/**
 * An answer on its way to the client, before its head is written: from the upstream, or from a
 * policy that runs after `use` (mock, cache, aggregate). Edits apply to this one answer.
 */
export interface Answer {
  status: number;
  /** The answer's headers (lower-case names); edit them in place. */
  readonly headers: IncomingHttpHeaders;
  /**
   * The whole body when the answer is buffered (a route with a mock, cache, aggregate or a
   * response transform); undefined when it streams. Assign a new body to replace a buffered one.
   */
  body: Buffer | undefined;
}

/** Called once per answer before its head is written; runs synchronously. */
export type AnswerHandler = (answer: Answer) => void;

/** What a `use` middleware gets for one request. */
export interface MiddlewareContext {
  readonly request: RequestView;
  /** Values of the route's `:name` segments. */
  readonly params: Readonly<Record<string, string>>;
  /** The verified caller, or undefined on a route without `auth`. */
  readonly identity: Identity | undefined;
  readonly route: RouteView;
  /** The request body (bounded by the route's `bodyLimit`, 1 MB without one). */
  readonly body: RequestBody;

  /** Sets a header on the request sent upstream, replacing any value. */
  setRequestHeader(name: string, value: HeaderValue): void;
  /** Removes a header from the request sent upstream. */
  removeRequestHeader(name: string): void;
  /** Sets a header on whatever answer the client gets (upstream, mock, cache or gw's own error). */
  setResponseHeader(name: string, value: HeaderValue): void;
  /** Removes a header from the client's answer: the upstream's, a mock's or cache's, or one gw set before `use`. */
  removeResponseHeader(name: string): void;

  /** Answers the request now; the upstream is not called. Do not call next() after it. */
  respond(status: number, body?: string | Uint8Array, headers?: Readonly<Record<string, HeaderValue>>): void;
  /** Answers with `value` as JSON (Content-Type: application/json). */
  json(status: number, value: unknown, headers?: Readonly<Record<string, HeaderValue>>): void;

  /** Sees (and may edit) the answer before its head is written. Register it before next(). */
  onResponse(handler: AnswerHandler): void;
}
