import type { GatewayEvent } from './gateway-events.js';

export type EventListener = (event: GatewayEvent) => void;
export type EventType = GatewayEvent['type'];

export interface SubscribeOptions {
  /** Event types this subscriber never reads: when nobody reads one, the hot path skips building it. */
  skip?: readonly EventType[];
}

export interface EventStream {
  emit(event: GatewayEvent): void;
  /** Returns the unsubscribe function (fits a React effect cleanup). */
  subscribe(listener: EventListener, options?: SubscribeOptions): () => void;
  /** True when someone listens: lets the hot path skip building events nobody reads. */
  readonly active: boolean;
  /** True when someone reads events of this type (per-request detail such as request-started). */
  wants(type: EventType): boolean;
}

interface Subscriber {
  listener: EventListener;
  skip: ReadonlySet<EventType>;
}

/** A typed, synchronous event stream passed to whoever needs it; there is no global bus. */
export function createEventStream(): EventStream {
  let subscribers: readonly Subscriber[] = [];
  // Who reads each type, worked out once per type after each (un)subscribe, not per event.
  let byType = new Map<EventType, readonly EventListener[]>();
  const listenersOf = (type: EventType): readonly EventListener[] => {
    let listeners = byType.get(type);
    if (!listeners) {
      listeners = subscribers.filter((s) => !s.skip.has(type)).map((s) => s.listener);
      byType.set(type, listeners);
    }
    return listeners;
  };
  return {
    emit(event) {
      for (const listener of listenersOf(event.type)) {
        try {
          listener(event);
        } catch {
          // A failing subscriber (a view, a reporter) must never break the request that emitted.
        }
      }
    },
    subscribe(listener, options = {}) {
      const subscriber = { listener, skip: new Set(options.skip) };
      subscribers = [...subscribers, subscriber];
      byType = new Map();
      return () => {
        subscribers = subscribers.filter((s) => s !== subscriber);
        byType = new Map();
      };
    },
    get active() {
      return subscribers.length > 0;
    },
    wants(type) {
      return listenersOf(type).length > 0;
    },
  };
}
