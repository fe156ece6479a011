import http2, { type ClientHttp2Session } from 'node:http2';
import { connectOptions, FREE_SOCKET_TIMEOUT_MS } from './keep-alive-agent.js';
import type { TargetTls } from './upstream-tls.js';

/**
 * One HTTP/2 session per upstream origin, shared by every request to it (HTTP/2 multiplexes, so
 * a pool of connections buys nothing on loopback). A session that ends (GOAWAY, the upstream
 * closed or died, a connect error) leaves the table at once, so the next request dials afresh;
 * streams already on it finish or fail on their own. An idle session closes itself after the
 * keep-alive agents' idle time, so the sessions of a retired config (a reload) do not linger.
 *
 * http:// targets speak h2c with prior knowledge (RFC 9113 §3.3, no Upgrade dance); https://
 * targets negotiate h2 by ALPN (RFC 9113 §3.2), which node:http2 asks for on its own, with the
 * service's TLS settings (upstream-tls.ts): sessions are shared only between equal settings.
 */
export interface Http2Sessions {
  /** The live session to `origin` (with these TLS settings), dialled now if there is none. */
  open(origin: string, tls?: TargetTls): Http2Session;
  /** Closes every session (gateway shutdown); streams still open finish first. */
  close(): void;
}

/** A session and how many of gw's streams are open on it. */
export interface Http2Session {
  readonly session: ClientHttp2Session;
  /** Call when a stream starts, and untrack() once when it closes (its 'close' event). */
  track(): void;
  untrack(): void;
  /** Runs `callback` once the connection is up (at once when it is): the connect clock stops. */
  whenConnected(callback: () => void): void;
  /** The connection is up: a request needs no connect clock. */
  readonly connected: boolean;
}

/**
 * Receive windows larger than HTTP/2's 64 KiB default (RFC 9113 §6.9.2): with the default, an
 * upstream may send only 64 KiB before gw's WINDOW_UPDATE comes back, so a relayed stream moves
 * one window per event-loop round trip (a 100 MB gRPC stream ran at a third of its direct speed
 * on a busy machine). A stream may have 1 MiB in flight, the session 8 MiB across its streams;
 * a client that reads slowly still stops the upstream once these fill (flow control holds).
 */
const STREAM_WINDOW = 1024 * 1024;
const SESSION_WINDOW = 8 * 1024 * 1024;

export function createHttp2Sessions(idleMs = FREE_SOCKET_TIMEOUT_MS): Http2Sessions {
  const live = new Map<string, Http2Session>();

  function dial(origin: string, key: string, tls: TargetTls | undefined): Http2Session {
    const settings = { initialWindowSize: STREAM_WINDOW };
    const session = http2.connect(
      origin,
      tls
        ? {
            ...connectOptions,
            settings,
            secureContext: tls.secureContext,
            rejectUnauthorized: tls.rejectUnauthorized,
            servername: tls.servername,
          }
        : { ...connectOptions, settings },
    );
    let open = 0;
    // One 'connect' listener for every request that waits on it (no listener per request).
    let waiting: Array<() => void> | undefined = [];
    session.once('connect', () => {
      session.setLocalWindowSize(SESSION_WINDOW);
      const callbacks = waiting ?? [];
      waiting = undefined;
      for (const callback of callbacks) callback();
    });
    const forget = () => {
      if (live.get(key) === entry) live.delete(key);
    };
    // Its streams see the error (ECONNREFUSED as their cause); the session just leaves the table.
    session.on('error', forget);
    session.once('goaway', forget);
    session.once('close', forget);
    // Only sessions without streams close for idleness: a quiet long poll is not idle.
    session.setTimeout(idleMs, () => {
      if (open === 0) {
        forget();
        session.close();
      }
    });
    // An idle session does not keep the process alive; a request in flight does.
    session.unref();
    const entry: Http2Session = {
      session,
      get connected() {
        return waiting === undefined;
      },
      whenConnected(callback) {
        if (waiting) waiting.push(callback);
        else callback();
      },
      track() {
        if (open++ === 0) session.ref();
      },
      untrack() {
        if (--open === 0 && !session.destroyed) session.unref();
      },
    };
    live.set(key, entry);
    return entry;
  }

  return {
    open(origin, tls) {
      const key = tls ? `${origin} ${tls.id} ${tls.servername}` : origin;
      const entry = live.get(key);
      if (entry && !entry.session.closed && !entry.session.destroyed) return entry;
      return dial(origin, key, tls);
    },
    close() {
      for (const entry of live.values()) entry.session.close();
      live.clear();
    },
  };
}
