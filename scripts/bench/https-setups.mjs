// Issue 14's rows: gw over HTTPS (`--https`, leaves from gw's local CA) against the same client
// mix on plain HTTP, HTTP/2 and HTTP/1.1 clients, each with keep-alive and with a new connection
// (and so a TLS handshake) per request. h2load drives all of them; it does not verify the
// server's certificate, so each TLS row first checks the chain and ALPN with Node's client,
// trusting only the bench's own CA, and says so in the table when that fails.
import { readFile } from 'node:fs/promises';
import http2 from 'node:http2';
import https from 'node:https';
import path from 'node:path';
import { h2load, h2loadNewConnections, hasH2load } from './h2-load.mjs';

const CONNECTIONS = 50;

/** One GET with Node's verifying client, offering only `protocol` in ALPN; a note when it fails. */
function probeTls(url, ca, protocol) {
  const what = `TLS ${protocol} with gw's CA`;
  const { origin, pathname } = new URL(url);
  return new Promise((resolve) => {
    const done = (status, negotiated) =>
      resolve(
        status === 200 && negotiated === protocol
          ? undefined
          : `${what}: got ${status} over ${negotiated}, expected 200 over ${protocol}`,
      );
    const failed = (error) => resolve(`${what}: ${error.code ?? error.message}`);
    if (protocol === 'h2') {
      const session = http2.connect(origin, { ca });
      session.on('error', failed);
      const request = session.request({ ':path': pathname });
      request.on('response', (head) => {
        request.resume();
        request.on('end', () => {
          done(head[':status'], session.alpnProtocol);
          session.close();
        });
      });
      request.on('error', failed);
      return;
    }
    const agent = new https.Agent({ ALPNProtocols: ['http/1.1'], ca, keepAlive: false });
    https
      .get(url, { agent }, (response) => {
        response.resume();
        response.on('end', () => done(response.statusCode, response.socket.alpnProtocol));
      })
      .on('error', failed);
  });
}

/** Fails the run when h2load ended up on another protocol than the row claims. */
function expecting(protocol, run) {
  return async (seconds) => {
    const result = await run(seconds);
    if (result.protocol !== protocol)
      throw new Error(`h2load spoke ${result.protocol}, the row measures ${protocol}`);
    return result;
  };
}

/** The rows; `startGw`, `fourRoutes` and `measured` come from setups.mjs. */
export function httpsSetups({ startGw, fourRoutes, measured }) {
  const variants = [
    { tls: false, h1: true, fresh: true },
    { tls: false, h1: false, fresh: true },
    { tls: true, h1: true, fresh: false, target: { of: 'gw-h1-clients', rps: 0.8 } },
    { tls: true, h1: false, fresh: false, target: { of: 'gw-h2-clients', rps: 0.8 } },
    { tls: true, h1: true, fresh: true },
    { tls: true, h1: false, fresh: true },
  ];
  return variants.map(({ tls, h1, fresh, target }) => {
    const id = `gw-${tls ? 'https-' : ''}${h1 ? 'h1' : 'h2'}-clients${fresh ? '-new' : ''}`;
    const protocol = h1 ? 'http/1.1' : 'h2';
    const clients = h1 ? 'HTTP/1.1 clients' : `HTTP/2 clients${tls ? ' (ALPN h2)' : ' with prior knowledge'}`;
    const connection = fresh ? 'a new connection per request' : 'keep-alive';
    return {
      id,
      name: `gw, no policies, ${tls ? 'HTTPS' : 'plain HTTP'}, ${clients}, ${connection} (h2load, ${CONNECTIONS} ${fresh ? 'at a time' : tls ? 'connections, 1 s warm-up' : 'connections'})`,
      ...(target && { target }),
      async prepare(ctx) {
        if (!hasH2load) return { skip: 'h2load (nghttp2-client) is not installed' };
        // The bench's own GW_HOME: gw creates its CA there on first start, never in ~/.gw.
        const home = path.join(ctx.workDir, 'gw-home');
        const gw = await startGw(ctx, id, fourRoutes(ctx.upUrl), {
          args: tls ? ['--https'] : [],
          env: { GW_HOME: home },
        });
        const url = tls ? gw.url.replace('http://', 'https://') : gw.url;
        const notes = [];
        if (tls) {
          const ca = await readFile(path.join(home, 'tls/ca/ca.pem'), 'utf8');
          notes.push(await probeTls(url, ca, protocol));
        }
        // Keep-alive over TLS: the handshakes happen in a second of warm-up, outside the figure.
        const run = fresh
          ? (seconds) => h2loadNewConnections(url, seconds, CONNECTIONS, { h1 })
          : (seconds) => h2load(url, seconds, CONNECTIONS, { h1, warmUp: tls ? 1 : 0 });
        // Cleartext HTTP/2 is h2c in h2load's summary.
        const spoken = tls || h1 ? protocol : 'h2c';
        return {
          pid: gw.pid,
          url,
          notes: notes.filter(Boolean),
          load: measured(gw.pid, expecting(spoken, run)),
        };
      },
    };
  });
}
