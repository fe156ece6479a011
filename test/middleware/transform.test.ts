import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/config/define-config.js';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { compileFieldRules } from '../../src/middleware/transform/field-rules.js';
import { compileHeaderRules } from '../../src/middleware/transform/header-rules.js';
import { fieldRulesSchema, headerRulesSchema } from '../../src/middleware/transform/transform-schema.js';
import {
  decodeBody,
  InflateLimitExceeded,
  isJsonType,
  nestsDeeperThan,
} from '../../src/middleware/transform/json-body.js';
import { transformSchema } from '../../src/middleware/transform/transform-schema.js';

const fields = (rules: unknown) => compileFieldRules(fieldRulesSchema.parse(rules));

describe('field rules', () => {
  it.each([
    ['pick top-level', { pick: ['id'] }, { id: 1, name: 'a' }, { id: 1 }],
    [
      'pick nested',
      { pick: ['id', 'user.email'] },
      { id: 1, user: { email: 'e', pw: 'p' } },
      { id: 1, user: { email: 'e' } },
    ],
    ['pick a missing field', { pick: ['nope'] }, { id: 1 }, {}],
    ['omit nested', { omit: ['user.pw'] }, { user: { email: 'e', pw: 'p' } }, { user: { email: 'e' } }],
    [
      'rename nested',
      { rename: { 'user.email': 'mail' } },
      { user: { email: 'e' } },
      { user: { mail: 'e' } },
    ],
    ['rename a missing field', { rename: { gone: 'x' } }, { id: 1 }, { id: 1 }],
    [
      'all three in order',
      { pick: ['a', 'b', 'c'], omit: ['b'], rename: { c: 'd' } },
      { a: 1, b: 2, c: 3, e: 4 },
      { a: 1, d: 3 },
    ],
    ['each object of an array', { omit: ['pw'] }, [{ id: 1, pw: 'x' }, 2, null], [{ id: 1 }, 2, null]],
    ['a scalar body', { omit: ['pw'] }, 'text', 'text'],
  ])('%s', (_name, rules, input, expected) => {
    expect(fields(rules)(input)).toEqual(expected);
  });
});

describe('header rules', () => {
  it('applies remove, rename, set, add in that order', () => {
    const apply = compileHeaderRules(
      headerRulesSchema.parse({
        remove: ['Cookie'],
        rename: { 'X-A': 'x-b' },
        set: { 'x-b': 'set' },
        add: { 'x-c': ['1', '2'], 'x-d': 'new' },
      }),
    )!;
    const headers: Record<string, string | string[] | undefined> = { cookie: 'c', 'x-a': 'a', 'x-c': '0' };
    apply(headers);
    expect(headers).toEqual({ 'x-b': 'set', 'x-c': ['0', '1', '2'], 'x-d': 'new' });
  });

  it('compiles empty rules to nothing, so a route pays nothing for them', () => {
    expect(compileHeaderRules(headerRulesSchema.parse({}))).toBeUndefined();
    expect(compileHeaderRules(undefined)).toBeUndefined();
  });

  it('refuses a header name that is not one', () => {
    expect(headerRulesSchema.safeParse({ remove: ['bad header'] }).success).toBe(false);
  });
});

describe('JSON bodies', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/problem+json', true],
    ['Application/JSON', true],
    ['text/json', false],
    ['text/plain', false],
    [undefined, false],
  ])('%s is JSON: %s', (type, expected) => {
    expect(isJsonType(type === undefined ? {} : { 'content-type': type })).toBe(expected);
  });

  it('undoes stacked codings from the last applied', async () => {
    const body = brotliCompressSync(gzipSync(Buffer.from('{"a":1}')));
    expect((await decodeBody(body, { 'content-encoding': 'gzip, br' }, 1024))?.toString()).toBe('{"a":1}');
  });

  it('gives up on codings it cannot read, and throws on bytes that do not decode', async () => {
    expect(await decodeBody(Buffer.from('x'), { 'content-encoding': 'zstd' }, 1024)).toBeUndefined();
    expect((await decodeBody(Buffer.from('x'), {}, 1024))?.toString()).toBe('x');
    await expect(decodeBody(Buffer.from('not gzip'), { 'content-encoding': 'gzip' }, 1024)).rejects.toThrow();
  });

  it('stops inflating at the cap', async () => {
    const body = gzipSync(Buffer.alloc(64 * 1024));
    await expect(decodeBody(body, { 'content-encoding': 'gzip' }, 1024)).rejects.toBeInstanceOf(
      InflateLimitExceeded,
    );
    expect((await decodeBody(body, { 'content-encoding': 'gzip' }, 64 * 1024))?.length).toBe(64 * 1024);
  });

  it.each([
    ['[[[]]]', 3, false],
    ['[[[[]]]]', 3, true],
    ['{"a":{"b":[1]}}', 3, false],
    ['{"a":"[[[[[[[["}', 2, false],
    [String.raw`["\\"]`, 1, false],
    [String.raw`["\\\"[[[["]`, 1, false],
  ])('%s nests deeper than %i: %s', (text, max, expected) => {
    expect(nestsDeeperThan(Buffer.from(text), max)).toBe(expected);
  });
});

describe('transform schema', () => {
  it('reads a bare function as the body transform of that side', () => {
    const fn = (b: unknown) => b;
    const parsed = transformSchema.parse({ response: fn });
    expect(parsed.response).toEqual({ body: fn });
    expect(parsed.maxBodySize).toBe(1024 * 1024);
  });

  it('refuses unknown keys and a body that is neither a function nor field rules', () => {
    expect(transformSchema.safeParse({ response: { bdy: {} } }).success).toBe(false);
    expect(transformSchema.safeParse({ response: { body: 'uppercase' } }).success).toBe(false);
  });
});

describe('the config shape of issue 4', () => {
  it('type-checks in a TS config and resolves', () => {
    const config = defineConfig({
      services: {
        catalog: { targets: ['http://127.0.0.1:8001'] },
        users: { targets: ['http://127.0.0.1:8002'] },
        orders: { targets: ['http://127.0.0.1:8003'], fallback: 'mock' },
      },
      cors: { origins: ['http://localhost:5173'], credentials: true },
      routes: [
        { path: '/api/catalog', service: 'catalog', cache: { ttl: '30s' } },
        {
          path: '/api/profile',
          service: 'users',
          transform: {
            request: { headers: { set: { 'x-env': 'dev' }, remove: ['cookie'] } },
            response: {
              headers: { remove: ['server'] },
              body: (json, ctx) => ({ ...json, via: ctx.route.id }),
            },
          },
        },
        { path: '/api/upload', service: 'users', bodyLimit: '1mb' },
        { path: '/api/flags', mock: { status: 200, json: { beta: true } } },
        { path: '/api/orders', service: 'orders', mock: (req) => ({ json: { path: req.path } }) },
        { path: '/api/search', service: 'catalog', faults: { latency: '300ms', errorRate: 0.2 } },
      ],
    });
    const resolved = resolveConfig(config);
    expect(resolved.routes[1]!.transform!.response!.body).toBeTypeOf('function');
    expect(resolved.routes[2]!.bodyLimit).toBe(1024 * 1024);
    expect(resolved.routes[5]!.faults).toEqual({ latency: 300, errorRate: 0.2, errorStatus: 503 });
    expect(resolved.cacheStore.maxSize).toBe(64 * 1024 * 1024);
  });
});
