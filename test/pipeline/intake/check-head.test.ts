import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkRequestHead, MAX_HEADER_LINES } from '../../../src/pipeline/intake/check-head.js';

/** A request as Node's parser leaves it: raw lines, and the header object that keeps the first of each. */
function head(lines: Array<[string, string]>, version = '1.1'): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.httpVersionMajor = Number(version[0]);
  req.httpVersionMinor = Number(version[2]);
  req.rawHeaders = lines.flat();
  const headers: Record<string, string> = {};
  for (const [name, value] of lines) headers[name.toLowerCase()] ??= value;
  req.headers = headers;
  return req;
}

describe('checkRequestHead', () => {
  it.each<[string, Array<[string, string]>, string?]>([
    [
      'one of each',
      [
        ['Host', 'a'],
        ['Authorization', 'x'],
        ['Content-Type', 'text/plain'],
      ],
    ],
    [
      'chunked in any case',
      [
        ['Host', 'a'],
        ['Transfer-Encoding', 'Chunked'],
      ],
    ],
    ['HTTP/1.0 without Host', [['Accept', '*/*']], '1.0'],
    [
      'names of the same lengths',
      [
        ['Date', 'x'],
        ['Host', 'a'],
        ['Cache-Control', 'x'],
        ['X-Request-ID', 'x'],
      ],
    ],
  ])('passes %s', (_name, lines, version) => {
    expect(checkRequestHead(head(lines, version))).toBeUndefined();
  });

  it.each<[string, Array<[string, string]>, string, number]>([
    ['HTTP/1.1 without Host', [['Accept', '*/*']], 'GW_BAD_REQUEST', 400],
    [
      'two Host lines',
      [
        ['Host', 'a'],
        ['HOST', 'b'],
      ],
      'GW_BAD_REQUEST',
      400,
    ],
    [
      'two Authorization lines',
      [
        ['Host', 'a'],
        ['authorization', 'x'],
        ['Authorization', 'y'],
      ],
      'GW_BAD_REQUEST',
      400,
    ],
    [
      'two Content-Type lines',
      [
        ['Host', 'a'],
        ['Content-Type', 'x'],
        ['content-type', 'y'],
      ],
      'GW_BAD_REQUEST',
      400,
    ],
    [
      'too many lines',
      [
        ['Host', 'a'],
        ...Array.from({ length: MAX_HEADER_LINES }, (_, i): [string, string] => [`X-${i}`, 'v']),
      ],
      'GW_BAD_REQUEST',
      431,
    ],
    [
      'gzip, chunked',
      [
        ['Host', 'a'],
        ['Transfer-Encoding', 'gzip, chunked'],
      ],
      'GW_TRANSFER_CODING_UNSUPPORTED',
      501,
    ],
  ])('refuses %s', (_name, lines, code, status) => {
    const error = checkRequestHead(head(lines));
    expect(error?.code).toBe(code);
    expect(error?.status).toBe(status);
  });

  it('accepts exactly MAX_HEADER_LINES lines', () => {
    const lines = Array.from({ length: MAX_HEADER_LINES - 1 }, (_, i): [string, string] => [`X-${i}`, 'v']);
    expect(checkRequestHead(head([['Host', 'a'], ...lines]))).toBeUndefined();
  });
});
