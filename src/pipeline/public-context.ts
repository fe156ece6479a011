import { validateHeaderValue, type IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.js';
import type {
  Answer,
  AnswerHandler,
  HeaderValue,
  Identity,
  MiddlewareContext,
  ReadonlyHeaders,
  RequestBody,
  RequestView,
  RouteView,
} from '../api/middleware-context.js';
import { checkedValue, checkHeaders, checkStatus, headerNameOf, toBuffer } from '../api/checked-input.js';
import { hasRequestBody, readRequestBody } from '../middleware/transform/read-body.js';
import { answerBuffering, answeredBy, onAnswerHead, replaceUpstreamBody, upstreamBody } from './hooks.js';
import type { BufferRequest, CompiledRoute, GatewayContext, UpstreamHead } from './types.js';

/**
 * The adapter between the public middleware API (src/api/middleware-context.ts) and the internal
 * request context. It is the only code that maps one onto the other, so the internal context can
 * change by editing this file alone. One instance per request on routes with `use` (the request
 * view, the body reader and the query are built only when read); routes without `use` never
 * build one.
 */

/** Per route, built once per config load: what the adapter needs beyond the request. */
export interface PublicRoute {
  readonly view: RouteView;
  /** Most bytes c.body reads: the route's bodyLimit, else 1 MB. */
  readonly bodyLimit: number;
}

const DEFAULT_BODY_LIMIT = 1024 * 1024;

export function createPublicRoute(route: CompiledRoute): PublicRoute {
  const { name, path, service, bodyLimit } = route.config;
  return {
    view: Object.freeze({ id: route.id, name, path, service }),
    bodyLimit: bodyLimit ?? DEFAULT_BODY_LIMIT,
  };
}

/** Whether the forwarder will buffer this answer (a policy after `use` then hands it over whole). */
function buffersAnswer(request: BufferRequest | undefined, head: UpstreamHead): boolean {
  if (!request || !(request.when?.(head.status, head.headers) ?? true)) return false;
  // An answer declared bigger than a cache may keep streams; one of unknown length is buffered.
  return !request.streamOverflow || !(Number(head.headers['content-length']) > request.maxBytes);
}

class PublicRequest implements RequestView {
  readonly #ctx: GatewayContext;
  #query: URLSearchParams | undefined;
  constructor(ctx: GatewayContext) {
    this.#ctx = ctx;
  }
  get id(): string {
    return this.#ctx.id;
  }
  get method(): string {
    return this.#ctx.method;
  }
  get path(): string {
    return this.#ctx.path;
  }
  get url(): string {
    return this.#ctx.path + this.#ctx.search;
  }
  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#ctx.search));
  }
  get headers(): ReadonlyHeaders {
    return this.#ctx.upstreamHeaders;
  }
  get clientIp(): string {
    return this.#ctx.clientIp;
  }
}

class PublicBody implements RequestBody {
  readonly #ctx: GatewayContext;
  readonly #limit: number;
  #reading: Promise<Buffer> | undefined;
  constructor(ctx: GatewayContext, limit: number) {
    this.#ctx = ctx;
    this.#limit = limit;
  }
  buffer(): Promise<Buffer> {
    const ctx = this.#ctx;
    // A replaced (or already read) body is what goes upstream, so it is what a later read sees.
    const replaced = upstreamBody(ctx);
    if (Buffer.isBuffer(replaced)) return Promise.resolve(replaced);
    if (ctx.upgrade || !hasRequestBody(ctx)) return Promise.resolve(Buffer.alloc(0));
    // The stream can be read once: keep the bytes and send them upstream in its place.
    // (Unless a replace() came while it was read: that body goes instead.)
    return (this.#reading ??= readRequestBody(ctx, this.#limit).then((bytes) => {
      if (!Buffer.isBuffer(upstreamBody(ctx))) replaceUpstreamBody(ctx, bytes);
      return bytes;
    }));
  }
  async text(): Promise<string> {
    return (await this.buffer()).toString('utf8');
  }
  async json<T = unknown>(): Promise<T> {
    const text = await this.text();
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new GatewayError(
        'GW_BODY_INVALID_JSON',
        `The request body is not valid JSON: ${(error as Error).message}`,
      );
    }
  }
  replace(body: string | Uint8Array, contentType?: string): void {
    const ctx = this.#ctx;
    if (ctx.upgrade) throw new TypeError('A WebSocket upgrade has no body to replace');
    replaceUpstreamBody(ctx, toBuffer(body));
    // The new bytes are sent as given: the old body's coding no longer describes them.
    ctx.upstreamHeaders['content-encoding'] = undefined;
    if (contentType !== undefined) {
      validateHeaderValue('content-type', contentType);
      ctx.upstreamHeaders['content-type'] = contentType;
    }
  }
  replaceJson(value: unknown): void {
    this.replace(JSON.stringify(value) ?? 'null', 'application/json');
  }
}

