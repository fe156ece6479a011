import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeBody,
  encodeBody,
  matchKey,
  queryPairs,
  recordingFileName,
  selectHeaders,
  type MatchRules,
  type Recording,
} from '../../src/observe/recording.js';

const none: MatchRules = { ignoreQuery: new Set(), ignoreBody: [] };
const json = { 'content-type': 'application/json' };

function req(overrides: Partial<Recording['request']> = {}): Recording['request'] {
  return { method: 'GET', path: '/users', query: [], headers: {}, ...overrides };
}

describe('recording bodies', () => {
  it.each([
    ['compact JSON becomes a JSON value', Buffer.from('{"a":1}'), json, 'json'],
    ['pretty JSON stays text (its spacing replays exactly)', Buffer.from('{\n  "a": 1\n}'), json, 'utf8'],
    ['JSON that does not parse stays text', Buffer.from('{"a":'), json, 'utf8'],
    ['text is text', Buffer.from('héllo'), { 'content-type': 'text/plain' }, 'utf8'],
    ['bytes that are not UTF-8 are base64', Buffer.from([0xff, 0xfe, 0x00, 0x80]), {}, 'base64'],
    [
      'a gzip-encoded answer is base64',
      gzipSync('{"a":1}'),
      { ...json, 'content-encoding': 'gzip' },
      'base64',
    ],
  ])('%s, and decodes to the same bytes', (_name, body, headers, encoding) => {
    const encoded = encodeBody(body, headers);
    expect(encoded.encoding).toBe(encoding);
    expect(decodeBody(encoded).equals(body)).toBe(true);
  });
});

describe('match keys', () => {
  it('ignores query order, the names in ignoreQuery and JSON key order; not the values that count', () => {
    const rules: MatchRules = { ignoreQuery: new Set(['ts']), ignoreBody: ['meta.sentAt'] };
    const a = req({
      query: [
        ['page', '1'],
        ['ts', '5'],
      ],
      body: { encoding: 'json', data: { item: 'cup', meta: { sentAt: 1, by: 'ada' } } },
    });
    const b = req({
      query: [
        ['ts', '9'],
        ['page', '1'],
      ],
      body: { encoding: 'json', data: { meta: { by: 'ada', sentAt: 2 }, item: 'cup' } },
    });
    expect(matchKey(a, rules)).toBe(matchKey(b, rules));
    expect(matchKey(a, none)).not.toBe(matchKey(b, none));
    expect(matchKey(req({ ...a, query: [['page', '2']] }), rules)).not.toBe(matchKey(a, rules));
    expect(matchKey(req({ ...a, method: 'POST' }), rules)).not.toBe(matchKey(a, rules));
    expect(matchKey(req({ ...a, path: '/users/1' }), rules)).not.toBe(matchKey(a, rules));
  });

  it('redacts secret query values, so a token neither reaches the file nor splits recordings', () => {
    expect(queryPairs('?api_key=abc&page=2')).toEqual([
      ['api_key', '[redacted]'],
      ['page', '2'],
    ]);
    expect(matchKey(req({ query: queryPairs('?token=one') }), none)).toBe(
      matchKey(req({ query: queryPairs('?token=two') }), none),
    );
  });

  it('names files by method, path slug and key: stable, readable, safe on every file system', () => {
    const key = 'abcdef0123456789';
    expect(recordingFileName(req({ path: '/api/users/42' }), key)).toBe('GET-api_users_42-abcdef0123.json');
    expect(recordingFileName(req({ path: '/' }), key)).toBe('GET-root-abcdef0123.json');
    expect(recordingFileName(req({ path: '/a b/..:c*' }), key)).toBe('GET-a-b_..-c--abcdef0123.json');
  });
});

describe('recorded headers', () => {
  it('keeps what describes the answer, redacts credentials and drops transfer details', () => {
    const kept = selectHeaders(
      {
        'content-type': 'application/json',
        'set-cookie': ['sid=abc; Path=/'],
        'content-length': '7',
        date: 'Sat, 05 Dec 2026 06:00:00 GMT',
        connection: 'keep-alive',
      },
      'response',
    );
    expect(kept).toEqual({ 'content-type': 'application/json', 'set-cookie': ['sid=[redacted]; Path=/'] });
    const sent = selectHeaders(
      {
        host: 'gw',
        authorization: 'Bearer t',
        'x-api-key': 'k',
        'x-forwarded-for': '1.2.3.4',
        accept: '*/*',
      },
      'request',
    );
    expect(sent).toEqual({ authorization: 'Bearer [redacted]', 'x-api-key': '[redacted]', accept: '*/*' });
  });
});
