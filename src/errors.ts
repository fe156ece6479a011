/**
 * Every error a user can meet, in one catalogue: a stable code, the HTTP status it answers with
 * (when it reaches a client), a title for problem+json and a default hint that says what to do.
 * Tests assert codes, never prose. docs/errors.md is generated from this catalogue (`npm run docs`;
 * a test fails while it is out of date).
 */
export const errorCatalogue = {
  // Configuration (CLI and reload; never reach a client)
  GW_CONFIG_NOT_FOUND: {
    status: 500,
    title: 'No gateway config found',
    hint: 'Run `gw init` to write gateway.config.ts here, or `gw dev --demo` to try the built-in demo.',
  },
  GW_CONFIG_LOAD_FAILED: {
    status: 500,
    title: 'The config file could not be loaded',
    hint: 'Fix the syntax or import error shown above.',
  },
  GW_CONFIG_INVALID: { status: 500, title: 'The config is not valid', hint: 'Fix the fields listed above.' },
  GW_CONFIG_DELETED: {
    status: 500,
    title: 'The config file was deleted',
    hint: 'Restore the file; the last good config keeps serving until then.',
  },
  GW_CONFIG_LOAD_TIMEOUT: {
    status: 500,
    title: 'The config did not finish loading in time',
    hint: 'Something in the config (an exported async function, a top-level await) never settles; fix it and save again. GW_CONFIG_LOAD_TIMEOUT_MS sets the limit.',
  },
  GW_CONFIG_EXIT: {
    status: 500,
    title: 'The config called process.exit',
    hint: 'A config must not end the gateway: throw an Error to report a problem instead.',
  },
  GW_OPENAPI_INVALID: {
    status: 500,
    title: 'An OpenAPI document could not be loaded',
    hint: 'Fix the file or $ref named in the message; gw reads OpenAPI 3.0 and 3.1 in YAML or JSON.',
  },
  GW_CONFIG_EDIT_FAILED: {
    status: 500,
    title: 'The config file could not be edited',
    hint: 'The file was left as it was; add the routes by hand (`gw routes import` without --write prints them).',
  },
  GW_PORT_IN_USE: {
    status: 500,
    title: 'The port is already in use',
    hint: 'Stop the other process or pass --port.',
  },
  GW_TEMPLATE_EXISTS: {
    status: 500,
    title: 'A config already exists here',
    hint: 'Edit it, or pass --force to overwrite it.',
  },
  // State folder, keys and tokens (CLI)
  GW_STATE_CORRUPT: {
    status: 500,
    title: 'A state file is corrupt',
    hint: 'Restore the file from a backup or delete it; nothing else was changed.',
  },
  GW_KEY_NOT_FOUND: { status: 500, title: 'No such key', hint: 'Run `gw keys list` to see the key ids.' },
  GW_STATE_LOCKED: {
    status: 500,
    title: 'A state file is locked',
    hint: 'Another gw command is writing it; retry, or delete the .lock file beside it if no gw process runs.',
  },
  GW_KEY_ARGUMENT: { status: 500, title: 'A key option is not valid', hint: 'See `gw keys create --help`.' },
  GW_TOKEN_INVALID: {
    status: 500,
    title: 'The token is not valid',
    hint: 'The reason is shown above; mint a fresh one with `gw token issue`.',
  },
  GW_TOKEN_ARGUMENT: {
    status: 500,
    title: 'A token option is not valid',
    hint: 'See `gw token issue --help`.',
  },
  GW_STORE_UNREACHABLE: {
    status: 500,
    title: 'The shared state store cannot be reached',
    hint: 'Start Redis or fix state.url in the config.',
  },
  GW_TRACE_EXPORT_FAILED: {
    status: 500,
    title: 'Spans could not be sent to the OTLP receiver',
    hint: 'Start the receiver named in telemetry.otlp (Jaeger or an OpenTelemetry Collector on port 4318) or fix the URL; requests are not affected.',
  },
  GW_STATE_DIR_INSECURE: {
    status: 500,
    title: 'The state folder is writable by other users',
    hint: 'Run `chmod 700` on the folder or pass another --state-dir; gw writes no keys or secrets there until then.',
  },
  // Local HTTPS: gw's CA and the trust stores (CLI and start)
  GW_TLS_CA_INVALID: {
    status: 500,
    title: "gw's local CA cannot be used",
    hint: 'Remove the CA folder named above to let gw create a new CA, then run `gw cert trust` again.',
  },
  GW_TLS_HOME_UNWRITABLE: {
    status: 500,
    title: 'gw cannot write its certificate folder',
    hint: 'Make GW_HOME (default ~/.gw) writable by your user, or point GW_HOME at another folder.',
  },
  GW_CERT_TRUST_FAILED: {
    status: 500,
    title: 'A trust store could not be changed',
    hint: 'Run the command shown above yourself (the system store needs root), or see `gw cert trust --dry-run`.',
  },
  // Requests (problem+json answers)
  GW_BAD_REQUEST: { status: 400, title: 'Bad request', hint: 'The request could not be parsed.' },
  GW_HOST_INVALID: {
    status: 400,
    title: 'The Host header is not valid',
    hint: 'Send Host as name[:port], IPv4[:port] or [IPv6][:port].',
  },
  GW_BAD_PATH: {
    status: 400,
    title: 'The request path is not valid',
    hint: 'Send a path that does not climb above its route.',
  },
  GW_BODY_INVALID_JSON: {
    status: 400,
    title: 'The request body is not valid JSON',
    hint: 'Send a JSON body, or drop the Content-Type: application/json header.',
  },
  GW_REQUEST_INVALID: {
    status: 400,
    title: "The request does not match the service's OpenAPI document",
    hint: 'Fix the fields listed in `violations` (location, what was expected), or the spec if it is wrong.',
  },
  GW_OPERATION_NOT_FOUND: {
    status: 404,
    title: "No operation in the service's OpenAPI document matches the path",
    hint: 'Call a path the spec lists, or add it to the spec.',
  },
  GW_OPERATION_METHOD_NOT_ALLOWED: {
    status: 405,
    title: "The service's OpenAPI document has no operation for this method",
    hint: 'See the Allow header for the methods the spec lists on this path.',
  },
  GW_RESPONSE_INVALID: {
    status: 502,
    title: "The upstream's answer does not match the service's OpenAPI document",
    hint: "Fix the service (or the spec) at the places listed in `violations`; validate.response: 'warn' serves such answers and logs the drift.",
  },
  GW_UNAUTHENTICATED: {
    status: 401,
    title: 'Authentication required',
    hint: 'Send an API key in X-API-Key or a bearer token.',
  },
  GW_INVALID_CREDENTIALS: {
    status: 401,
    title: 'The credentials are not valid',
    hint: 'Mint a fresh key with `gw keys create` or token with `gw token issue`.',
  },
  GW_FORBIDDEN: {
    status: 403,
    title: 'Insufficient scope',
    hint: 'Mint a key or token that carries the missing scope.',
  },
  GW_ROUTE_NOT_FOUND: {
    status: 404,
    title: 'No route matches',
    hint: 'Run `gw routes list` to see the routes.',
  },
  GW_METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Method not allowed on this route',
    hint: 'See the Allow header.',
  },
  GW_HOST_NOT_ALLOWED: {
    status: 403,
    title: 'The Host is not allowed',
    hint: 'Add the host to `allowedHosts` in the config (a DNS-rebinding guard), or set `allowedHosts: true` if you expose gw on purpose.',
  },
  GW_ORIGIN_NOT_ALLOWED: {
    status: 403,
    title: "The WebSocket's Origin is not allowed",
    hint: "Add the page's origin to `cors.origins` on the route, or its host to `allowedHosts`.",
  },
  GW_CORS_DENIED: {
    status: 403,
    title: 'The request is not allowed by CORS',
    hint: 'Add the origin, method or header to `cors` on the route or at the top level.',
  },
  GW_BODY_TOO_LARGE: {
    status: 413,
    title: 'The request body is too large',
    hint: 'Send a smaller body or raise bodyLimit on the route.',
  },
  GW_UPGRADE_NOT_ALLOWED: {
    status: 426,
    title: 'WebSocket upgrades are not enabled on this route',
    hint: 'Set websocket: true on the route.',
  },
  GW_RATE_LIMITED: { status: 429, title: 'Too many requests', hint: 'Wait for Retry-After seconds.' },
  GW_INTERNAL: {
    status: 500,
    title: 'The gateway failed',
    hint: 'This is a bug in gw or in a function in the config.',
  },
  GW_REPLAY_MISS: {
    status: 404,
    title: 'No recording matches the request',
    hint: "Record it first (gw dev --record DIR), ignore the fields that change (replay: { ignoreQuery, ignoreBody }), or send misses upstream with replay: { onMiss: 'forward' }.",
  },
  GW_REPLAY_FILE_INVALID: {
    status: 500,
    title: 'A recording file is not valid',
    hint: 'Fix or delete the file named in the detail; gw reads the folder again on the next config load.',
  },
  GW_MOCK_FAILED: {
    status: 500,
    title: 'A mock function failed',
    hint: 'Fix the mock function of the route named in the detail.',
  },
  GW_AGGREGATE_MERGE_FAILED: {
    status: 500,
    title: 'The aggregate merge function threw',
    hint: 'Fix the merge function of the route named in the detail.',
  },
  GW_TRANSFORM_FAILED: {
    status: 500,
    title: 'A transform threw',
    hint: 'Fix the transform function named in the detail.',
  },
  GW_TRANSFER_CODING_UNSUPPORTED: {
    status: 501,
    title: 'The request uses a transfer coding the gateway does not support',
    hint: 'Send the body with Transfer-Encoding: chunked alone; say a compression in Content-Encoding instead.',
  },
  GW_CONNECT_NOT_SUPPORTED: {
    status: 501,
    title: 'CONNECT tunnels are not supported',
    hint: 'gw is a reverse proxy: send requests to its routes (http://host:port/path), not through it as a tunnel.',
  },
  GW_UPSTREAM_UNREACHABLE: {
    status: 502,
    title: 'The upstream could not be reached',
    hint: 'Is the service running?',
  },
  GW_UPSTREAM_RESET: {
    status: 502,
    title: 'The upstream closed the connection',
    hint: 'The service crashed or closed the socket before answering.',
  },
  GW_UPSTREAM_INVALID_JSON: {
    status: 502,
    title: 'The upstream sent JSON the gateway could not parse',
    hint: 'The route transforms JSON bodies; check what the service returns.',
  },
  GW_UPSTREAM_FAILED: {
    status: 502,
    title: 'The upstream kept failing',
    hint: 'Every try answered with a retryable error status; check the service.',
  },
  GW_UPSTREAM_BAD_RESPONSE: {
    status: 502,
    title: 'The upstream sent an answer the gateway could not use',
    hint: 'Check what the service returns.',
  },
  GW_UPSTREAM_TLS: {
    status: 502,
    title: 'The TLS connection to the upstream failed',
    hint: "The detail names the cause; the service's `tls` settings (ca, servername, cert and key, insecure) fix it.",
  },
  GW_AGGREGATE_PART_FAILED: {
    status: 502,
    title: 'A required part of the aggregate failed',
    hint: 'The part named in the detail failed; start or fix its service, or make the part optional.',
  },
  GW_GRPC_CALL_FAILED: {
    status: 500,
    title: 'The gRPC service answered the call with an error status',
    hint: 'The grpcStatus and grpcMessage members say what the service reported; the HTTP status follows the standard gRPC to HTTP mapping.',
  },
  GW_UPSTREAM_NOT_GRPC: {
    status: 502,
    title: 'The upstream answered a gRPC call with something that is not gRPC',
    hint: "Check that the service's targets are gRPC servers and that the route's path reaches the method; gRPC clients get a status mapped from the upstream's HTTP status.",
  },
  GW_TRANSCODE_NO_METHOD: {
    status: 404,
    title: 'No gRPC method answers this path',
    hint: 'Call a path from a google.api.http annotation in the proto, or POST /package.Service/Method with a JSON body (`gw routes list` shows them).',
  },
  GW_TRANSCODE_INVALID_MESSAGE: {
    status: 400,
    title: 'The request does not fit the gRPC request message',
    hint: "Send JSON in the proto3 JSON mapping of the method's request message (lowerCamel or proto field names, int64 as strings, enums by name).",
  },
  GW_NO_HEALTHY_TARGET: {
    status: 503,
    title: 'No healthy target',
    hint: 'Every target of the service is down; start one of them.',
  },
  GW_CIRCUIT_OPEN: {
    status: 503,
    title: 'Circuit open',
    hint: 'The service failed repeatedly; the gateway will try again after the cooldown.',
  },
  GW_STORE_UNAVAILABLE: {
    status: 503,
    title: 'The shared state store is unavailable',
    hint: 'The gateway lost its Redis store and state.onStoreError is deny; retry shortly, or check Redis.',
  },
  GW_FAULT_INJECTED: {
    status: 503,
    title: 'Injected fault',
    hint: 'The route has `faults` configured; remove them to stop the errors.',
  },
  GW_UPSTREAM_TIMEOUT: {
    status: 504,
    title: 'The upstream did not answer in time',
    hint: 'Raise `timeout` on the route or service, or make the service faster.',
  },
  GW_UPSTREAM_CONNECT_TIMEOUT: {
    status: 504,
    title: 'The upstream did not accept the connection in time',
    hint: 'Check the target address and that the service is up; raise `connectTimeout` if it is slow to accept.',
  },
  GW_UPSTREAM_IDLE_TIMEOUT: {
    status: 504,
    title: 'The upstream went silent in the middle of its answer',
    hint: 'Raise `idleTimeout` on the route or service, or make the service send more often.',
  },
  GW_REQUEST_BODY_TIMEOUT: {
    status: 408,
    title: 'The request body stopped arriving',
    hint: 'The client went silent while uploading for longer than `idleTimeout`; retry, or raise `idleTimeout`.',
  },
} as const satisfies Record<string, { status: number; title: string; hint: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface GatewayErrorOptions {
  hint?: string;
  /** Overrides the catalogue status (e.g. a custom fault status). */
  status?: number;
  cause?: unknown;
  /** Extra problem+json members (RFC 9457 allows extensions). */
  extensions?: Record<string, unknown>;
  /** Response headers that belong to this error (Retry-After, WWW-Authenticate, Allow). */
  headers?: Record<string, string>;
  /** Config errors: the file they are about. */
  file?: string;
  /** Config errors: each problem with its field path. */
  problems?: readonly ConfigProblem[];
}

export interface ConfigProblem {
  /** Dotted field path with indices, e.g. `routes[2].service`. */
  path: string;
  message: string;
  expected?: string;
  received?: string;
  hint?: string;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly hint: string;
  readonly extensions: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly file: string | undefined;
  readonly problems: readonly ConfigProblem[];

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const entry = errorCatalogue[code];
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? entry.status;
    this.title = entry.title;
    this.hint = options.hint ?? entry.hint;
    this.extensions = options.extensions;
    this.headers = options.headers;
    this.file = options.file;
    this.problems = options.problems ?? [];
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}

/** Multi-line, human-readable text of an error: message, each problem, then the hint. */
export function formatError(error: unknown): string {
  if (!isGatewayError(error)) return error instanceof Error ? error.message : String(error);
  const lines = [`${error.code}: ${error.message}`];
  for (const p of error.problems) {
    const found = p.received === undefined ? '' : ` (found ${p.received})`;
    const expected = p.expected === undefined ? '' : ` — expected ${p.expected}`;
    lines.push(`  • ${p.path || '(root)'}: ${p.message}${expected}${found}${p.hint ? ` — ${p.hint}` : ''}`);
  }
  lines.push(`  hint: ${error.hint}`);
  return lines.join('\n');
}
