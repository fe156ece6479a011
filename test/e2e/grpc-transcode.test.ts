import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  libraryProto,
  pingOverGrpc,
  startLibraryServer,
  type LibraryServer,
} from '../protocols/grpc/transcode/library-server.js';

/**
 * JSON ⇄ gRPC transcoding (issue 13, item 5): REST calls through gw reach a real grpc-js server
 * by the proto's google.api.http annotations (or POST /package.Service/Method), in the proto3
 * JSON mapping; the test asserts what the gRPC server received and what the client got.
 */

let server: LibraryServer;
let gw: TestGateway;
let base: string;

beforeAll(async () => {
  server = await startLibraryServer();
  gw = await startTestGateway({
    services: { library: { targets: [server.url], protocol: 'grpc', proto: libraryProto } },
    routes: [
      { path: '/v1/*', service: 'library', transcode: true },
      { path: '/gwtest.library.Library/*', service: 'library', transcode: true },
    ],
  });
  base = `http://127.0.0.1:${gw.port}`;
});

afterAll(async () => {
  await gw?.close();
  await server?.close();
});

function lastReceived(method: string) {
  const calls = server.received.filter((call) => call.method === method);
  return calls[calls.length - 1];
}

const json = { 'content-type': 'application/json' };

describe('annotated methods', () => {
  it('GET with a multi-segment path variable answers int64 as a string and enums by name', async () => {
    const res = await request(base, '/v1/shelves/fiction', { headers: { 'x-trace': 'abc' } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toEqual({ name: 'shelves/fiction', bookCount: '9007199254740993', genre: 'FICTION' });
    expect(lastReceived('GetShelf')?.request).toMatchObject({ name: 'shelves/fiction' });
    // The client's headers go along as metadata.
    expect(lastReceived('GetShelf')?.metadata['x-trace']).toBe('abc');
  });

  it('GET fills message fields from the path and the query: nested with dots, repeated, typed', async () => {
    const res = await request(
      base,
      '/v1/shelves/42/books?page_size=5&authors=le%20guin&authors=herbert&filter.genre=POETRY&filter.inPrint=true',
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      books: [{ title: 'Dune', pageCount: '412', genre: 'FICTION' }, { title: 'Empty' }],
    });
    expect(lastReceived('ListBooks')?.request).toEqual({
      shelfId: '42',
      pageSize: 5,
      authors: ['le guin', 'herbert'],
      filter: { genre: 'POETRY', inPrint: true },
    });
  });

  it('POST with body "*" takes the whole JSON body as the message (lowerCamel or proto names)', async () => {
    const res = await request(base, '/v1/shelves', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'shelves/new', book_count: '12345678901234567', genre: 'POETRY' }),
    });
    expect(res.status).toBe(200);
    expect(lastReceived('CreateShelf')?.request).toEqual({
      name: 'shelves/new',
      bookCount: '12345678901234567',
      genre: 'POETRY',
    });
    expect(res.json).toEqual({ name: 'shelves/new', bookCount: '12345678901234567', genre: 'POETRY' });
  });

  it('POST with body "book" puts the body in that field and the path variable beside it', async () => {
    const res = await request(base, '/v1/shelves/7/books', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ title: 'Ariel', pageCount: 88, genre: 2 }),
    });
    expect(res.status).toBe(200);
    expect(lastReceived('CreateBook')?.request).toEqual({
      shelfId: '7',
      book: { title: 'Ariel', pageCount: '88', genre: 'POETRY' },
    });
    expect(res.json).toEqual({ title: 'Ariel', pageCount: '88', genre: 'POETRY' });
  });
});

describe('methods without an annotation', () => {
  it('answer POST /package.Service/Method with a JSON body', async () => {
    const res = await request(base, '/gwtest.library.Library/Ping', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ text: 'héllo' }),
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ text: 'pong héllo', length: 5 });
  });

  it('are not reached by other methods', async () => {
    const res = await request(base, '/gwtest.library.Library/Ping');
    expect(res.status).toBe(404);
    expect(res.json?.code).toBe('GW_TRANSCODE_NO_METHOD');
  });
});

describe('gRPC clients on a transcoded route', () => {
  it('go through as gRPC', async () => {
    expect(await pingOverGrpc(`127.0.0.1:${gw.port}`, 'grpc')).toEqual({ text: 'pong grpc', length: 4 });
  });
});

describe('errors', () => {
  it.each([
    ['shelves/missing', 404, 5, 'NOT_FOUND', 'no shelf missing'],
    ['shelves/locked', 403, 7, 'PERMISSION_DENIED', 'locked'],
  ])('a gRPC status from %s becomes problem+json %i', async (name, status, grpcStatus, grpcCode, message) => {
    const res = await request(base, `/v1/${name}`);
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({
      code: 'GW_GRPC_CALL_FAILED',
      grpcStatus,
      grpcCode,
      grpcMessage: message,
    });
  });

  it('a body that is not JSON is a 400 and never reaches the service', async () => {
    const before = server.received.length;
    const res = await request(base, '/v1/shelves', { method: 'POST', headers: json, body: '{"name": ' });
    expect(res.status).toBe(400);
    expect(res.json?.code).toBe('GW_BODY_INVALID_JSON');
    expect(server.received.length).toBe(before);
  });

  it.each([
    ['an unknown field', { title: 'x', color: 'red' }],
    ['a string for a number', { pageCount: 'many' }],
    ['an unknown enum name', { genre: 'OPERA' }],
  ])('JSON that does not fit the message (%s) is a 400', async (_, body) => {
    const res = await request(base, '/v1/shelves/7/books', {
      method: 'POST',
      headers: json,
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(res.json?.code).toBe('GW_TRANSCODE_INVALID_MESSAGE');
  });

  it('a path no annotation declares is a 404', async () => {
    const res = await request(base, '/v1/nothing/here');
    expect(res.status).toBe(404);
    expect(res.json?.code).toBe('GW_TRANSCODE_NO_METHOD');
  });
});

describe('server streaming', () => {
  it('answers newline-delimited JSON', async () => {
    const res = await request(base, '/v1/shelves/fiction:watch');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([
      { title: 'chapter 1', pageCount: '1' },
      { title: 'chapter 2', pageCount: '2' },
      { title: 'chapter 3', pageCount: '3' },
    ]);
    expect(lastReceived('WatchShelf')?.request).toMatchObject({ name: 'shelves/fiction' });
  });

  it('answers Server-Sent Events when the client accepts text/event-stream', async () => {
    const res = await request(base, '/v1/shelves/fiction:watch', {
      headers: { accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events = res.body.split('\n\n').filter(Boolean);
    expect(events).toEqual([
      'data: {"title":"chapter 1","pageCount":"1"}',
      'data: {"title":"chapter 2","pageCount":"2"}',
      'data: {"title":"chapter 3","pageCount":"3"}',
    ]);
  });

  it('ends a stream that fails after its first message with an error line', async () => {
    const res = await request(base, '/v1/shelves/broken:watch');
    expect(res.status).toBe(200);
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatchObject({
      error: { code: 'GW_GRPC_CALL_FAILED', status: 503, grpcCode: 'UNAVAILABLE' },
    });
  });
});
