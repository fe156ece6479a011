import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnGw } from '../helpers/gw-process.js';
import { freePort } from '../helpers/ports.js';

/**
 * `gw dev` loads the libraries of a feature only when the config uses it (issue 15: first start
 * under 2 s). ajv and yaml are ~150 modules, jose ~50, protobufjs ~130 ms: a config without
 * OpenAPI specs, JWT routes or gRPC protos and health checks must not wait for them. Each case is a real `gw dev` whose loaded modules are listed
 * (test/helpers/module-trace.mjs); the JWT and OpenAPI cases show the list sees both kinds of
 * module (ES for jose, CommonJS for ajv and yaml).
 */
const tracer = fileURLToPath(new URL('../helpers/module-trace.mjs', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gw-imports-'));
  await writeFile(
    path.join(dir, 'openapi.yaml'),
    'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /items:\n    get:\n      responses:\n        "200": { description: ok }\n',
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function modulesLoadedBy(
  name: string,
  config: object,
  whileUp: (origin: string) => Promise<void> = async () => {},
): Promise<string[]> {
  const file = path.join(dir, `${name}.config.json`);
  await writeFile(file, JSON.stringify(config));
  const trace = path.join(dir, `${name}.modules.json`);
  const port = await freePort();
  const gw = spawnGw(
    ['dev', '--config', file, '--port', String(port), '--no-dashboard', '--state-dir', path.join(dir, name)],
    { cwd: dir, env: { NODE_OPTIONS: `--import=${tracer}`, GW_MODULE_TRACE: trace } },
  );
  try {
    await gw.waitForOutput(/gw listening on/);
    await whileUp(`http://127.0.0.1:${port}`);
  } finally {
    await gw.stop();
  }
  return JSON.parse(await readFile(trace, 'utf8')) as string[];
}

const packageOf = (module: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(module)?.[1];
const packagesIn = (modules: string[]) => new Set(modules.map(packageOf).filter((p) => p !== undefined));

const service = { targets: ['http://127.0.0.1:9'] };

describe('what gw dev imports at start', () => {
  it('leaves out ajv, yaml, jose and protobufjs when no route uses OpenAPI, JWT or gRPC', async () => {
    const packages = packagesIn(
      await modulesLoadedBy('plain', {
        services: { api: service },
        routes: [{ path: '/api/*', service: 'api', auth: 'apiKey', rateLimit: { limit: 5, window: '1m' } }],
      }),
    );
    expect(packages).toContain('zod');
    for (const unused of ['ajv', 'ajv-formats', 'yaml', 'jose', 'protobufjs'])
      expect(packages).not.toContain(unused);
  });

  it('imports jose once a route checks tokens', async () => {
    const packages = packagesIn(
      await modulesLoadedBy('jwt', {
        services: { api: service },
        routes: [{ path: '/api/*', service: 'api', auth: 'jwt' }],
      }),
    );
    expect(packages).toContain('jose');
  });

  it('imports yaml and ajv for a service with an OpenAPI spec', async () => {
    const packages = packagesIn(
      await modulesLoadedBy('openapi', {
        services: { api: { ...service, openapi: './openapi.yaml' } },
        routes: [{ path: '/api/*', service: 'api', validate: { request: true } }],
      }),
    );
    expect(packages).toContain('yaml');
    expect(packages).toContain('ajv');
  });
});
