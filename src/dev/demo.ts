import { fileURLToPath } from 'node:url';
import { startDemoServices } from './demo-services.js';

/** Where the demo's config lives: templates/, loaded like any user's config. */
export const demoConfigFile = fileURLToPath(new URL('../../templates/demo/gateway.config.ts', import.meta.url));

/**
 * `gw dev --demo`: starts the mock services on free ports, hands their URLs to the demo config
 * through environment variables, and prints curl commands that work as printed.
 */
export async function startDemo(_options: { stateDir?: string } = {}) {
  const services = await startDemoServices();
  process.env.GW_DEMO_USERS_1 = services.urls.users1;
  process.env.GW_DEMO_USERS_2 = services.urls.users2;
  process.env.GW_DEMO_ORDERS = services.urls.orders;
  process.env.GW_DEMO_PAYMENTS = services.urls.payments;
  return {
    config: demoConfigFile,
    banner: (url: string) => [
      '',
      'gw demo: users (2 instances), orders and payments are running as mock services.',
      'Try:',
      `  curl ${url}/api/health`,
      `  curl ${url}/api/users`,
      `  curl ${url}/api/users/7`,
      `  curl -X POST ${url}/api/orders -H 'content-type: application/json' -d '{"item":"book","qty":1}'`,
      `  curl -X POST ${url}/api/payments -H 'content-type: application/json' -d '{"amount":42}'`,
      `  curl ${url}/__gw/health`,
      '',
    ],
    stop: () => services.close(),
  };
}
