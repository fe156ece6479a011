import { describe, expect, it } from 'vitest';
import { captureStream, decodeChunk, isStreamedAnswer } from '../../src/observe/stream-recording.js';

/** A clock the test moves (timing math only: when each chunk came). */
function clock() {
  let now = 1000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const limits = { maxBytes: 1024, maxChunks: 100 };
const sse = { 'content-type': 'text/event-stream' };

describe('streamed answers in recordings', () => {
  it.each([
    [
      'an event stream, even with a length',
      200,
      { 'content-type': 'text/event-stream', 'content-length': '9' },
      true,
    ],
    ['NDJSON', 200, { 'content-type': 'application/x-ndjson', 'content-length': '9' }, true],
    ['a body without a length (chunked)', 200, { 'content-type': 'application/json' }, true],
    ['a body with a length', 200, { 'content-type': 'application/json', 'content-length': '2' }, false],
    ['a 204', 204, {}, false],
    ['a 304', 304, {}, false],
  ])('%s streams: %s', (_what, status, headers, streamed) => {
    expect(isStreamedAnswer(status, headers)).toBe(streamed);
  });

  it('keeps each chunk with its time after the head, text when UTF-8, else base64', () => {
    const time = clock();
    const capture = captureStream(sse, limits, time.now);
    capture.add(Buffer.from('data: 1\n\n'));
    time.advance(150.4);
    capture.add(Buffer.from([0xff, 0x00]));
    time.advance(149.8);
    capture.add(Buffer.from('data: é\n\n'));
    time.advance(5);
    const streamed = capture.finish(undefined);
    expect(streamed).toEqual({
      chunks: [
        { at: 0, text: 'data: 1\n\n' },
        { at: 150, base64: Buffer.from([0xff, 0x00]).toString('base64') },
        { at: 300, text: 'data: é\n\n' },
      ],
      endedAt: 305,
    });
    expect(
      Buffer.concat(streamed.chunks!.map(decodeChunk)).equals(
        Buffer.concat([Buffer.from('data: 1\n\n'), Buffer.from([0xff, 0x00]), Buffer.from('data: é\n\n')]),
      ),
    ).toBe(true);
  });

  it('joins pieces that come within 2 ms of the first of their group', () => {
    const time = clock();
    const capture = captureStream(sse, limits, time.now);
    capture.add(Buffer.from('data: a'));
    time.advance(1);
    capture.add(Buffer.from('\n\n'));
    time.advance(1.5);
    capture.add(Buffer.from('data: b\n\n'));
    expect(capture.finish(undefined).chunks).toEqual([
      { at: 0, text: 'data: a\n\n' },
      { at: 3, text: 'data: b\n\n' },
    ]);
  });

  it('keeps an answer of no stream type that came in one go as a whole body', () => {
    const time = clock();
    const capture = captureStream({ 'content-type': 'application/json' }, limits, time.now);
    capture.add(Buffer.from('{"a":'));
    capture.add(Buffer.from('1}'));
    time.advance(50);
    expect(capture.finish(undefined)).toEqual({ body: { encoding: 'json', data: { a: 1 } } });
  });

  it('keeps a gzip-encoded stream as base64', () => {
    const capture = captureStream({ ...sse, 'content-encoding': 'gzip' }, limits, clock().now);
    capture.add(Buffer.from('plain ascii'));
    expect(capture.finish(undefined).chunks).toEqual([
      { at: 0, base64: Buffer.from('plain ascii').toString('base64') },
    ]);
  });

  it('stops keeping at the byte limit and the chunk limit, and says why the recording is cut', () => {
    const time = clock();
    const bytes = captureStream(sse, { maxBytes: 10, maxChunks: 100 }, time.now);
    expect(bytes.add(Buffer.from('123456'))).toBe(true);
    time.advance(10);
    expect(bytes.add(Buffer.from('789012'))).toBe(false);
    expect(bytes.add(Buffer.from('1'))).toBe(false);
    const cutByBytes = bytes.finish(undefined);
    expect(cutByBytes.chunks).toEqual([{ at: 0, text: '123456' }]);
    expect(cutByBytes.cut).toMatch(/longer than 10 bytes: the first 6 bytes are kept/);

    const chunks = captureStream(sse, { maxBytes: 1024, maxChunks: 2 }, time.now);
    for (const text of ['a', 'b', 'c']) {
      chunks.add(Buffer.from(text));
      time.advance(10);
    }
    const cutByChunks = chunks.finish('ignored: the limit came first');
    expect(cutByChunks.chunks).toHaveLength(2);
    expect(cutByChunks.cut).toMatch(/more than 2 chunks/);
  });

  it('says why when the answer was cut short, and keeps even one chunk as chunks then', () => {
    const capture = captureStream({ 'content-type': 'application/json' }, limits, clock().now);
    capture.add(Buffer.from('{"a":'));
    const cut = capture.finish('the answer was cut short');
    expect(cut.chunks).toEqual([{ at: 0, text: '{"a":' }]);
    expect(cut.cut).toBe('the answer was cut short');
  });
});
