import { z } from 'zod';
import { useSchema } from '../middleware/custom-schema.js';
import { duration, byteSize, fn, httpMethod, httpUrl } from './fields.js';
import { authSchema, forwardCredentialsSchema, scopesSchema } from '../middleware/auth-schema.js';
import { rateLimitSchema } from '../middleware/rate-limit-schema.js';
import { circuitBreakerSchema } from '../proxy/resilience/circuit-breaker-schema.js';
import { retriesSchema } from '../proxy/resilience/retries-schema.js';
import { aggregateSchema } from '../middleware/aggregate-schema.js';
import { identitySchema } from '../identity/identity-schema.js';
import { bodyLimitSchema } from '../middleware/body-limit-schema.js';
import { cacheSchema, cacheStoreSchema } from '../middleware/cache/cache-schema.js';
import { corsSchema } from '../middleware/cors/cors-schema.js';
import { faultsSchema } from '../middleware/faults-schema.js';
import { fallbackSchema, mockSchema } from '../middleware/mock-schema.js';
import { recordSchema, replaySchema } from '../observe/replay-schema.js';
import { transformSchema } from '../middleware/transform/transform-schema.js';
import { stateSchema } from '../state/state-schema.js';
import { tlsSchema } from '../tls/tls-schema.js';
import { hostHeaderSchema, upstreamTlsSchema } from '../proxy/upstream-tls-schema.js';
import { allowedHostsSchema } from '../pipeline/allowed-hosts-schema.js';
import { openapiSpecSchema, serviceMockSchema, validateSchema } from '../openapi/openapi-schema.js';
import { telemetrySchema } from '../observe/trace/telemetry-schema.js';
import { inspectSchema } from '../observe/inspect/inspect-schema.js';

/**
 * The whole gateway.config schema. Core fields live here; each policy's schema lives beside its
 * middleware in src/middleware/ and is added here as one line in `routePolicyFields` (or the
 * service / top-level equivalents), so the types users see in their editor come from one place.
 */

const target = z.union([
  httpUrl.describe('Target URL, e.g. http://127.0.0.1:8001'),
  z.strictObject({
    url: httpUrl.describe('Target URL'),
    weight: z.number().int().positive().default(1).describe('Relative share of requests for `weighted`'),
  }),
]);

const hashKey = z.string().regex(/^(ip|header:[A-Za-z0-9-]+|cookie:[A-Za-z0-9_-]+)$/, {
  message: "expected 'ip', 'header:NAME' or 'cookie:NAME'",
});

const balance = z
  .union([
    z.enum(['round-robin', 'weighted', 'least-connections', 'random']),
    z.strictObject({ hash: hashKey.describe('What to hash: the client IP, a header or a cookie') }),
  ])
  .default('round-robin');

const healthCheck = z.strictObject({
  path: z
    .string()
    .startsWith('/')
    .optional()
    .describe(
      "Path probed with GET (over HTTP/2 for protocol: 'http2'); 2xx/3xx means healthy. Required, except on protocol: 'grpc' services, which are probed with grpc.health.v1.Health/Check",
    ),
  grpcService: z
    .string()
    .optional()
    .describe(
      "protocol: 'grpc' only: the service name asked about in grpc.health.v1.Health/Check ('' asks about the server as a whole, the default)",
    ),
  interval: duration
    .pipe(z.number().min(50, { message: 'a health check interval is at least 50ms' }))
    .default(5000)
    .describe('Time between probes'),
  timeout: duration.default(2000).describe('A probe slower than this fails'),
  unhealthyThreshold: z
    .number()
    .int()
    .positive()
    .default(2)
    .describe('Failed probes before a target is down'),
  healthyThreshold: z.number().int().positive().default(1).describe('Good probes before it is up again'),
});

const passiveHealth = z.strictObject({
  failures: z
    .number()
    .int()
    .positive()
    .default(3)
    .describe('Consecutive connect failures that take a target out'),
  cooldown: duration.default(10_000).describe('How long a target stays out before it is tried again'),
});

