import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/dev/start-dev-server.js';
import type { GatewayEvent } from '../../src/events/gateway-events.js';
import { request } from '../helpers/http.js';
import { createProject, type Project } from '../helpers/project.js';
import { waitFor } from '../helpers/upstream.js';
import {
  libraryProto,
  startLibraryServer,
  type LibraryServer,
} from '../protocols/grpc/transcode/library-server.js';

/**
 * A proto change hot-reloads like the config (issue 13, item 6): a new annotation serves once
 * the proto is saved, and a proto that no longer parses is rejected while the last good one
 * keeps serving.
 */

let server: LibraryServer;
let project: Project;
let gw: DevServer;
let original: string;
const seen: GatewayEvent[] = [];

const config = `export default {
  services: { library: { targets: ['URL'], protocol: 'grpc', proto: './protos/library.proto' } },
  routes: [{ path: '/v1/*', service: 'library', transcode: true }],
};
`;

beforeAll(async () => {
  server = await startLibraryServer();
  original = await readFile(libraryProto, 'utf8');
  project = await createProject({
    'gateway.config.ts': config.replace('URL', server.url),
    'protos/library.proto': original,
  });
  gw = await startDevServer({
    cwd: project.dir,
    port: 0,
    host: '127.0.0.1',
    dashboard: false,
    logFormat: 'json',
    stateDir: project.path('.gw'),
  });
  gw.gateway.events.subscribe((event) => seen.push(event));
});

afterAll(async () => {
  await gw?.close();
  await project?.cleanup();
  await server?.close();
});

const reloads = () => seen.filter((event) => event.type === 'config-loaded' && !event.initial).length;
const rejections = () => seen.filter((event) => event.type === 'config-rejected').length;

describe('proto hot reload', { timeout: 60_000 }, () => {
  it('serves a new annotation once the proto is saved, and keeps the last good proto on a broken one', async () => {
    const base = gw.gateway.url;
    expect((await request(base, '/v1/ping/hi')).status).toBe(404);

    await project.write(
      'protos/library.proto',
      original.replace(
        'rpc Ping(PingRequest) returns (PingReply);',
        'rpc Ping(PingRequest) returns (PingReply) { option (google.api.http) = { get: "/v1/ping/{text}" }; }',
      ),
    );
    await waitFor(() => reloads() === 1, 15_000);
    const pinged = await request(base, '/v1/ping/hi');
    expect(pinged.status).toBe(200);
    expect(pinged.json).toEqual({ text: 'pong hi', length: 2 });

    await project.write('protos/library.proto', original.replace('message Shelf {', 'message Shelf {{'));
    await waitFor(() => rejections() === 1, 15_000);
    expect((await request(base, '/v1/ping/hi')).status).toBe(200);
  });
});
