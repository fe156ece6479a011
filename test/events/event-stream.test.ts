import { describe, expect, it } from 'vitest';
import { createEventStream } from '../../src/events/event-stream.js';
import type { GatewayEvent } from '../../src/events/gateway-events.js';

const started: GatewayEvent = { type: 'request-started', at: 1, id: 'a', method: 'GET', path: '/' };
const warning: GatewayEvent = { type: 'warning', at: 1, message: 'careful' };

describe('event stream', () => {
  it('delivers to each subscriber only the types it does not skip, and says who wants what', () => {
    const events = createEventStream();
    expect(events.active).toBe(false);
    expect(events.wants('request-started')).toBe(false);

    const reporter: string[] = [];
    const stopReporter = events.subscribe((e) => reporter.push(e.type), { skip: ['request-started'] });
    expect(events.active).toBe(true);
    expect(events.wants('request-started')).toBe(false);
    expect(events.wants('warning')).toBe(true);

    const view: string[] = [];
    const stopView = events.subscribe((e) => view.push(e.type));
    expect(events.wants('request-started')).toBe(true);

    events.emit(started);
    events.emit(warning);
    expect(reporter).toEqual(['warning']);
    expect(view).toEqual(['request-started', 'warning']);

    stopView();
    expect(events.wants('request-started')).toBe(false);
    stopReporter();
    expect(events.active).toBe(false);
    expect(events.wants('warning')).toBe(false);
  });

  it('keeps delivering to the others when one subscriber throws', () => {
    const events = createEventStream();
    const seen: string[] = [];
    events.subscribe(() => {
      throw new Error('broken view');
    });
    events.subscribe((e) => seen.push(e.type));
    events.emit(warning);
    expect(seen).toEqual(['warning']);
  });
});