const serviceFields = z.strictObject({
  targets: z
    .array(target)
    .min(1, { message: 'a service needs at least one target' })
    .default([])
    .describe("Upstream URLs (none on a service with mock: 'openapi')"),
  balance: balance.describe('How requests are spread over the targets'),
  timeout: duration
    .optional()
    .describe(
      "Time the upstream has for its answer's head, counted once the request is sent (default 30s; 504 GW_UPSTREAM_TIMEOUT); a route may override",
    ),
  connectTimeout: duration
    .optional()
    .describe(
      'Time to connect to a target, TLS included (default 10s; 504 GW_UPSTREAM_CONNECT_TIMEOUT); a route may override',
    ),
  idleTimeout: duration
    .optional()
    .describe(
      'Longest silence in either body: the upload (408 GW_REQUEST_BODY_TIMEOUT) or the answer (cut, GW_UPSTREAM_IDLE_TIMEOUT); default 60s; a route may override',
    ),
  rewriteLocation: z
    .boolean()
    .optional()
    .describe(
      "Map a Location that names a target back to gw's own origin and route prefix (default true); a route may override",
    ),
  healthCheck: healthCheck.optional().describe('Active health checks'),
  passiveHealth: passiveHealth.default({ failures: 3, cooldown: 10_000 }).describe('Passive health checks'),
  circuitBreaker: circuitBreakerSchema.optional(),
  retries: retriesSchema.optional(),
  fallback: fallbackSchema.optional(),
  tls: upstreamTlsSchema.optional(),
  hostHeader: hostHeaderSchema,
  record: recordSchema.optional(),
  replay: replaySchema.optional(),
  openapi: openapiSpecSchema.optional(),
  mock: serviceMockSchema.optional(),
  protocol: z
    .enum(['http1', 'http2', 'grpc'])
    .default('http1')
    .describe(
      "How gw talks to the targets: 'http1' (default), 'http2' (h2c with prior knowledge for http:// targets, h2 by ALPN for https://), 'grpc' (HTTP/2 for now)",
    ),
  proto: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .optional()
    .describe(
      "The service's .proto file(s), relative to the config file (gRPC services; JSON transcoding reads their google.api.http annotations); gw brings google/api/*.proto and the well-known types",
    ),
  includeDirs: z
    .array(z.string().min(1))
    .optional()
    .describe("Folders that the proto files' imports are resolved against, relative to the config file"),
});
/** A service answers from its targets, or from its OpenAPI document when it is mocked. */
export const serviceSchema = serviceFields.superRefine((service, check) => {
  if (service.targets.length === 0 && service.mock !== 'openapi')
    check.addIssue({ code: 'custom', path: ['targets'], message: 'a service needs at least one target' });
});

const rewriteFunction = fn<(path: string) => string>('(path) => newPath');
const rewrite = z.union([
  z.strictObject({
    from: z.string().refine(
      (source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'expected a valid regular expression' },
    ),
    to: z.string(),
  }),
  rewriteFunction,
]);

/** Core route fields; policies add theirs below. */
const routeCoreFields = {
  name: z.string().optional().describe('A stable id for the route (defaults to METHODS path)'),
  path: z
    .string()
    .startsWith('/', { message: "a route path starts with '/'" })
    .describe("Path prefix at segment boundaries; ':name' matches a segment, a trailing '*' the rest"),
  methods: z.array(httpMethod).min(1).optional().describe('HTTP methods (default: all)'),
  host: z
    .string()
    .optional()
    .describe(
      "Host name the route answers (Host or :authority, any case, port ignored): 'api.localhost', or '*.preview.localhost' for one or more labels; an exact host beats a wildcard, which beats a route without host (default: any host)",
    ),
  service: z.string().optional().describe('The service that answers this route'),
  stripPrefix: z.string().startsWith('/').optional().describe('Removed from the start of the upstream path'),
  rewrite: rewrite.optional().describe('Regex rewrite of the upstream path ({ from, to }) or a function'),
  timeout: duration
    .optional()
    .describe(
      "Time the upstream has for its answer's head, counted once the request is sent; overrides the service",
    ),
  connectTimeout: duration
    .optional()
    .describe('Time to connect to a target, TLS included; overrides the service'),
  idleTimeout: duration.optional().describe('Longest silence in either body; overrides the service'),
  rewriteLocation: z
    .boolean()
    .optional()
    .describe(
      "Map a Location that names a target back to gw's own origin and this route's prefix; overrides the service",
    ),
  websocket: z.boolean().default(false).describe('Allow WebSocket upgrades on this route'),
  transcode: z
    .boolean()
    .optional()
    .describe(
      "JSON ⇄ gRPC: answer REST+JSON calls from the service's proto (google.api.http annotations, else POST /package.Service/Method); the service must be protocol: 'grpc' with a proto",
    ),
};

