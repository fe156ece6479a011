import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BodyCapture, type TakeSpace } from '../../../src/observe/inspect/body-capture.js';

/** A request head as the server parsed it (a real IncomingMessage on an unconnected socket). */
function clientRequest(): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.url = '/orders?page=2';
  req.rawHeaders = ['Host', 'gw.test', 'X-API-Key', 'k1'];
  return req;
}

/** The store's slabs, one shared 1 KB slab here: sealed bodies go one after another. */
function slab(): { take: TakeSpace; memory: Buffer } {
  const memory = Buffer.alloc(1024);
  let used = 0;
  return {
    memory,
    take: (size) => {
      const offset = used;
      used += size;
      return { slab: memory, offset };
    },
  };
}

describe('body capture', () => {
  it('keeps a streamed answer up to maxBodyBytes as a copy, counting every byte that went by', () => {
    const capture = new BodyCapture(clientRequest(), { maxBodyBytes: 8, redact: [] });
    const first = Buffer.from('{"a":');
    capture.onAnswerChunk(first);
    capture.onAnswerChunk(Buffer.from('1234567}'));
    expect(capture.answer.bytes).toBeUndefined();
    const { take, memory } = slab();
    expect(capture.seal(take)).toBe(8);
    // The socket's buffers may be reused: what is kept no longer depends on them.
    first.fill(0);
    expect(capture.answer.bytes?.toString()).toBe('{"a":123');
    expect(capture.answer.size).toBe(13);
    expect(capture.answer.bytes?.buffer).toBe(memory.buffer);
    expect(capture.request).toEqual({ bytes: undefined, size: 0 });
    expect(capture).toMatchObject({ clientUrl: '/orders?page=2', keptBytes: 8, kept: true });
    expect(capture.clientHeaders).toEqual(['Host', 'gw.test', 'X-API-Key', 'k1']);
  });

  it('takes the body a retry sends again in place of the first, and the streamed chunks of a client body', () => {
    const capture = new BodyCapture(clientRequest(), { maxBodyBytes: 64, redact: [] });
    capture.requestBody(Buffer.from('first try'));
    capture.requestBody(Buffer.from('second'));
    capture.answerBody(Buffer.from('ok'));
    const { take } = slab();
    expect(capture.seal(take)).toBe(8);
    expect(capture.request.bytes?.toString()).toBe('second');
    expect(capture.answer.bytes?.toString()).toBe('ok');

    const streamed = new BodyCapture(clientRequest(), { maxBodyBytes: 64, redact: [] });
    const listener = streamed.onRequestChunk;
    expect(streamed.onRequestChunk).toBe(listener);
    listener(Buffer.from('a=1&'));
    listener(Buffer.from('b=2'));
    streamed.seal(slab().take);
    expect(streamed.request).toEqual({ bytes: Buffer.from('a=1&b=2'), size: 7 });
  });

  it('lets the bodies go when dropped, keeping their sizes, and ignores chunks after it is sealed', () => {
    const capture = new BodyCapture(clientRequest(), { maxBodyBytes: 64, redact: [] });
    capture.answerBody(Buffer.from('hello'));
    capture.seal(slab().take);
    capture.answerBody(Buffer.from('late'));
    expect(capture.answer.bytes?.toString()).toBe('hello');
    capture.drop();
    expect(capture.kept).toBe(false);
    expect(capture.answer).toEqual({ bytes: undefined, size: 5 });
  });
});
