/**
 * State that outlives a built gateway (DESIGN.md, "State that survives a reload"): created once
 * per `gw dev` process, handed to every build, keyed by stable ids (route id, service name).
 * Later capabilities add their stores here; policies never know which implementation they use.
 */

export interface RateLimitRule {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Milliseconds until the budget is whole again. */
  resetMs: number;
  /** When refused: milliseconds until one request would pass. */
  retryAfterMs: number;
}

/**
 * A rate-limit store: one atomic check-and-consume across every rule of a key (all-or-nothing,
 * so a refused request spends nothing). Shaped for a remote store: one round trip per call.
 * Each rule is counted under `key` plus its own limit and window, so a reload that keeps a rule
 * keeps its counter and one that changes it starts that rule fresh. Decisions come back in the
 * order of `rules`. Every stored entry expires once its budget is whole again.
 */
export interface RateLimitStore {
  /** Counts one request against every rule. */
  consume(key: string, rules: readonly RateLimitRule[]): Promise<RateLimitDecision[]>;
  close(): Promise<void>;
}

/** One API key as stored: only a hash of the key itself, never the key. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  /** SHA-256 of the key, hex. */
  readonly hash: string;
  /** The key's first characters, so a person can recognise it in a list. */
  readonly prefix: string;
  readonly scopes: readonly string[];
  /** Rate-limit tier name (a route's `rateLimit.tiers` says what it allows). */
  readonly tier?: string;
  /** ISO timestamps. */
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
}

export interface NewApiKey {
  name: string;
  scopes: readonly string[];
  expiresAt?: Date;
  tier?: string;
}

export type ApiKeyLookup =
  | { readonly ok: true; readonly record: ApiKeyRecord }
  | { readonly ok: false; readonly reason: 'unknown' | 'revoked' | 'expired' };

/**
 * API keys. Writes (create, revoke) are atomic in the store; `find` is the request hot path and
 * reads a local view the store keeps fresh (a file watch here, pub/sub for a remote store), so a
 * change made by another process is seen within a second without a round trip per request.
 */
export interface KeyStore {
  /** Mints a key: the plain key is returned this once and never stored. */
  create(input: NewApiKey): Promise<{ key: string; record: ApiKeyRecord }>;
  list(): Promise<ApiKeyRecord[]>;
  /** Throws GW_KEY_NOT_FOUND for an unknown id. Revoking twice keeps the first time. */
  revoke(id: string): Promise<ApiKeyRecord>;
  find(key: string): ApiKeyLookup;
  /**
   * Re-reads the store now (coalesced and throttled). Called on an unknown key, so a key minted a
   * moment ago works before the change notification arrives.
   */
  refresh(): Promise<void>;
  /** Notes that a key was used (batched off the request path; shown by `gw keys list`). */
  touch(id: string): void;
  close(): Promise<void>;
}

export type SigningAlgorithm = 'HS256' | 'ES256' | 'EdDSA';

/** A token signing key as stored (JWK members as plain JSON, so any store can hold it). */
export interface SigningKeyEntry {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly createdAt: string;
  /** HS256: the secret, base64url. */
  readonly secret?: string;
  /** ES256 / EdDSA: the key pair. */
  readonly privateJwk?: Readonly<Record<string, string>>;
  readonly publicJwk?: Readonly<Record<string, string>>;
}

/** Every signing key gw knows; `current` signs, all of them verify (rotation keeps old tokens valid). */
export interface SigningKeySet {
  readonly current: string;
  readonly keys: readonly SigningKeyEntry[];
}

export interface SigningKeyStore {
  /** The set as last loaded (sync, for the hot path); undefined when no key exists yet. */
  current(): SigningKeySet | undefined;
  /** Re-reads now (coalesced and throttled); called on an unknown kid. */
  refresh(): Promise<void>;
  /** The set, generating the HS256 secret on first use (atomic: two processes agree on one). */
  ensure(): Promise<SigningKeySet>;
  /** Adds a new key and makes it the signing one; the old ones keep verifying. */
  rotate(alg: SigningAlgorithm): Promise<SigningKeyEntry>;
  close(): Promise<void>;
}

/** One stored answer of the response cache (plain data, so a remote store can hold it). */
export interface CachedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer;
  /** Epoch ms when it was stored, and when it goes stale. */
  readonly storedAt: number;
  readonly expiresAt: number;
  /** The Age (s) the upstream reported when it was stored. */
  readonly initialAge: number;
  /** The request's values of the headers the answer varies on (lower-case name → value, '' if absent). */
  readonly vary: Readonly<Record<string, string>>;
}

/**
 * The response cache: each key holds the variants of one answer (one per set of Vary values).
 * Bounded by total bytes, least recently used out first; every key expires after its TTL.
 */
export interface ResponseCacheStore {
  get(key: string): Promise<readonly CachedResponse[] | undefined>;
  /** Replaces the variants under `key`; the key expires after ttlMs. */
  set(key: string, variants: readonly CachedResponse[], ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Per-service/target state that must survive reloads (breakers, passive health …). */
export type StateMap<T> = Map<string, T>;

export interface GatewayState {
  readonly limits: RateLimitStore;
  readonly keys: KeyStore;
  readonly signingKeys: SigningKeyStore;
  /** The state folder (keys, secrets) this state was opened on. */
  readonly stateDir: string;
  /** Free-form keyed stores for policies whose state survives reloads (breakers, cache …). */
  readonly maps: Map<string, StateMap<unknown>>;
  /** A shared response cache (e.g. Redis); absent, each process keeps an in-memory one in `maps`. */
  readonly responseCache?: ResponseCacheStore;
  /** A shared store behind the state (Redis), for /__gw/health; absent for in-process state. */
  readonly store?: { readonly kind: 'redis'; readonly where: string; ready(): boolean };
  close(): Promise<void>;
}