/** One answer as the handlers see it: a streamed head, or a buffered answer with its body. */
class PublicAnswer implements Answer {
  readonly #target: { status: number; headers: IncomingHttpHeaders; body?: Buffer };
  readonly #buffered: boolean;
  constructor(target: { status: number; headers: IncomingHttpHeaders; body?: Buffer }, buffered: boolean) {
    this.#target = target;
    this.#buffered = buffered;
  }
  get status(): number {
    return this.#target.status;
  }
  set status(status: number) {
    this.#target.status = checkStatus(status);
  }
  get headers(): IncomingHttpHeaders {
    return this.#target.headers;
  }
  get body(): Buffer | undefined {
    return this.#buffered ? this.#target.body : undefined;
  }
  set body(body: Buffer | undefined) {
    if (!this.#buffered) throw new TypeError('This answer streams: its body cannot be replaced');
    this.#target.body = toBuffer(body);
    // The body is new: its old coding, length and validators describe bytes that are gone.
    for (const name of ['content-encoding', 'content-length', 'etag', 'content-md5'])
      delete this.#target.headers[name];
  }
}

/** What onResponse() and removeResponseHeader() asked for, and how the answer fared. */
interface AnswerWatch {
  handlers: Array<{ handler: AnswerHandler; by: string }>;
  /** Upstream answer headers to drop (removeResponseHeader). */
  removed: string[];
  seen: boolean;
  /** A handler that threw while its answer streamed (the connection was closed). */
  error: GatewayError | undefined;
}

export class PublicContext implements MiddlewareContext {
  readonly #ctx: GatewayContext;
  readonly #route: PublicRoute;
  #request: PublicRequest | undefined;
  #body: PublicBody | undefined;
  /** Built on the first onResponse()/removeResponseHeader(): most requests never need it. */
  #watch: AnswerWatch | undefined;
  #responded = false;
  /** The middleware running now, named in errors: "use[1] (tenantFromHost)". */
  #current = 'use';

  constructor(ctx: GatewayContext, route: PublicRoute) {
    this.#ctx = ctx;
    this.#route = route;
  }

