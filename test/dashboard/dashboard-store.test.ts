import { describe, expect, it, vi } from 'vitest';
import { createEventStream } from '../../src/events/index.js';
import { createDashboardStore } from '../../src/dashboard/dashboard-store.js';
import { finished } from './events.js';
import { KEPT_REQUESTS } from '../../src/observe/har-log.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the dashboard store', () => {
  it('never draws from the emitting call: events only mark the state, frames come from the timer', async () => {
    const events = createEventStream();
    const store = createDashboardStore(events, { onError: vi.fn(), frameMs: 50 });
    const draw = vi.fn();
    store.subscribe(draw);
    // 10 ms apart: within the live list's sample rate, so every one is listed.
    const at = Date.now();
    for (let i = 0; i < 10_000; i += 1) events.emit(finished({ id: `r${i}`, at: at + i * 10 }));
    expect(draw).not.toHaveBeenCalled();
    // The list is full: as many rows as gw keeps requests for (so each row can be inspected).
    expect(store.state.live.size).toBe(KEPT_REQUESTS);

    await pause(130);
    // Ten thousand events, a couple of timer ticks: at most one frame per tick, one after the burst.
    expect(draw.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(draw.mock.calls.length).toBeLessThanOrEqual(3);
    store.close();
  });

  it('spaces frames by what the last one cost', async () => {
    const events = createEventStream();
    const store = createDashboardStore(events, { onError: vi.fn(), timer: false });
    const draw = vi.fn(() => {
      // A frame that takes ~10 ms to draw (Ink runs in the same turn as the listener).
      const until = performance.now() + 10;
      while (performance.now() < until);
      store.frameDrawn();
    });
    store.subscribe(draw);
    events.emit(finished());
    const first = performance.now();
    store.flush();
    expect(draw).toHaveBeenCalledTimes(1);

    // Dirty again at once, but 10 ms frames within a 3 % budget want ≥ 330 ms between them.
    events.emit(finished());
    while (draw.mock.calls.length < 2 && performance.now() - first < 3000) {
      await pause(20);
      store.flush();
    }
    expect(draw).toHaveBeenCalledTimes(2);
    expect(performance.now() - first).toBeGreaterThanOrEqual(330);
    store.close();
  });

  it('stops listening on close', () => {
    const events = createEventStream();
    const store = createDashboardStore(events, { onError: vi.fn() });
    expect(events.active).toBe(true);
    store.close();
    expect(events.active).toBe(false);
  });
});
