import type { PolicyFactory } from './types.js';
import { createCustomPolicy } from '../middleware/custom.js';
import { createAuthPolicy } from '../middleware/auth.js';
import { createRateLimitPolicy } from '../middleware/rate-limit.js';
import { createAggregatePolicy } from '../middleware/aggregate.js';
import { createCorsPolicy } from '../middleware/cors/cors.js';
import { createBodyLimitPolicy } from '../middleware/body-limit.js';
import { createFaultsPolicy } from '../middleware/faults.js';
import { createMockPolicy } from '../middleware/mock.js';
import { createOpenapiValidatePolicy } from '../middleware/openapi-validate.js';
import { createOpenapiMockPolicy } from '../middleware/openapi-mock.js';
import { createOpenapiResponsePolicy } from '../middleware/openapi-response.js';
import { createReplayPolicy } from '../middleware/replay.js';
import { createCachePolicy } from '../middleware/cache/cache.js';
import { createTransformPolicy } from '../middleware/transform/transform.js';
import { createGrpcCallPolicy } from '../protocols/grpc/grpc-call.js';
import { createTranscodePolicy } from '../protocols/grpc/transcode/transcode-policy.js';
import { createInspectPolicy } from '../observe/inspect/inspect-policy.js';

/**
 * The order policies run in, for every route: one array a reader can see. Each entry is a
 * factory from src/middleware/ that returns undefined on routes where it has nothing to do, so
 * a route with no policies runs no policy code. Adding a policy: one module, one line here.
 *
 * Spoofed identity headers are gone before the first policy (the request's context strips them).
 * Intended order (outermost first): CORS (preflights answer before auth), auth, rate limit, body limit, inspect (a body capture for each request these let through, when inspect.bodies is on), the route's own `use` middlewares, faults,
 * OpenAPI request validation and response checks, mock (answers, or falls back when the service is down), the spec's
 * mock of `mock: 'openapi'` services, record/replay (answers from recordings,
 * or records what the rest of the chain answered), cache (outside transform: it stores
 * the transformed answer), transform, aggregate (answers from several services). Breakers and
 * retries live in the forward itself. Last, the gRPC adapter of routes to a gRPC service (the
 * call's deadline, gRPC-Web translation), so every policy before it sees the request as it came.
 */
export const policyOrder: readonly PolicyFactory[] = [
  createCorsPolicy,
  createAuthPolicy,
  createRateLimitPolicy,
  createBodyLimitPolicy,
  createInspectPolicy,
  createCustomPolicy,
  createOpenapiValidatePolicy,
  createOpenapiResponsePolicy,
  createFaultsPolicy,
  createMockPolicy,
  createOpenapiMockPolicy,
  createReplayPolicy,
  createCachePolicy,
  createTransformPolicy,
  createAggregatePolicy,
  createTranscodePolicy,
  createGrpcCallPolicy,
];
