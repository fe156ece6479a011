import type { GatewayEvent } from '../events/index.js';
import { formatTarget } from './format.js';

/** One line of the events pane: what changed in the gateway, not what a request did. */
export interface EventLine {
  at: number;
  tone: 'good' | 'bad' | 'warn' | 'info';
  text: string;
}

/** The events the pane lists: changes to the gateway, not what a request did. */
export type PaneEvent = Extract<
  GatewayEvent,
  { type: 'target-health' | 'breaker-state' | 'config-loaded' | 'config-rejected' }
>;

export function isPaneEvent(event: { type: string; initial?: boolean }): event is PaneEvent {
  switch (event.type) {
    case 'target-health':
    case 'breaker-state':
    case 'config-rejected':
      return true;
    case 'config-loaded':
      return event.initial === false;
    default:
      return false;
  }
}

/** The events pane's line for an event, or undefined for events it does not list. */
export function describeGatewayEvent(event: GatewayEvent): EventLine | undefined {
  switch (event.type) {
    case 'target-health':
      return {
        at: event.at,
        tone: event.healthy ? 'good' : 'bad',
        text: `${event.healthy ? '▲' : '▼'} ${event.service} ${formatTarget(event.target)} ${event.healthy ? 'up' : 'down'}${event.reason ? `: ${event.reason}` : ''}`,
      };
    case 'breaker-state':
      return {
        at: event.at,
        tone: event.state === 'closed' ? 'good' : event.state === 'open' ? 'bad' : 'warn',
        text: `⚡ ${event.service} ${formatTarget(event.target)} breaker ${event.state}`,
      };
    case 'config-loaded': {
      if (event.initial) return undefined;
      const { added, removed, changed } = event.changes;
      const diff = [
        ...added.map((id) => `+${id}`),
        ...removed.map((id) => `−${id}`),
        ...changed.map((id) => `~${id}`),
      ];
      return {
        at: event.at,
        tone: 'info',
        text: `↻ config reloaded in ${Math.round(event.durationMs)} ms: ${diff.length > 0 ? `routes ${diff.join(' ')}` : 'no route changes'}`,
      };
    }
    case 'config-rejected':
      return {
        at: event.at,
        tone: 'bad',
        text: `✖ reload failed (${event.error.code}); the last good config kept serving`,
      };
    default:
      return undefined;
  }
}
