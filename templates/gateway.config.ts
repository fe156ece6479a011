import { defineConfig } from 'gw';

export default defineConfig({
  port: 8080, // default 8080; --port overrides; host defaults to 127.0.0.1
  services: {
    users: { targets: ['http://127.0.0.1:8001', 'http://127.0.0.1:8002'] }, // round-robin
    orders: { targets: ['http://127.0.0.1:8003'], timeout: '10s' },
    payments: { targets: ['http://127.0.0.1:8004'] },
  },
  routes: [
    { path: '/api/health', methods: ['GET'], service: 'users', stripPrefix: '/api' },
    { path: '/api/users', methods: ['GET'], service: 'users', stripPrefix: '/api' },
    { path: '/api/orders', methods: ['POST'], service: 'orders', stripPrefix: '/api' },
    { path: '/api/payments', methods: ['POST'], service: 'payments', stripPrefix: '/api' },
  ],
});
