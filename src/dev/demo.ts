import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../identity/identity-schema.js';
import { issueToken } from '../identity/issue-token.js';
import { readStateFile, writeStateFile } from '../identity/state-files.js';
import { createGatewayState } from '../state/create-state.js';
import type { SigningKeySet } from '../state/types.js';
import { grpcDemoCommands } from './demo-grpc-commands.js';
import { startDemoGreeter } from './demo-greeter.js';
import { tlsPaths } from '../tls/tls-home.js';
import { startDemoServices } from './demo-services.js';

/** Where the demo's config lives: templates/, loaded like any user's config. */
export const demoConfigFile = fileURLToPath(
  new URL('../../templates/demo/gateway.config.ts', import.meta.url),
);

/** Kept in a --state-dir so the next `gw dev --demo --state-dir` shows the same credentials. */
const credentialsFileName = 'demo-credentials.json';
const credentialsSchema = z.object({ key: z.string(), token: z.string() });
/** A kept token with less left than this is minted anew, so a printed curl works for a while. */
const MIN_TOKEN_LIFE_MS = 3_600_000;

/** The kid and exp of a JWT, read without verifying (the key set and clock are checked after). */
function headerAndExpiry(token: string): { kid?: unknown; exp?: unknown } {
  try {
    const [header, payload] = token
      .split('.', 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
    return { kid: header?.kid, exp: payload?.exp };
  } catch {
    return {};
  }
}

/** Whether kept credentials still work: the key is active and the token's key and lifetime hold. */
function stillUsable(
  kept: { key: string; token: string },
  state: Awaited<ReturnType<typeof createGatewayState>>,
  set: SigningKeySet,
): boolean {
  if (!state.keys.find(kept.key).ok) return false;
  const { kid, exp } = headerAndExpiry(kept.token);
  return (
    set.keys.some((entry) => entry.kid === kid) &&
    typeof exp === 'number' &&
    exp * 1000 > Date.now() + MIN_TOKEN_LIFE_MS
  );
}

/**
 * The demo's API key and token, minted the way `gw keys create` and `gw token issue` do. In a
 * state folder the user named, the last run's credentials are reused while they still work,
 * instead of minting another key on every start.
 */
async function demoCredentials(stateDir: string, keep: boolean): Promise<{ key: string; token: string }> {
  const state = await createGatewayState({ stateDir, watch: false });
  const file = path.join(stateDir, credentialsFileName);
  try {
    const set = await state.signingKeys.ensure();
    const kept = keep ? await readStateFile(file, credentialsSchema).catch(() => undefined) : undefined;
    if (kept && stillUsable(kept, state, set)) return kept;
    const { key } = await state.keys.create({ name: 'demo-app', scopes: ['users:read'] });
    const { token } = await issueToken(set, {
      subject: 'demo-user',
      ttlMs: 12 * 3_600_000,
      issuer: DEFAULT_ISSUER,
      audience: DEFAULT_AUDIENCE,
      scopes: ['orders:write', 'payments:write'],
    });
    if (keep) await writeStateFile(file, { key, token });
    return { key, token };
  } finally {
    await state.close();
  }
}

/**
 * `gw dev --demo`: starts the mock services on free ports, hands their URLs to the demo config
 * through environment variables, mints a key and a token into a throwaway state folder (or
 * --state-dir), and prints curl commands that work as printed.
 */
export async function startDemo(options: { stateDir?: string } = {}) {
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(os.tmpdir(), 'gw-demo-')));
  const { key, token } = await demoCredentials(stateDir, options.stateDir !== undefined);
  const [services, greeter] = await Promise.all([startDemoServices(), startDemoGreeter()]);
  process.env.GW_DEMO_USERS_1 = services.urls.users1;
  process.env.GW_DEMO_USERS_2 = services.urls.users2;
  process.env.GW_DEMO_ORDERS = services.urls.orders;
  process.env.GW_DEMO_PAYMENTS = services.urls.payments;
  process.env.GW_DEMO_GREETER = greeter.url;
  return {
    config: demoConfigFile,
    stateDir,
    banner: (url: string) => [
      '',
      'gw demo: users (2 instances), orders and payments run as mock services, greeter as a gRPC one.',
      `Credentials (state in ${stateDir}):`,
      `  API key  ${key}`,
      // The token is long: print it once, as a variable the curls below use.
      `  export TOKEN=${token}`,
      ...(url.startsWith('https://')
        ? [
            `HTTPS from gw's local CA: run \`gw cert trust\` once, or add --cacert ${tlsPaths().caCert} to curl.`,
          ]
        : []),
      'Try (after the export line above):',
      `  curl ${url}/api/health`,
      `  curl ${url}/api/users -H 'X-API-Key: ${key}'`,
      `  curl ${url}/api/users/7 -H "Authorization: Bearer $TOKEN"`,
      `  curl -X POST ${url}/api/orders -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"item":"book","qty":1}'`,
      `  curl -X POST ${url}/api/payments -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"amount":42}'`,
      `  curl ${url}/api/users            # 401: no credentials`,
      `  curl ${url}/__gw/health`,
      ...grpcDemoCommands(url),
      '',
    ],
    stop: async () => {
      await Promise.all([services.close(), greeter.close()]);
      // A throwaway state folder goes with the demo; one the user named stays.
      if (!options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
