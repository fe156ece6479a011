import { defineConfig } from 'gw';

// The built-in demo (`gw dev --demo`): the mock services start on free ports and pass their
// URLs in; the fallbacks are the ports of the seed design. The demo prints a key and a token.
const env = (name: string, fallback: string) => process.env[name] ?? fallback;

export default defineConfig({
  port: 8080,
  services: {
    users: {
      targets: [
        env('GW_DEMO_USERS_1', 'http://127.0.0.1:8001'),
        env('GW_DEMO_USERS_2', 'http://127.0.0.1:8002'),
      ],
    },
    orders: { targets: [env('GW_DEMO_ORDERS', 'http://127.0.0.1:8003')], timeout: '10s' },
    payments: { targets: [env('GW_DEMO_PAYMENTS', 'http://127.0.0.1:8004')] },
    // A gRPC service (helloworld.Greeter): called as gRPC or gRPC-Web on its own paths, and as
    // REST+JSON through the google.api.http annotations in its proto.
    greeter: {
      targets: [env('GW_DEMO_GREETER', 'http://127.0.0.1:50051')],
      protocol: 'grpc',
      proto: './protos/greeter.proto',
    },
  },
  routes: [
    { path: '/api/health', methods: ['GET'], service: 'users', stripPrefix: '/api' }, // public
    { path: '/api/users', methods: ['GET'], service: 'users', stripPrefix: '/api', auth: ['apiKey', 'jwt'] },
    {
      path: '/api/orders',
      methods: ['POST'],
      service: 'orders',
      stripPrefix: '/api',
      auth: 'jwt',
      scopes: ['orders:write'],
    },
    {
      path: '/api/payments',
      methods: ['POST'],
      service: 'payments',
      stripPrefix: '/api',
      auth: 'jwt',
      rateLimit: { limit: 10, window: '1m' },
    },
    { path: '/helloworld.Greeter', service: 'greeter' }, // gRPC and gRPC-Web
    { path: '/v1/greeter', service: 'greeter', transcode: true }, // JSON ⇄ gRPC
  ],
  rateLimit: { limit: 100, window: '1m' }, // the default for every route
});
