import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import type { RequestFinished } from '../../src/events/gateway-events.js';
import { formatEvent } from '../../src/reporters/format-event.js';

const plain = new Chalk({ level: 0 });
const at = Date.UTC(2026, 11, 5, 13, 4, 5, 678);
const finished = (fields: Partial<RequestFinished>): RequestFinished => ({
  type: 'request-finished',
  id: 'id-1',
  at,
  method: 'GET',
  path: '/api/orders/42',
  status: 200,
  durationMs: 3.14159,
  clientIp: '127.0.0.1',
  outcome: {},
  ...fields,
});

describe('the plain request line', () => {
  it('shows time, method, path, status, duration and the target', () => {
    expect(formatEvent(finished({ target: 'http://127.0.0.1:3000' }), plain)).toBe(
      '13:04:05.678 GET    /api/orders/42 200 3.1ms → http://127.0.0.1:3000',
    );
  });

  it('names who answered when no target did, the caller, and what else happened', () => {
    const line = formatEvent(
      finished({
        method: 'POST',
        status: 429,
        caller: 'ci-bot',
        outcome: { answeredBy: 'rateLimit', limited: true, retries: 2, code: 'GW_RATE_LIMITED' },
      }),
      plain,
    );
    expect(line).toBe(
      '13:04:05.678 POST   /api/orders/42 429 3.1ms (rateLimit) ci-bot [limited retried×2 GW_RATE_LIMITED]',
    );
  });

  it('leaves out the parts a request does not have', () => {
    expect(formatEvent(finished({ status: 404 }), plain)).toBe(
      '13:04:05.678 GET    /api/orders/42 404 3.1ms',
    );
  });

  it('cannot be split into a fake second line by a client-chosen path or caller', () => {
    const line = formatEvent(finished({ path: '/a\nGET /admin 200', caller: 'x\r\ny' }), plain)!;
    expect(line).not.toMatch(/[\r\n]/);
  });

  it('paints the status by its class when colour is on', () => {
    const colour = new Chalk({ level: 1 });
    expect(formatEvent(finished({ status: 503 }), colour)).toContain('\u001b[31m503\u001b[39m');
    expect(formatEvent(finished({ status: 201 }), colour)).toContain('\u001b[32m201\u001b[39m');
  });
});
