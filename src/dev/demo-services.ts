import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Small in-process services for `gw dev --demo`: two users instances, orders and payments. */
export interface DemoServices {
  urls: { users1: string; users2: string; orders: string; payments: string };
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, body: string) => { status: number; json: unknown };

const users = [
  { id: 1, name: 'Ada Lovelace' },
  { id: 2, name: 'Alan Turing' },
  { id: 7, name: 'Grace Hopper' },
];

function usersService(instance: string): Handler {
  return (req) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/health') return { status: 200, json: { status: 'ok', instance } };
    if (path === '/users') return { status: 200, json: { instance, users } };
    const match = /^\/users\/(\d+)$/.exec(path);
    const user = match ? users.find((u) => u.id === Number(match[1])) : undefined;
    if (user) return { status: 200, json: { instance, user } };
    return { status: 404, json: { error: 'no such user', instance } };
  };
}

let nextOrder = 1000;
const ordersService: Handler = (req, body) => {
  if (req.method === 'POST')
    return { status: 201, json: { id: nextOrder++, received: parse(body), status: 'created' } };
  return { status: 200, json: { orders: [] } };
};

const paymentsService: Handler = (req, body) => {
  if (req.method === 'POST')
    return {
      status: 201,
      json: { id: `pay_${Date.now().toString(36)}`, received: parse(body), status: 'captured' },
    };
  return { status: 200, json: { payments: [] } };
};

function parse(body: string): unknown {
  try {
    return body ? JSON.parse(body) : null;
  } catch {
    return body;
  }
}

async function serve(name: string, handler: Handler): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const { status, json } = handler(req, body);
      const payload = JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json', 'x-demo-service': name });
      res.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

export async function startDemoServices(): Promise<DemoServices> {
  const started = await Promise.all([
    serve('users-1', usersService('users-1')),
    serve('users-2', usersService('users-2')),
    serve('orders', ordersService),
    serve('payments', paymentsService),
  ]);
  const [users1, users2, orders, payments] = started.map((s) => s.url) as [string, string, string, string];
  return {
    urls: { users1, users2, orders, payments },
    close: async () => {
      await Promise.all(
        started.map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}
