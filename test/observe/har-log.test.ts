import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/index.js';
import { keepRequestsForHar, KEPT_REQUESTS } from '../../src/observe/har-log.js';
import { createGatewayState } from '../../src/state/create-state.js';
import { finished } from '../dashboard/events.js';
import { createTempStateDir } from '../identity/temp-state.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => ({ dir, remove } = await createTempStateDir()));
afterEach(() => remove());

describe('the kept requests', () => {
  it(`keeps the last ${KEPT_REQUESTS} finished requests, oldest first, and lets older ones go`, async () => {
    const events = createEventStream();
    const log = keepRequestsForHar(events, await createGatewayState({ configDir: dir }));
    for (let i = 0; i < KEPT_REQUESTS + 50; i += 1) events.emit(finished({ id: `r${i}` }));
    const kept = log.recent(10_000);
    expect(kept).toHaveLength(KEPT_REQUESTS);
    expect(kept[0]?.id).toBe('r50');
    expect(kept.at(-1)?.id).toBe(`r${KEPT_REQUESTS + 49}`);
    expect(log.export(3).log.entries.map((entry) => entry._gw.id)).toEqual([
      `r${KEPT_REQUESTS + 47}`,
      `r${KEPT_REQUESTS + 48}`,
      `r${KEPT_REQUESTS + 49}`,
    ]);
  });
});