/** Policy route keys. One line per policy; the schema beside the middleware says what it takes. */
const routePolicyFields = {
  auth: authSchema.optional(),
  scopes: scopesSchema.optional(),
  forwardCredentials: forwardCredentialsSchema.optional(),
  rateLimit: rateLimitSchema.optional(),
  aggregate: aggregateSchema.optional(),
  cors: corsSchema.optional(),
  bodyLimit: bodyLimitSchema.optional(),
  faults: faultsSchema.optional(),
  mock: mockSchema.optional(),
  cache: cacheSchema.optional(),
  transform: transformSchema.optional(),
  use: useSchema.optional(),
  validate: validateSchema.optional(),
};

export const routeSchema = z.strictObject({ ...routeCoreFields, ...routePolicyFields });

const serverSchema = z.strictObject({
  headersTimeout: duration.default(20_000).describe('Time allowed to receive request headers'),
  requestTimeout: duration.default(300_000).describe('Time allowed to receive a whole request'),
  maxHeaderSize: byteSize.default(16 * 1024).describe('Largest request head accepted (431 above it)'),
  shutdownGrace: duration
    .default(10_000)
    .describe('On SIGINT/SIGTERM, how long in-flight requests may finish'),
  keepAliveTimeout: duration.default(5_000).describe('Idle client keep-alive time'),
});

/** Top-level policy keys (defaults for every route, identity, state). One line per policy. */
const topLevelPolicyFields = {
  rateLimit: rateLimitSchema.optional(),
  identity: identitySchema.prefault({}),
  state: stateSchema.prefault({}),
  cors: corsSchema.optional(),
  cacheStore: cacheStoreSchema.prefault({}),
  telemetry: telemetrySchema.optional(),
  inspect: inspectSchema.prefault({}),
};

export const configSchema = z.strictObject({
  // JSON and YAML configs name their JSON Schema here for editor completion; gw itself ignores it.
  $schema: z
    .string()
    .optional()
    .describe(
      "Path or URL of gw's JSON Schema for editor completion in JSON and YAML configs, e.g. './node_modules/gw/gateway.config.schema.json'; gw ignores it",
    ),
  port: z.number().int().min(0).max(65535).default(8080).describe('Port to listen on (--port overrides)'),
  host: z.string().default('127.0.0.1').describe('Address to bind; 127.0.0.1 unless you mean to expose gw'),
  tls: tlsSchema.optional(),
  allowedHosts: allowedHostsSchema.optional(),
  services: z.record(z.string(), serviceSchema).default({}).describe('Upstream services by name'),
  routes: z.array(routeSchema).default([]).describe('Routes; the most specific match wins'),
  server: serverSchema.default({
    headersTimeout: 20_000,
    requestTimeout: 300_000,
    maxHeaderSize: 16 * 1024,
    shutdownGrace: 10_000,
    keepAliveTimeout: 5_000,
  }),
  ...topLevelPolicyFields,
  watch: z
    .strictObject({
      poll: z
        .union([z.boolean(), duration])
        .optional()
        .describe(
          "Poll the config files instead of waiting for change events: true (every 300 ms) or an interval like '500ms'; for Docker bind mounts, WSL2 on /mnt/c and network drives (GW_WATCH_POLL=1 does the same)",
        ),
    })
    .optional()
    .describe('How `gw dev` watches the config files (read at start)'),
});

/** What a user writes (editor completion comes from this). */
export type GatewayConfigInput = z.input<typeof configSchema>;
/** What the gateway runs on: parsed, defaulted, frozen. */
export type ResolvedConfig = Readonly<z.output<typeof configSchema>>;
export type ResolvedRoute = z.output<typeof routeSchema>;
export type ResolvedService = z.output<typeof serviceSchema>;
export type ServerOptions = z.output<typeof serverSchema>;
