import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from '../identity/identity-config.js';
import { issueToken } from '../identity/issue-token.js';
import { createGatewayState } from '../state/create-state.js';
import { startDemoServices } from './demo-services.js';

/** Where the demo's config lives: templates/, loaded like any user's config. */
export const demoConfigFile = fileURLToPath(
  new URL('../../templates/demo/gateway.config.ts', import.meta.url),
);

/** Mints the demo's API key and token, the way `gw keys create` and `gw token issue` do. */
async function mintDemoCredentials(stateDir: string): Promise<{ key: string; token: string }> {
  const state = await createGatewayState({ stateDir, watch: false });
  try {
    const { key } = await state.keys.create({ name: 'demo-app', scopes: ['users:read'] });
    const set = await state.signingKeys.ensure();
    const { token } = await issueToken(set, {
      subject: 'demo-user',
      ttlMs: 12 * 3_600_000,
      issuer: DEFAULT_ISSUER,
      audience: DEFAULT_AUDIENCE,
      scopes: ['orders:write', 'payments:write'],
    });
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
  const { key, token } = await mintDemoCredentials(stateDir);
  const services = await startDemoServices();
  process.env.GW_DEMO_USERS_1 = services.urls.users1;
  process.env.GW_DEMO_USERS_2 = services.urls.users2;
  process.env.GW_DEMO_ORDERS = services.urls.orders;
  process.env.GW_DEMO_PAYMENTS = services.urls.payments;
  return {
    config: demoConfigFile,
    stateDir,
    banner: (url: string) => [
      '',
      'gw demo: users (2 instances), orders and payments run as mock services.',
      `Credentials (state in ${stateDir}):`,
      `  API key  ${key}`,
      `  token    ${token}`,
      'Try:',
      `  curl ${url}/api/health`,
      `  curl ${url}/api/users -H 'X-API-Key: ${key}'`,
      `  curl ${url}/api/users/7 -H 'Authorization: Bearer ${token}'`,
      `  curl -X POST ${url}/api/orders -H 'Authorization: Bearer ${token}' -H 'content-type: application/json' -d '{"item":"book","qty":1}'`,
      `  curl -X POST ${url}/api/payments -H 'Authorization: Bearer ${token}' -H 'content-type: application/json' -d '{"amount":42}'`,
      `  curl ${url}/api/users            # 401: no credentials`,
      `  curl ${url}/__gw/health`,
      '',
    ],
    stop: async () => {
      await services.close();
      // A throwaway state folder goes with the demo; one the user named stays.
      if (!options.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
