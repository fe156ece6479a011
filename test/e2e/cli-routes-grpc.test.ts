import { afterEach, describe, expect, it } from 'vitest';
import { runGw } from '../helpers/gw-process.js';
import { createProject, type Project } from '../helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const libraryProto = `syntax = "proto3";
package library;
import "google/api/annotations.proto";
service Library {
  rpc GetBook (GetBookRequest) returns (Book) {
    option (google.api.http) = { get: "/v1/shelves/{shelf}/books/{book_id}" };
  }
  rpc CreateBook (CreateBookRequest) returns (Book) {
    option (google.api.http) = { post: "/v1/shelves/{shelf}/books" body: "book" };
  }
  rpc ListBooks (GetBookRequest) returns (stream Book);
  rpc Chat (stream Book) returns (stream Book);
}
message GetBookRequest { string shelf = 1; string book_id = 2; string view = 3; }
message CreateBookRequest { string shelf = 1; Book book = 2; }
message Book { string title = 1; }
`;

const config = `import { defineConfig } from 'gw';
export default defineConfig({
  services: {
    library: { targets: ['http://127.0.0.1:50099'], protocol: 'grpc', proto: './protos/library.proto' },
    web: { targets: ['http://127.0.0.1:50098'] },
  },
  routes: [
    { path: '/library.Library', service: 'library' },
    { path: '/v1', service: 'library', transcode: true },
    { path: '/api', service: 'web' },
  ],
});
`;

async function project(): Promise<Project> {
  const p = await createProject({ 'gateway.config.ts': config, 'protos/library.proto': libraryProto });
  cleanup.push(() => p.cleanup());
  return p;
}

describe('gw routes on gRPC services', { timeout: 60_000 }, () => {
  it('routes list shows the methods of a gRPC route and the REST routes of a transcode route', async () => {
    const p = await project();
    const json = await runGw(['routes', 'list', '--json'], { cwd: p.dir });
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<{ path: string; grpc?: unknown }>;
    expect(rows.find((row) => row.path === '/library.Library')?.grpc).toEqual({
      methods: [
        { method: 'library.Library/GetBook', kind: 'unary' },
        { method: 'library.Library/CreateBook', kind: 'unary' },
        { method: 'library.Library/ListBooks', kind: 'server streaming' },
        { method: 'library.Library/Chat', kind: 'bidi streaming' },
      ],
    });
    // Unannotated methods answer POST /package.Service/Method, which /v1 does not cover.
    expect(rows.find((row) => row.path === '/v1')?.grpc).toEqual({
      rest: [
        {
          verb: 'GET',
          path: '/v1/shelves/{shelf}/books/{book_id}',
          method: 'library.Library/GetBook',
          body: '',
        },
        {
          verb: 'POST',
          path: '/v1/shelves/{shelf}/books',
          method: 'library.Library/CreateBook',
          body: 'book',
        },
      ],
    });
    expect(rows.find((row) => row.path === '/api')).not.toHaveProperty('grpc');

    const text = await runGw(['routes', 'list'], { cwd: p.dir });
    expect(text.stdout).toContain('gRPC library.Library/ListBooks (server streaming)');
    expect(text.stdout).toContain('GET /v1/shelves/{shelf}/books/{book_id} → library.Library/GetBook');
    expect(text.stdout).toContain(
      'POST /v1/shelves/{shelf}/books → library.Library/CreateBook (body fills book)',
    );
  });

  it('routes test names the method a REST call reaches and the fields its path and query fill', async () => {
    const p = await project();
    const result = await runGw(
      ['routes', 'test', 'GET', '/v1/shelves/fiction/books/42?view=full', '--json'],
      {
        cwd: p.dir,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report.grpc).toEqual({
      method: 'library.Library/GetBook',
      fields: { shelf: 'fiction', book_id: '42', view: 'full' },
    });
    // The call goes upstream as the gRPC method, not as the REST path.
    expect(report.upstreamUrls).toEqual(['http://127.0.0.1:50099/library.Library/GetBook']);

    const text = await runGw(['routes', 'test', 'GET', '/v1/shelves/fiction/books/42'], { cwd: p.dir });
    expect(text.stdout).toContain('gRPC:     library.Library/GetBook');
    expect(text.stdout).toContain('path sets book_id = "42"');

    const posted = await runGw(['routes', 'test', 'POST', '/v1/shelves/fiction/books', '--json'], {
      cwd: p.dir,
    });
    expect(JSON.parse(posted.stdout)).toMatchObject({
      grpc: { method: 'library.Library/CreateBook', fields: { shelf: 'fiction' } },
      why: expect.arrayContaining(['the JSON body fills book']) as unknown,
    });
  });

  it('routes test on a gRPC route names the method, or says none of the proto has that path', async () => {
    const p = await project();
    const call = await runGw(['routes', 'test', 'POST', '/library.Library/Chat', '--json'], { cwd: p.dir });
    expect(JSON.parse(call.stdout)).toMatchObject({
      grpc: { method: 'library.Library/Chat' },
      upstreamUrls: ['http://127.0.0.1:50099/library.Library/Chat'],
    });
    const unknown = await runGw(['routes', 'test', 'POST', '/library.Library/Burn', '--json'], {
      cwd: p.dir,
    });
    expect(JSON.parse(unknown.stdout)).toMatchObject({ grpc: { method: null, fields: {} } });
    const deleted = await runGw(['routes', 'test', 'DELETE', '/v1/shelves/fiction/books/42', '--json'], {
      cwd: p.dir,
    });
    expect(JSON.parse(deleted.stdout)).toMatchObject({
      grpc: { method: null },
      why: expect.arrayContaining([expect.stringContaining('GW_TRANSCODE_NO_METHOD')]) as unknown,
    });
  });
});
