import http2 from 'node:http2';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway } from '../helpers/gateway.js';
import { sleep } from '../helpers/wait.js';
import { grpcFrame, startRawGrpcServer } from '../protocols/raw-grpc.js';

/**
 * Backpressure on a gRPC server stream (issue 13, item 2): a 100 MB stream to a client that stops
 * reading must not pile up in gw. The upstream writes only as fast as HTTP/2 flow control lets
 * it, so what it managed to write while the client was paused bounds what gw can be holding.
 */

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

const MESSAGE = grpcFrame(Buffer.alloc(64 * 1024 - 5, 'x'));
const TOTAL = 100 * 1024 * 1024;

describe('a 100 MB gRPC server stream through gw', () => {
  it('holds the upstream back while the client does not read, then delivers every byte and the status', async () => {
    let written = 0;
    const upstream = await startRawGrpcServer((stream) => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      const more = () => {
        while (written < TOTAL && !stream.destroyed) {
          written += MESSAGE.length;
          if (written >= TOTAL) return stream.end(MESSAGE);
          if (!stream.write(MESSAGE)) return stream.once('drain', more);
        }
      };
      more();
    });
    cleanup.push(() => upstream.close());
    const gw = await startTestGateway({
      services: { stream: { targets: [upstream.url], protocol: 'grpc' } },
      routes: [{ path: '/big.Stream/*', service: 'stream' }],
    });
    cleanup.push(() => gw.close());

    const session = http2.connect(gw.url);
    cleanup.push(() => void session.close());
    const call = session.request({
      ':method': 'POST',
      ':path': '/big.Stream/Download',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    call.end(grpcFrame(Buffer.alloc(0)));
    await once(call, 'response');
    // The client reads nothing: flow control fills up to the upstream, which then waits.
    call.pause();
    let stalledAt = -1;
    for (let i = 0; i < 100 && stalledAt !== written; i++) {
      stalledAt = written;
      await sleep(100);
    }
    expect(written).toBe(stalledAt);
    // Windows of the two HTTP/2 hops and socket buffers: a few MB at most, never the stream.
    expect(written).toBeLessThan(16 * 1024 * 1024);

    let received = 0;
    call.on('data', (chunk: Buffer) => (received += chunk.length));
    const trailers = once(call, 'trailers');
    call.resume();
    const [sent] = (await trailers) as [http2.IncomingHttpHeaders];
    await once(call, 'close');
    expect(received).toBe(TOTAL);
    expect(sent['grpc-status']).toBe('0');
  }, 60_000);
});
