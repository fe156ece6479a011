import type { ChalkInstance } from 'chalk';
import { formatError } from '../errors.js';
import type { GatewayEvent, RequestFinished } from '../events/gateway-events.js';
import { escapeControlCharacters as oneLine } from '../events/redact.js';

/** One readable line (or a few, for errors) per event; undefined for events not worth a line. */
export function formatEvent(event: GatewayEvent, color: ChalkInstance): string | undefined {
  switch (event.type) {
    case 'listening':
      return `${color.green('➜')} gw listening on ${color.cyan(event.url)}${event.configFile ? color.dim(` (${event.configFile}, ${event.routes} routes)`) : ''}`;
    case 'config-loaded': {
      if (event.initial) return undefined;
      const { added, removed, changed } = event.changes;
      const parts = [
        added.length ? color.green(`+${added.length} added (${added.join(', ')})`) : '',
        removed.length ? color.red(`-${removed.length} removed (${removed.join(', ')})`) : '',
        changed.length ? color.yellow(`~${changed.length} changed (${changed.join(', ')})`) : '',
      ].filter(Boolean);
      return `${color.green('↻')} config reloaded in ${Math.round(event.durationMs)} ms: ${parts.join(', ') || 'no route changes'}`;
    }
    case 'config-rejected':
      return `${color.red.bold('✖ config rejected — the last good config keeps serving')}\n${color.red(multiLine(formatError(event.error)))}`;
    case 'request-finished':
      return formatRequest(event, color);
    case 'target-health':
      return event.healthy
        ? `${color.green('▲')} ${event.service} target ${event.target} is up`
        : `${color.red('▼')} ${event.service} target ${event.target} is down: ${oneLine(event.reason)}`;
    case 'breaker-state':
      return `${color.yellow('⚡')} ${event.service} ${event.target} breaker ${event.state}`;
    case 'store-warning':
    case 'warning':
      return color.yellow(`⚠ ${oneLine(event.message)}`);
    case 'shutdown':
      return color.dim(`gw shutting down (${event.reason})`);
    default:
      return undefined;
  }
}

/**
 * Time, method, path, status, duration, where it went, who asked, markers; empty parts left out.
 * Written piece by piece: it runs for every request (an array of parts filtered and joined cost
 * about twice as much).
 */
function formatRequest(event: RequestFinished, color: ChalkInstance): string {
  const { status, outcome } = event;
  const paint =
    status >= 500 ? color.red : status >= 400 ? color.yellow : status >= 300 ? color.cyan : color.green;
  // Values a client chose (path, token subject, key name) cannot start a fake line.
  let line = `${color.dim(clockTime(event.at))} ${event.method.padEnd(6)} ${oneLine(event.path)} ${paint(String(status))} ${event.durationMs.toFixed(1)}ms`;
  const where = event.target
    ? `→ ${event.target}`
    : outcome.answeredBy
      ? `(${oneLine(outcome.answeredBy)})`
      : '';
  if (where) line += ` ${color.dim(where)}`;
  if (event.caller) line += ` ${color.magenta(oneLine(event.caller))}`;
  const markers = markersOf(outcome);
  return markers ? `${line} ${color.blue(`[${markers}]`)}` : line;
}

/** What else happened to the request, as short words ('' for most requests). */
function markersOf(outcome: RequestFinished['outcome']): string {
  let markers = '';
  const add = (marker: string) => (markers = markers ? `${markers} ${marker}` : marker);
  if (outcome.cache === 'HIT') add('cache-hit');
  if (outcome.limited) add('limited');
  if (outcome.retries) add(`retried×${outcome.retries}`);
  if (outcome.mocked) add('mocked');
  if (outcome.fault) add(`fault:${outcome.fault}`);
  if (outcome.code) add(outcome.code);
  return markers;
}

// Under load many lines share a millisecond: format its time of day once (about half the cost of
// a request line).
let lastAt = Number.NaN;
let lastClock = '';
function clockTime(at: number): string {
  if (at !== lastAt) {
    lastAt = at;
    lastClock = new Date(at).toISOString().slice(11, 23);
  }
  return lastClock;
}

/** Error text keeps its own line breaks; any other control character is shown escaped. */
function multiLine(text: string): string {
  return text.split('\n').map(oneLine).join('\n');
}
