import type { PickInput } from '../upstream-types.js';

/**
 * FNV-1a over the UTF-16 code units, then murmur3's finalizer: FNV alone is fast but leaves
 * similar keys ("svc#1", "svc#2") close together on the ring; the finalizer spreads them.
 */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Reads the value a `{ hash }` balancer keys on: 'ip', 'header:NAME' or 'cookie:NAME'. A request
 * without that header or cookie falls back to the client IP, so a client still sticks to one
 * target instead of being spread at random.
 */
export function createKeyReader(spec: string): (input: PickInput) => string {
  if (spec.startsWith('header:')) {
    const name = spec.slice('header:'.length).toLowerCase();
    return function readHeaderKey({ req, clientIp }) {
      const value = req.headers[name];
      if (value === undefined || value === '') return clientIp;
      return typeof value === 'string' ? value : value.join(',');
    };
  }
  if (spec.startsWith('cookie:')) {
    const name = spec.slice('cookie:'.length).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`(?:^|;)\\s*${name}=\\s*"?([^";]*)`);
    return function readCookieKey({ req, clientIp }) {
      const header = req.headers.cookie;
      if (!header) return clientIp;
      const value = pattern.exec(header)?.[1];
      return value ? value : clientIp;
    };
  }
  return function readIpKey({ clientIp }) {
    return clientIp;
  };
}
