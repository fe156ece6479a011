import type { IncomingMessage } from 'node:http';

/**
 * The method a CORS preflight asks about, or undefined when the request is not a preflight
 * (https://fetch.spec.whatwg.org/#cors-preflight-request). The route table uses it to send a
 * preflight to the route that serves that method.
 */
export function preflightMethod(req: IncomingMessage): string | undefined {
  if (req.method !== 'OPTIONS' || req.headers.origin === undefined) return undefined;
  const asked = req.headers['access-control-request-method'];
  return typeof asked === 'string' && asked.length > 0 ? asked.toUpperCase() : undefined;
}

/** Adds names to a Vary value without repeating one already there. */
export function mergeVary(current: string | string[] | number | undefined, ...names: string[]): string {
  const list = (Array.isArray(current) ? current.join(',') : current === undefined ? '' : String(current))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.includes('*')) return '*';
  const lower = new Set(list.map((s) => s.toLowerCase()));
  for (const name of names) if (!lower.has(name.toLowerCase())) list.push(name);
  return list.join(', ');
}
