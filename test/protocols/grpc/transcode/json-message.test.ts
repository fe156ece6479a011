import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Type } from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../../../../src/errors.js';
import { loadProtos } from '../../../../src/protocols/grpc/proto/load-protos.js';
import { compilePathTemplate } from '../../../../src/protocols/grpc/proto/path-template.js';
import { decodeAnswer, encodeRequest } from '../../../../src/protocols/grpc/transcode/json-message.js';

/** The proto3 JSON mapping of transcoded messages, well-known types included, and path templates. */

let event: Type;
beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gw-proto-'));
  const file = path.join(dir, 'event.proto');
  await writeFile(
    file,
    `syntax = "proto3";
package gwtest;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/field_mask.proto";
message Event {
  google.protobuf.Timestamp at = 1;
  google.protobuf.Duration took = 2;
  google.protobuf.Int64Value big = 3;
  google.protobuf.StringValue note = 4;
  google.protobuf.Struct extra = 5;
  google.protobuf.FieldMask mask = 6;
  sint64 delta = 7;
  bytes blob = 8;
}
`,
  );
  const loaded = loadProtos({ files: [file], includeDirs: [] });
  if (!loaded.ok) throw new Error(loaded.message);
  event = loaded.root.lookupType('gwtest.Event');
});

describe('proto3 JSON mapping', () => {
  it('round-trips the well-known types in their JSON forms', () => {
    const json = {
      at: '2026-12-05T06:15:30.250Z',
      took: '1.5s',
      big: '9007199254740993',
      note: 'hi',
      extra: { a: [1, 'two', true, null], b: { c: 3 } },
      mask: 'name,shelf.title',
      delta: '-42',
      blob: Buffer.from('gw').toString('base64'),
    };
    const bytes = encodeRequest(event, json);
    const wire = event.toObject(event.decode(bytes), { longs: String });
    expect(wire.at).toEqual({
      seconds: String(Date.parse('2026-12-05T06:15:30Z') / 1000),
      nanos: 250_000_000,
    });
    expect(wire.took).toEqual({ seconds: '1', nanos: 500_000_000 });
    // Output has 0, 3, 6 or 9 fractional digits, as the mapping says.
    expect(decodeAnswer(event, bytes)).toEqual({ ...json, took: '1.500s' });
  });

  it.each([
    ['a timestamp that is not RFC 3339', { at: 'yesterday' }],
    ['a duration without its unit', { took: '15' }],
    ['an int64 that is not an integer', { delta: '1.5' }],
  ])('refuses %s', (_, json) => {
    let code: string | undefined;
    try {
      encodeRequest(event, json);
    } catch (error) {
      code = isGatewayError(error) ? error.code : 'not a GatewayError';
    }
    expect(code).toBe('GW_TRANSCODE_INVALID_MESSAGE');
  });
});

describe('path templates', () => {
  it.each([
    ['/v1/{name}', '/v1/alice', { name: 'alice' }],
    ['/v1/{name}', '/v1/a/b', undefined],
    ['/v1/{name=shelves/*}', '/v1/shelves/s1', { name: 'shelves/s1' }],
    ['/v1/{name=shelves/*/books/*}', '/v1/shelves/s1/books/b%202', { name: 'shelves/s1/books/b 2' }],
    ['/v1/{path=**}', '/v1/a/b/c', { path: 'a/b/c' }],
    ['/v1/{book.shelf}/x/*', '/v1/s/x/any', { 'book.shelf': 's' }],
    ['/v1/{name=shelves/*}:watch', '/v1/shelves/s1:watch', { name: 'shelves/s1' }],
    ['/v1/{name=shelves/*}:watch', '/v1/shelves/s1', undefined],
  ])('%s matches %s', (template, path, expected) => {
    expect(compilePathTemplate(template).match(path)).toEqual(expected);
  });

  it.each(['v1/x', '/v1/{name', '/v1/{a={b}}', '/v1//x', '/v1/{1x}'])('refuses %s', (template) => {
    expect(() => compilePathTemplate(template)).toThrow();
  });
});
