import type { Duplex } from 'node:stream';
import type { IncomingMessage, ServerResponse, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { RequestOutcome } from '../events/gateway-events.js';
import type { EventStream } from '../events/event-stream.js';
import type { ResolvedConfig, ResolvedRoute } from '../config/schema.js';
import type { GatewayState } from '../state/types.js';
import type { UpstreamRegistry } from '../proxy/upstream-types.js';
import type { AllowedHosts } from './allowed-hosts.js';
import type { ForwardState } from './forward-state.js';
import type { RequestTrace } from '../observe/trace/request-trace.js';
import type { SpanTracer } from '../observe/trace/span-types.js';

/** Who is calling, once a credential was verified. */
export interface Identity {
  kind: 'apiKey' | 'jwt';
  /** Stable id: the key id, or the token's issuer + subject. Rate limits are keyed by it. */
  id: string;
  /** Readable caller: the key's name or the token's `sub`. */
  name: string;
  /** Token subject (sent upstream as X-User-ID). */
  subject?: string;
  scopes: readonly string[];
  claims?: Readonly<Record<string, unknown>>;
  /** Rate-limit tier: the key's tier, or the token's tier claim. */
  tier?: string;
}

/** The upstream response head, which head edits (hooks.ts onAnswerHead) may change before it reaches the client. */
export interface UpstreamHead {
  status: number;
  headers: IncomingHttpHeaders;
}

/** A whole upstream answer, buffered for a policy that needs the body (cache, transform). */
export interface BufferedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** How a policy wants the upstream's answer buffered (hooks.ts bufferAnswer). */
export interface BufferRequest {
  maxBytes: number;
  /** Stream an answer bigger than maxBytes instead of failing (a cache that just won't store it). */
  streamOverflow?: boolean;
  /** Buffer only answers whose head passes (e.g. JSON for a body transform); others stream. */
  when?: (status: number, headers: IncomingHttpHeaders) => boolean;
}

/** A route after compilation: its resolved config plus what matching and forwarding need. */
export interface CompiledRoute {
  /** Stable id (name, or "METHODS path"): keys state that survives reloads. */
  readonly id: string;
  readonly config: ResolvedRoute;
  readonly methods: ReadonlySet<string> | undefined;
  /** Turns the canonical request path into the upstream path (stripPrefix, rewrite). */
  readonly toUpstreamPath: (path: string) => string;
}

/**
 * Everything a middleware sees of a request. The proxy library never appears here: the
 * forwarder is the only code that talks to it. What policies ask of the forward (buffer the
 * answer, replace the body, edit the head) is not a field here: they call hooks.ts, which keeps
 * it in slots only it names (forward-state.ts).
 */
export interface GatewayContext extends ForwardState {
  readonly id: string;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly route: CompiledRoute;
  /** The canonical (normalised) request path: what matched and what is forwarded. */
  readonly path: string;
  /** The query string with its '?', or ''. Kept as the client sent it. */
  readonly search: string;
  readonly params: Readonly<Record<string, string>>;
  readonly clientIp: string;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** The path sent upstream (without the query); stripPrefix and rewrite set it. */
  upstreamPath: string;
  /**
   * The headers sent upstream: the client's own header object, which policies edit in place
   * (the gateway owns it; the forwarder then adds forwarding headers and drops hop-by-hop ones).
   */
  readonly upstreamHeaders: IncomingHttpHeaders;
  /** Headers the gateway adds to whatever answer the client gets (request id, rate-limit …). */
  readonly responseHeaders: OutgoingHttpHeaders;
  identity: Identity | undefined;
  /** Upstream budget for this request in ms (route, else service, else 30 s). */
  timeoutMs: number;
  /** Who answered, why, and what policies noted (hooks.ts answeredBy, markOutcome write it). */
  readonly outcome: Readonly<RequestOutcome>;
  /** The W3C trace the request goes upstream under, and gw's span in it (set at intake). */
  readonly trace?: RequestTrace;
  /** Set on WebSocket upgrade requests: the raw socket and the bytes read past the head. */
  readonly upgrade?: { socket: Duplex; head: Buffer };
  /** A buffered answer to send (from the upstream, the cache, a mock or an aggregate). */
  response?: BufferedResponse;
  /** Filled by the forwarder. */
  target?: string;
  upstreamUrl?: string;
  upstreamMs?: number;
}

export type Next = () => Promise<void>;
export type Middleware = (ctx: GatewayContext, next: Next) => Promise<void>;

/** What a policy factory may use while it builds; it runs once per config load. */
export interface BuildContext {
  readonly config: ResolvedConfig;
  /** Folder of the config file: relative paths in the config resolve against it. */
  readonly configDir: string;
  readonly events: EventStream;
  /** Stores that outlive a build (limits, keys, breakers, cache). */
  readonly state: GatewayState;
  readonly upstreams: UpstreamRegistry;
  /** The Hosts gw answers (the WebSocket Origin check admits their origins too). */
  readonly allowedHosts?: AllowedHosts;
  /** Starts exported spans; set only when `telemetry` is configured. */
  readonly tracer?: SpanTracer;
}

/**
 * A route policy: built once per route per config load. Returns undefined when it has nothing
 * to do on this route, so a route without policies runs no policy code at all.
 */
export type PolicyFactory = (route: CompiledRoute, build: BuildContext) => Middleware | undefined;
