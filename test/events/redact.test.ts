import { describe, expect, it } from 'vitest';
import { escapeControlCharacters, redactHeaders, redactQuery } from '../../src/events/redact.js';

describe('redactQuery', () => {
  it.each([
    ['/a', '/a'],
    ['/a?page=2&sort=name', '/a?page=2&sort=name'],
    ['/a?api_key=s1&page=2', '/a?api_key=[redacted]&page=2'],
    [
      '/a?access_token=s&token=s&key=s&apikey=s&x-api-key=s',
      '/a?access_token=[redacted]&token=[redacted]&key=[redacted]&apikey=[redacted]&x-api-key=[redacted]',
    ],
    ['/cb?code=s&state=xyz', '/cb?code=[redacted]&state=xyz'],
    ['/a?X-Amz-Signature=s&X-Amz-Credential=s', '/a?X-Amz-Signature=[redacted]&X-Amz-Credential=[redacted]'],
    ['/a?api%5Fkey=s', '/a?api%5Fkey=[redacted]'],
    ['/a?token=&monkey=1&keyboard=2', '/a?token=&monkey=1&keyboard=2'],
  ])('%s → %s', (input, expected) => {
    expect(redactQuery(input)).toBe(expected);
  });
});

describe('redactHeaders', () => {
  it('returns the same object when nothing is secret', () => {
    const headers = { host: 'localhost', accept: '*/*', 'x-request-id': 'r1' };
    expect(redactHeaders(headers)).toBe(headers);
  });

  it('keeps the scheme and cookie names, never edits the object given', () => {
    const headers = {
      authorization: 'Bearer abc',
      cookie: 'a=1; b=2',
      'x-api-key': 'k',
      'x-auth-token': 't',
      accept: '*/*',
    };
    expect(redactHeaders(headers)).toEqual({
      authorization: 'Bearer [redacted]',
      cookie: 'a=[redacted]; b=[redacted]',
      'x-api-key': '[redacted]',
      'x-auth-token': '[redacted]',
      accept: '*/*',
    });
    expect(headers.authorization).toBe('Bearer abc');
  });

  it('redacts a flat [name, value, …] list and Set-Cookie values, attributes kept', () => {
    expect(redactHeaders(['Set-Cookie', 'sid=1; Path=/; HttpOnly', 'Content-Type', 'text/plain'])).toEqual([
      'Set-Cookie',
      'sid=[redacted]; Path=/; HttpOnly',
      'Content-Type',
      'text/plain',
    ]);
  });
});

describe('escapeControlCharacters', () => {
  it.each([
    ['plain text', 'plain text'],
    ['a\r\nb', 'a\\x0d\\x0ab'],
    ['\u001b[2J', '\\x1b[2J'],
    ['nel\u0085csi\u009b', 'nel\\x85csi\\x9b'],
    ['ls\u2028ps\u2029', 'ls\\u2028ps\\u2029'],
    ['é ü ✓', 'é ü ✓'],
  ])('%j → %j', (input, expected) => {
    expect(escapeControlCharacters(input)).toBe(expected);
  });
});
