import { defineConfig } from 'gw';

// The built-in demo (`gw dev --demo`): the mock services start on free ports and pass their
// URLs in; the fallbacks are the ports the seed design used.
const env = (name: string, fallback: string) => process.env[name] ?? fallback;

export default defineConfig({
  port: 8080,
  services: {
    users: { targets: [env('GW_DEMO_USERS_1', 'http://127.0.0.1:8001'), env('GW_DEMO_USERS_2', 'http://127.0.0.1:8002')] },
    orders: { targets: [env('GW_DEMO_ORDERS', 'http://127.0.0.1:8003')], timeout: '10s' },
    payments: { targets: [env('GW_DEMO_PAYMENTS', 'http://127.0.0.1:8004')] },
  },
  routes: [
    { path: '/api/health', methods: ['GET'], service: 'users', stripPrefix: '/api' },
    { path: '/api/users', methods: ['GET'], service: 'users', stripPrefix: '/api' },
    { path: '/api/orders', methods: ['POST'], service: 'orders', stripPrefix: '/api' },
    { path: '/api/payments', methods: ['POST'], service: 'payments', stripPrefix: '/api' },
  ],
});