  get request(): RequestView {
    return (this.#request ??= new PublicRequest(this.#ctx));
  }
  get params(): Readonly<Record<string, string>> {
    return this.#ctx.params;
  }
  get identity(): Identity | undefined {
    return this.#ctx.identity;
  }
  get route(): RouteView {
    return this.#route.view;
  }
  get body(): RequestBody {
    return (this.#body ??= new PublicBody(this.#ctx, this.#route.bodyLimit));
  }

  setRequestHeader(name: string, value: HeaderValue): void {
    const lower = headerNameOf(name);
    this.#ctx.upstreamHeaders[lower] = checkedValue(lower, value);
  }
  removeRequestHeader(name: string): void {
    // Undefined, not delete: the forwarder skips it, and the object stays fast to read.
    this.#ctx.upstreamHeaders[headerNameOf(name)] = undefined;
  }
  setResponseHeader(name: string, value: HeaderValue): void {
    const lower = headerNameOf(name);
    this.#ctx.responseHeaders[lower] = checkedValue(lower, value);
  }
  removeResponseHeader(name: string): void {
    const lower = headerNameOf(name);
    delete this.#ctx.responseHeaders[lower];
    this.#watchAnswers().removed.push(lower);
  }

  respond(status: number, body?: string | Uint8Array, headers?: Readonly<Record<string, HeaderValue>>): void {
    const ctx = this.#ctx;
    if (ctx.res.headersSent) throw new Error('The answer was already sent: respond() comes too late');
    const own: IncomingHttpHeaders = {};
    for (const name in headers) own[headerNameOf(name)] = checkedValue(name, headers[name]!);
    ctx.response = { status: checkStatus(status), headers: own, body: toBuffer(body) };
    this.#responded = true;
  }
  json(status: number, value: unknown, headers?: Readonly<Record<string, HeaderValue>>): void {
    this.respond(status, JSON.stringify(value) ?? 'null', { 'content-type': 'application/json', ...headers });
  }

  onResponse(handler: AnswerHandler): void {
    if (this.#watch?.seen || this.#ctx.res.headersSent) {
      throw new Error('onResponse() comes too late: the answer has gone by; call it before next()');
    }
    this.#watchAnswers().handlers.push({ handler, by: this.#current });
  }

  #watchAnswers(): AnswerWatch {
    if (this.#watch) return this.#watch;
    const watch: AnswerWatch = (this.#watch = { handlers: [], removed: [], seen: false, error: undefined });
    // An upstream answer that streams is seen as its head is prepared; a buffered one once the
    // policies after `use` are done with it (finishAnswer), so a cache stores it unedited and
    // every request's answer is edited exactly once.
    onAnswerHead(this.#ctx, (head) => {
      if (watch.seen || buffersAnswer(answerBuffering(this.#ctx), head)) return;
      try {
        this.#edit(watch, head, false);
      } catch (error) {
        // The head is not written yet but cannot become an error answer any more: close the
        // connection rather than send what the handler meant to change.
        watch.error = this.#handlerError(error);
        answeredBy(this.#ctx, 'use', watch.error.message);
        this.#ctx.res.destroy();
      }
    });
    return watch;
  }

  #edit(
    watch: AnswerWatch,
    target: { status: number; headers: IncomingHttpHeaders; body?: Buffer },
    buffered: boolean,
  ): void {
    watch.seen = true;
    for (const name of watch.removed) delete target.headers[name];
    if (watch.handlers.length === 0) return;
    const answer = new PublicAnswer(target, buffered);
    for (const { handler, by } of watch.handlers) {
      this.#current = by;
      handler(answer);
    }
    checkHeaders(target.headers);
  }

  #handlerError(error: unknown): GatewayError {
    const message = error instanceof Error ? error.message : String(error);
    return new GatewayError(
      'GW_INTERNAL',
      `The onResponse handler of ${this.#current} on route ${this.#ctx.route.id} threw: ${message}`,
      {
        cause: error,
        hint: 'Fix that onResponse handler in the config.',
        extensions: { middleware: this.#current },
      },
    );
  }

  /** The `use` chain names the middleware it is about to run (errors and answers name it). */
  static enter(c: PublicContext, label: string): void {
    c.#current = label;
  }

  /** Whether a middleware answered with respond()/json(). */
  static responded(c: PublicContext): boolean {
    return c.#responded;
  }

  /**
   * Called by the `use` chain once the rest of the route is done (or a middleware answered): a
   * buffered answer meets the handlers here; a streamed one already did. Throws what they threw.
   */
  static finishAnswer(c: PublicContext): void {
    const watch = c.#watch;
    if (!watch) return;
    if (watch.error) throw watch.error;
    const response = c.#ctx.response;
    if (watch.seen || !response || c.#ctx.res.headersSent) return;
    try {
      c.#edit(watch, response, true);
    } catch (error) {
      throw c.#handlerError(error);
    }
  }
}
