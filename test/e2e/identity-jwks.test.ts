import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import { runGw as runGwIn } from '../helpers/gw-process.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A real `node bin/gw.js` process, run inside the state folder that every call names. */
const runGw = (args: string[]) => runGwIn(args, { cwd: args[args.indexOf('--state-dir') + 1]! });

describe('/.well-known/jwks.json', () => {
  it('publishes the public signing keys (never the HS256 secret), so another gateway can trust gw tokens', async () => {
    const up = await startUpstream();
    cleanup.push(() => up.close());
    const issuer = await startTestGateway({ routes: [] });
    cleanup.push(() => issuer.close());
    const cli = (...args: string[]) => runGw([...args, '--state-dir', issuer.stateDir]);

    await cli('token', 'issue', '--sub', 'warm-up'); // creates the HS256 secret
    expect(await (await fetch(`${issuer.url}/.well-known/jwks.json`)).json()).toEqual({ keys: [] });
    const { kid } = JSON.parse((await cli('token', 'rotate-key', '--json')).stdout) as { kid: string };
    let jwks: { keys: Array<Record<string, string>> } = { keys: [] };
    await waitFor(async () => {
      jwks = (await (await fetch(`${issuer.url}/.well-known/jwks.json`)).json()) as typeof jwks;
      return jwks.keys.length === 1;
    }, 2000);
    expect(jwks.keys[0]).toMatchObject({ kid, alg: 'ES256', kty: 'EC', use: 'sig' });
    expect(jwks.keys[0]!.d).toBeUndefined();

    // A second gateway trusts the first one as an external issuer.
    const consumer = await startTestGateway({
      services: { api: { targets: [up.url] } },
      identity: {
        jwt: {
          issuer: 'consumer',
          trust: [{ issuer: 'gw', audience: 'gw', jwksUri: `${issuer.url}/.well-known/jwks.json` }],
        },
      },
      routes: [{ path: '/api', service: 'api', auth: 'jwt' }],
    });
    cleanup.push(() => consumer.close());
    const token = (await cli('token', 'issue', '--sub', 'shared-user')).stdout.trim();
    const res = await fetch(`${consumer.url}/api`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(up.requests.at(-1)!.headers['x-user-id']).toBe('shared-user');
  });
});
