import type { IncomingHttpHeaders } from 'node:http';
import { bufferAnswer, markOutcome } from '../../pipeline/hooks.js';
import type { GatewayContext, PolicyFactory } from '../../pipeline/types.js';
import type { CachedResponse } from '../../state/types.js';
import { decideStore, readRequestDirectives } from './cache-control.js';
import { primaryKey, routeFingerprint, varyMatches } from './cache-key.js';
import { cacheStoreOf } from './cache-store.js';
import { pickFresh, safeGet, storeVariant, toVariant } from './cache-variants.js';

export { cacheSchema, cacheStoreSchema } from './cache-schema.js';

/**
 * The response cache (issue 4). A GET miss buffers the upstream's answer (streaming it instead
 * when it is too big to keep), stores it when Cache-Control allows, and hands it to every
 * concurrent request for the same key that waited on it (request coalescing). HEAD is answered
 * from GET entries; other methods pass through.
 */
export const createCachePolicy: PolicyFactory = (route, build) => {
  const config = route.config.cache;
  if (!config) return undefined;
  const store = cacheStoreOf(build.state, build.config.cacheStore.maxSize);
  const prefix = `${route.id}\u0000${routeFingerprint(route)}`;
  const statuses = new Set(config.statuses);
  const authenticated = route.config.auth !== undefined && route.config.auth !== false;
  const keyHeader = build.config.identity.apiKey.header.toLowerCase();
  // Request headers that make an answer someone's own (issue 12): a cookie always, credentials on
  // a route that did not check them (auth keys the entry by the verified caller). A header the
  // route varies on keys its own entries instead; `shared: true` opts out.
  const identifying = config.shared
    ? []
    : ['cookie', ...(authenticated ? [] : ['authorization', keyHeader])].filter(
        (name) => !config.vary.some((vary) => vary.toLowerCase() === name),
      );
  const inflight = new Map<string, Promise<CachedResponse | undefined>>();

  async function lookup(ctx: GatewayContext, key: string): Promise<CachedResponse | undefined> {
    const headers = ctx.req.headers;
    const waitOn = async (pending: Promise<CachedResponse | undefined>) => {
      const variant = await pending;
      return variant && varyMatches(variant.vary, headers) ? variant : undefined;
    };
    const early = inflight.get(key);
    if (early) return waitOn(early);
    const fresh = pickFresh(await safeGet(store, key), headers, Date.now());
    if (fresh) return fresh;
    const late = inflight.get(key);
    return late ? waitOn(late) : undefined;
  }

  function serve(ctx: GatewayContext, variant: CachedResponse): void {
    const age = variant.initialAge + Math.max(0, Math.floor((Date.now() - variant.storedAt) / 1000));
    ctx.response = {
      status: variant.status,
      headers: { ...variant.headers, age: String(age) },
      body: variant.body,
    };
    ctx.responseHeaders['x-cache'] = 'HIT';
    markOutcome(ctx, 'cache', 'HIT');
  }

  async function save(
    ctx: GatewayContext,
    key: string,
    requestHeaders: IncomingHttpHeaders,
  ): Promise<CachedResponse | undefined> {
    const response = ctx.response;
    if (!response || !statuses.has(response.status) || response.body.length > config!.maxEntrySize)
      return undefined;
    const privateRequest = identifying.some((name) => requestHeaders[name] !== undefined);
    const { ttlMs } = decideStore(response.headers, config!.ttl, privateRequest);
    if (ttlMs === 0) return undefined;
    const variant = toVariant(response, ctx.responseHeaders, requestHeaders, config!.vary, ttlMs);
    await storeVariant(store, key, variant, requestHeaders);
    return variant;
  }

  return async function cache(ctx, next) {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.upgrade) return next();
    // Auth already refused anonymous callers; this guards an answer meant for one caller.
    if (authenticated && !ctx.identity) return next();
    const key = primaryKey(prefix, ctx);
    const { refresh, noStore } = readRequestDirectives(ctx.req.headers);
    if (!refresh) {
      const hit = await lookup(ctx, key);
      if (hit) return serve(ctx, hit);
    }
    ctx.responseHeaders['x-cache'] = 'MISS';
    markOutcome(ctx, 'cache', refresh ? 'BYPASS' : 'MISS');
    if (noStore || ctx.method === 'HEAD') return next();
    // Policies further in edit the request headers; Vary is judged on what the client sent.
    const requestHeaders = { ...ctx.req.headers };
    let settle!: (variant: CachedResponse | undefined) => void;
    const pending = new Promise<CachedResponse | undefined>((resolve) => (settle = resolve));
    const leads = !inflight.has(key);
    if (leads) inflight.set(key, pending);
    let stored: CachedResponse | undefined;
    try {
      bufferAnswer(ctx, { maxBytes: config.maxEntrySize, overflow: 'stream' });
      await next();
      stored = await save(ctx, key, requestHeaders);
    } finally {
      settle(stored);
      if (leads) inflight.delete(key);
    }
  };
};
