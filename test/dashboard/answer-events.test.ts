import { describe, expect, it } from 'vitest';
import type { RequestFinished } from '../../src/events/index.js';
import { request } from '../helpers/http.js';
import { waitFor } from '../helpers/upstream.js';
import { useTestServers } from '../helpers/test-servers.js';

const { upstream, gateway } = useTestServers();

describe('what the dashboard learns of an answer gw wrote itself (issue 15)', () => {
  it('the request-finished event carries the code, the hint and the headers gw answered with', async () => {
    // Given a route that needs an API key
    const up = await upstream();
    const gw = await gateway({
      services: { s: { targets: [up.url] } },
      routes: [{ path: '/api', service: 's', auth: 'apiKey' }],
    });
    // When a request comes without one
    const res = await request(gw.url, '/api/x');
    expect(res.status).toBe(401);
    await waitFor(() => gw.seen.some((e) => e.type === 'request-finished'));
    const event = gw.seen.find((e): e is RequestFinished => e.type === 'request-finished')!;
    // Then the event names the error and holds the answer's own headers
    expect(event.outcome.code).toBe(res.json!.code);
    expect(event.outcome.hint).toBe(res.json!.hint);
    const headers = event.responseHeaders as Record<string, unknown>;
    expect(headers['www-authenticate']).toBe(res.headers['www-authenticate']);
    expect(headers['content-type']).toBe('application/problem+json');
    expect(up.requests).toHaveLength(0);
  });
});
