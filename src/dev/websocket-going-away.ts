import { randomBytes } from 'node:crypto';
import type { Duplex, Readable } from 'node:stream';

/**
 * On shutdown each proxied WebSocket gets a close frame with 1001 "going away" (RFC 6455 §7.4.1)
 * at once, both ways: the browser's socket ends cleanly and its code can reconnect, instead of
 * seeing 1006 when the grace period runs out. A close frame may only go between frames, so each
 * direction's frame boundaries are followed as bytes pass (a few header bytes per frame); a frame
 * in flight is let through to its end before the close goes out.
 */

const GOING_AWAY = 1001;
const REASON = Buffer.from('gw is shutting down');
/** After the close frames, how long the peers get to answer before their sockets are dropped. */
const CLOSE_WAIT_MS = 2_000;

/** Where a byte stream of WebSocket frames is: inside a header, inside a payload, or between. */
class FrameBoundary {
  private readonly header = Buffer.alloc(14);
  private headerLength = 0;
  private remaining = 0;

  atBoundary(): boolean {
    return this.headerLength === 0 && this.remaining === 0;
  }

  /** Follows `chunk`; with `stopAtEnd`, stops at the end of the frame in progress. Returns bytes read. */
  feed(chunk: Buffer, stopAtEnd = false): number {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        if (this.remaining === 0 && stopAtEnd) return i;
        continue;
      }
      this.header[this.headerLength++] = chunk[i++]!;
      if (this.headerLength < 2 || this.headerLength < headerSize(this.header)) continue;
      this.remaining = payloadSize(this.header);
      this.headerLength = 0;
      if (this.remaining === 0 && stopAtEnd) return i;
    }
    return i;
  }
}

function headerSize(header: Buffer): number {
  const length = header[1]! & 0x7f;
  return 2 + (length === 126 ? 2 : length === 127 ? 8 : 0) + (header[1]! & 0x80 ? 4 : 0);
}

function payloadSize(header: Buffer): number {
  const length = header[1]! & 0x7f;
  if (length === 126) return header.readUInt16BE(2);
  if (length === 127) return Number(header.readBigUInt64BE(2));
  return length;
}

/** A close frame: unmasked toward the browser, masked toward the upstream (RFC 6455 §5.3). */
function closeFrame(masked: boolean): Buffer {
  const payload = Buffer.alloc(2 + REASON.length);
  payload.writeUInt16BE(GOING_AWAY, 0);
  REASON.copy(payload, 2);
  if (!masked) return Buffer.concat([Buffer.from([0x88, payload.length]), payload]);
  const mask = randomBytes(4);
  for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, payload]);
}

interface Direction {
  from: Readable;
  to: Duplex;
  boundary: FrameBoundary;
  follow: (chunk: Buffer) => void;
  masked: boolean;
}

function direction(from: Readable, to: Duplex, masked: boolean): Direction {
  const boundary = new FrameBoundary();
  const follow = (chunk: Buffer) => void boundary.feed(chunk);
  from.on('data', follow);
  return { from, to, boundary, follow, masked };
}

/** Stops relaying, lets the frame in flight finish, then sends the close frame and ends. */
function closeDirection({ from, to, boundary, follow, masked }: Direction): void {
  from.unpipe(to);
  from.off('data', follow);
  const close = () => to.end(closeFrame(masked));
  if (boundary.atBoundary()) {
    // Keep reading (the peer's own close frame) so the socket can end.
    from.on('data', () => undefined);
    close();
    return;
  }
  let closed = false;
  from.on('data', (chunk: Buffer) => {
    if (closed) return;
    const upToEnd = boundary.feed(chunk, true);
    to.write(chunk.subarray(0, upToEnd));
    if (!boundary.atBoundary()) return;
    closed = true;
    close();
  });
}

export interface WebSocketCloser {
  /** Call with each socket the server hands to an upgrade; tunnels are found once they pipe. */
  track(socket: Duplex): void;
  /** Sends 1001 both ways on every open tunnel. */
  goAway(): void;
}

export function createWebSocketCloser(): WebSocketCloser {
  const tunnels = new Set<{ toClient: Direction; toUpstream: Direction | undefined }>();
  return {
    track(client) {
      // The upstream socket pipes into the client's once the upgrade is accepted, and the
      // client's into it right after: each 'pipe' event comes after the relay's own listener.
      client.once('pipe', (upstream: Duplex) => {
        const tunnel = {
          toClient: direction(upstream, client, false),
          toUpstream: undefined as Direction | undefined,
        };
        upstream.once('pipe', () => (tunnel.toUpstream = direction(client, upstream, true)));
        tunnels.add(tunnel);
        client.once('close', () => tunnels.delete(tunnel));
      });
    },
    goAway() {
      for (const tunnel of tunnels) {
        closeDirection(tunnel.toClient);
        if (tunnel.toUpstream) closeDirection(tunnel.toUpstream);
        const sockets = [tunnel.toClient.to, tunnel.toClient.from as Duplex];
        setTimeout(() => sockets.forEach((s) => s.destroy()), CLOSE_WAIT_MS).unref();
      }
      tunnels.clear();
    },
  };
}
