/** The public API of gw: config typing, the programmatic gateway for tests and embedding. */
export { defineConfig } from './config/define-config.js';
export type { GatewayConfigInput, ResolvedConfig, ResolvedRoute, ResolvedService } from './config/schema.js';
export { loadConfig, type LoadedConfig } from './config/load-config.js';
export { startGateway, type StartGatewayOptions, type RunningGateway } from './dev/start-gateway.js';
export { createEventStream, type EventStream } from './events/event-stream.js';
export type { GatewayEvent, RequestFinished } from './events/gateway-events.js';
export { GatewayError, errorCatalogue, type ErrorCode } from './errors.js';
// The `use` middleware API (docs/middleware-api.md): stable; the internal context stays internal.
export type {
  Middleware,
  MiddlewareContext,
  Next,
  RequestView,
  RouteView,
  RequestBody,
  Answer,
  AnswerHandler,
  HeaderValue,
  ReadonlyHeaders,
  Identity,
} from './api/middleware-context.js';
