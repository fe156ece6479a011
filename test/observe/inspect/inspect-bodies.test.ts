import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { redactForm, redactJsonText, redactNames } from '../../../src/observe/inspect/redact-body.js';
import { decodeBody } from '../../../src/observe/inspect/decode-body.js';
import { showBody } from '../../../src/observe/inspect/show-body.js';
import { curlCommand } from '../../../src/observe/inspect/curl-command.js';

const names = redactNames(['password', 'Token', 'creds']);

describe('body redaction', () => {
  it.each([
    ['a string', '{"password":"x\\"y","a":1}', '{"password":"[redacted]","a":1}'],
    ['a number, any case of the name', '{"TOKEN":12,"a":1}', '{"TOKEN":"[redacted]","a":1}'],
    [
      'an object, to its matching brace',
      '{"creds":{"u":"a","pw":[1,{"b":"}"}]},"a":1}',
      '{"creds":"[redacted]","a":1}',
    ],
    ['a value cut by maxBodyBytes', '{"a":1,"password":"abc', '{"a":1,"password":"[redacted]"'],
    ['an object cut by maxBodyBytes', '{"creds":{"u":"a","pw":"b', '{"creds":"[redacted]"'],
  ])('masks %s in JSON text that may not parse', (_case, text, masked) => {
    expect(redactJsonText(text, names)).toBe(masked);
  });

  it('masks named form fields and leaves the others as sent', () => {
    expect(redactForm('user=ada&Password=x%20y&password=&b=2', names)).toBe(
      'user=ada&Password=[redacted]&password=[redacted]&b=2',
    );
  });

  it('masks named fields at any depth of a JSON body it shows, and pretty-prints it', () => {
    const body = Buffer.from('{"list":[{"deep":{"token":"s"}}],"ok":true}');
    const shown = showBody(
      { bytes: body, size: body.length },
      { contentType: 'application/json', contentEncoding: undefined, redact: names, pretty: true },
    );
    expect(JSON.parse(shown!.text!)).toEqual({ list: [{ deep: { token: '[redacted]' } }], ok: true });
    expect(shown!.text).toContain('\n  "ok": true');
  });
});

describe('decoding for display', () => {
  it('stops at the inflation cap instead of inflating a bomb, and shows the bytes as they came', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(1_000_000));
    const decoded = decodeBody(bomb, 'gzip', 16 * bomb.length);
    expect(decoded.bytes).toBe(bomb);
    expect(decoded.decoded).toBeUndefined();
    expect(decoded.note).toMatch(/would pass/);
  });

  it('decodes as much of a cut gzip body as arrived', () => {
    const whole = zlib.gzipSync(Buffer.from('hello '.repeat(2000)));
    const decoded = decodeBody(whole.subarray(0, whole.length - 10), 'gzip', 1_000_000);
    expect(decoded.decoded).toBe('gzip');
    expect(decoded.bytes.toString().startsWith('hello hello')).toBe(true);
  });
});

describe('copy as curl', () => {
  it('masks credentials in the query and the headers, and keeps curl from adding headers the client did not send', () => {
    const body = Buffer.from('{"password":"p"}');
    const command = curlCommand('POST', {
      request: { bytes: body, size: body.length },
      answer: { bytes: undefined, size: 0 },
      kept: true,
      clientUrl: '/a?access_token=tok&page=2',
      clientHeaders: [
        'Host',
        'gw.localhost:8080',
        'Authorization',
        'Bearer tok',
        'Content-Type',
        'application/json',
      ],
      secure: false,
      redact: ['password'],
    });
    expect(command).toBe(
      [
        "curl -X POST 'http://gw.localhost:8080/a?access_token=[redacted]&page=2'",
        "  -H 'Authorization: Bearer [redacted]'",
        "  -H 'Content-Type: application/json'",
        "  -H 'Accept:'",
        "  -H 'User-Agent:'",
        `  --data-binary '{"password":"[redacted]"}'`,
      ].join(' \\\n'),
    );
  });
});
