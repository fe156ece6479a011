import { Redis } from 'ioredis';
import { GatewayError } from '../../errors.js';
import type { EventStream } from '../../events/event-stream.js';

/**
 * The one file that opens Redis connections. A gateway must never wait on Redis: commands fail at
 * once while the connection is down (no offline queue, nothing resent later, so a write is made
 * whole or not at all) and after COMMAND_TIMEOUT_MS when Redis hangs; the stores turn that failure
 * into their policy. Lost connections come back with capped exponential backoff.
 */

const CONNECT_TIMEOUT_MS = 2_000;
const COMMAND_TIMEOUT_MS = 1_000;
const MAX_BACKOFF_MS = 2_000;

export interface RedisConnectionOptions {
  url: string;
  events?: EventStream | undefined;
  /** Also open a connection for pub/sub (the running gateway; the CLI only writes). */
  subscribe?: boolean;
  /** Added to warnings about a lost connection (what the gateway does meanwhile). */
  whileDown?: string;
}

export type MessageHandler = (message: string) => void;

export interface RedisConnection {
  readonly client: Redis;
  /** The URL without its password, for messages. */
  readonly where: string;
  /** True while commands can be sent. */
  ready(): boolean;
  /** Calls `handler` for each message on `channel` (needs `subscribe: true`). */
  subscribe(channel: string, handler: MessageHandler): Promise<void>;
  /** Reports a failed command: the first failure of an outage emits one store-warning, the rest none. */
  fault(message: string): void;
  /** Reports a command that worked again after a fault not caused by a lost connection (a hang). */
  recovered(): void;
  /** Calls `handler` each time a lost connection is back (messages may have been missed meanwhile). */
  onReconnect(handler: () => void): void;
  close(): Promise<void>;
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

function openClient(url: string, connected: () => boolean): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // No retries before the first connection (start fails clearly); backoff once serving.
    retryStrategy: (times) => (connected() ? Math.min(50 * 2 ** Math.min(times, 10), MAX_BACKOFF_MS) : null),
  });
}

async function connectOnce(client: Redis, where: string): Promise<void> {
  // connect() rejects with a bare "Connection is closed"; the socket error says why.
  let cause: Error | undefined;
  const remember = (error: Error) => (cause ??= error);
  client.on('error', remember);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    const why = (cause ?? (error as Error)).message;
    throw new GatewayError('GW_STORE_UNREACHABLE', `Cannot reach Redis at ${where}: ${why}`, {
      cause: error,
      hint: `Start Redis at ${where}, or fix state.url in the config (or use state.store 'memory').`,
    });
  } finally {
    client.off('error', remember);
  }
}

/** Connects (GW_STORE_UNREACHABLE naming the URL when Redis cannot be reached) and keeps reconnecting. */
export async function connectRedis(options: RedisConnectionOptions): Promise<RedisConnection> {
  const where = redactUrl(options.url);
  let connected = false;
  let closing = false;
  let down = false;
  const reconnectHandlers: Array<() => void> = [];
  const handlers = new Map<string, MessageHandler[]>();
  const warn = (message: string) => options.events?.emit({ type: 'store-warning', at: Date.now(), message });

  const client = openClient(options.url, () => connected && !closing);
  const subscriber = options.subscribe ? openClient(options.url, () => connected && !closing) : undefined;
  for (const c of [client, subscriber]) c?.on('error', () => undefined); // reported once per outage below

  await connectOnce(client, where);
  if (subscriber) {
    await connectOnce(subscriber, where).catch((error: unknown) => {
      client.disconnect();
      throw error;
    });
  }
  connected = true;

  const meanwhile = options.whileDown ? `. Meanwhile ${options.whileDown}` : '';
  // One warning when an outage starts (whoever notices first) and one when it ends.
  const fault = (message: string) => {
    if (closing || down) return;
    down = true;
    warn(`${message}${meanwhile}`);
  };
  const recovered = () => {
    if (!down || closing || client.status !== 'ready') return;
    down = false;
    warn(`Redis at ${where} is back; shared state applies again`);
  };
  client.on('close', () => fault(`Lost Redis at ${where}; reconnecting`));
  client.on('ready', recovered);
  // The subscriber missed whatever was published while it was away: stores reload then.
  (subscriber ?? client).on('ready', () => {
    for (const handler of reconnectHandlers) handler();
  });
  subscriber?.on('message', (channel: string, message: string) => {
    for (const handler of handlers.get(channel) ?? []) handler(message);
  });

  return {
    client,
    where,
    ready: () => client.status === 'ready',
    fault,
    recovered,
    async subscribe(channel, handler) {
      if (!subscriber) throw new Error('this Redis connection was opened without subscribe');
      const list = handlers.get(channel) ?? [];
      list.push(handler);
      handlers.set(channel, list);
      if (list.length === 1) await subscriber.subscribe(channel);
    },
    onReconnect(handler) {
      reconnectHandlers.push(handler);
    },
    async close() {
      closing = true;
      await Promise.all(
        [client, subscriber].map(async (c) => {
          if (!c) return;
          // QUIT lets Redis finish what was sent; a dead connection is simply dropped.
          if (c.status === 'ready') await c.quit().catch(() => c.disconnect());
          else c.disconnect();
        }),
      );
    },
  };
}
