import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { compileOrigins } from '../../src/middleware/cors/origin-matcher.js';
import { mergeVary, preflightMethod } from '../../src/middleware/cors/preflight.js';
import { corsSchema } from '../../src/middleware/cors/cors-schema.js';

describe('origin matching', () => {
  it.each([
    [['http://localhost:5173'], 'http://localhost:5173', true],
    [['http://localhost:5173'], 'HTTP://LOCALHOST:5173', true],
    [['http://localhost:5173/'], 'http://localhost:5173', true],
    [['http://localhost:5173'], 'http://localhost:5174', false],
    [['http://localhost:*'], 'http://localhost:3000', true],
    [['http://localhost:*'], 'http://localhost.evil.test:3000', false],
    [['https://*.example.test'], 'https://a.example.test', true],
    [['https://*.example.test'], 'https://a.example.test.evil', false],
    [[/^https:\/\/app\d\.test$/g], 'https://app1.test', true],
    [[/^https:\/\/app\d\.test$/g], 'https://app1.test', true],
    ['*', 'null', true],
  ] as const)('%s allows %s: %s', (origins, origin, expected) => {
    expect(compileOrigins(origins as never)(origin)).toBe(expected);
  });
});

describe('helpers', () => {
  it('merges Vary without repeating names', () => {
    expect(mergeVary(undefined, 'Origin')).toBe('Origin');
    expect(mergeVary('Accept-Encoding', 'Origin')).toBe('Accept-Encoding, Origin');
    expect(mergeVary('accept-encoding, origin', 'Origin')).toBe('accept-encoding, origin');
    expect(mergeVary(['A', 'B'], 'Origin')).toBe('A, B, Origin');
    expect(mergeVary('*', 'Origin')).toBe('*');
  });

  it('tells a preflight from a plain OPTIONS', () => {
    const req = (headers: Record<string, string>) => {
      const message = new IncomingMessage(new Socket());
      message.method = 'OPTIONS';
      Object.assign(message.headers, headers);
      return message;
    };
    expect(preflightMethod(req({ origin: 'http://a', 'access-control-request-method': 'put' }))).toBe('PUT');
    expect(preflightMethod(req({ 'access-control-request-method': 'PUT' }))).toBeUndefined();
    expect(preflightMethod(req({ origin: 'http://a' }))).toBeUndefined();
  });

  it('defaults methods, exposed headers and max age', () => {
    const parsed = corsSchema.parse({ origins: ['http://a'] });
    expect(parsed).toMatchObject({
      credentials: false,
      maxAge: 600_000,
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
    });
    expect(parsed && parsed.exposeHeaders).toContain('x-request-id');
  });
});
