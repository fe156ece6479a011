import type { GatewayEvent } from './gateway-events.js';

export type EventListener = (event: GatewayEvent) => void;

export interface EventStream {
  emit(event: GatewayEvent): void;
  /** Returns the unsubscribe function (fits a React effect cleanup). */
  subscribe(listener: EventListener): () => void;
  /** True when someone listens: lets the hot path skip building events nobody reads. */
  readonly active: boolean;
}

/** A typed, synchronous event stream passed to whoever needs it; there is no global bus. */
export function createEventStream(): EventStream {
  let listeners: EventListener[] = [];
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // A failing subscriber (a view, a reporter) must never break the request that emitted.
        }
      }
    },
    subscribe(listener) {
      listeners = [...listeners, listener];
      return () => {
        listeners = listeners.filter((l) => l !== listener);
      };
    },
    get active() {
      return listeners.length > 0;
    },
  };
}
