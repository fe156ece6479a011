import { request as requestHttp } from 'node:http';
import { request as requestHttps } from 'node:https';
import { connect } from 'node:net';
import type { EventStream } from '../events/event-stream.js';
import type { ResolvedService } from '../config/schema.js';
import { connectOptions } from './keep-alive-agent.js';
import { probeHttp2, type Http2Probe, type ProbeResult } from './health-check-http2.js';
import { changeHealth } from './target-health.js';
import type { HealthOwner, HealthRecord } from './target-health.js';
import { describeTlsFailure, tlsFailureOf } from './upstream-tls-errors.js';
import type { TargetTls } from './upstream-tls.js';

export type HealthCheckConfig = NonNullable<ResolvedService['healthCheck']>;
export type ServiceProtocol = ResolvedService['protocol'];

export interface CheckedTarget {
  readonly record: HealthRecord;
  readonly url: URL;
  /** The service's TLS settings for an https:// target: probes verify as requests do. */
  readonly tls?: TargetTls | undefined;
}

/** A failed probe's reason; TLS failures in the words a request's 502 would use. */
function describeError(error: Error): string {
  const tls = tlsFailureOf(error);
  return tls ? `TLS: the target ${describeTlsFailure(tls)}` : error.message;
}

/**
 * One probe on its own connection (no keep-alive): a probe must prove a fresh connect works, and
 * a stale pooled socket must not fail it. Its socket is unref'd so probes never hold the process.
 * HTTP services get GET `path` (over HTTP/2 for protocol: 'http2', so an h2c-only service is not
 * shown down); gRPC services get grpc.health.v1.Health/Check, healthy when SERVING
 * (https://github.com/grpc/grpc/blob/master/doc/health-checking.md). Returns the abort function
 * (no result is reported after it).
 */
export function probeTarget(
  target: { readonly url: URL; readonly tls?: TargetTls | undefined },
  config: HealthCheckConfig,
  protocol: ServiceProtocol | undefined,
  done: (result: ProbeResult) => void,
): () => void {
  const { url, tls } = target;
  const path = config.path ?? '/';
  const timeoutMs = config.timeout;
  let settled = false;
  const settle = (result: ProbeResult) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    done(result);
  };
  const label = protocol === 'grpc' ? 'grpc.health.v1.Health/Check' : `GET ${path}`;
  const timer = setTimeout(() => {
    settle({ ok: false, detail: `${label} timed out after ${timeoutMs} ms` });
    abort();
  }, timeoutMs);
  timer.unref();
  const abort =
    protocol === 'grpc' || protocol === 'http2'
      ? probeHttp2(url, tls, http2Probe(config, protocol), settle, describeError)
      : probeHttp1(url, tls, path, settle);
  return function abortProbe() {
    settled = true;
    clearTimeout(timer);
    abort();
  };
}

function http2Probe(config: HealthCheckConfig, protocol: 'grpc' | 'http2'): Http2Probe {
  return protocol === 'grpc'
    ? { kind: 'grpc', service: config.grpcService ?? '' }
    : { kind: 'get', path: config.path ?? '/' };
}

function probeHttp1(
  url: URL,
  tls: TargetTls | undefined,
  path: string,
  settle: (result: ProbeResult) => void,
): () => void {
  const fullPath = url.pathname.replace(/\/+$/, '') + path;
  const request = url.protocol === 'https:' ? requestHttps : requestHttp;
  const req = request(
    {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      path: fullPath,
      method: 'GET',
      agent: false,
      headers: { 'user-agent': 'gw-health-check', connection: 'close' },
      ...connectOptions,
      ...(tls && {
        secureContext: tls.secureContext,
        rejectUnauthorized: tls.rejectUnauthorized,
        servername: tls.servername,
      }),
    },
    (res) => {
      const status = res.statusCode ?? 0;
      settle({ ok: status >= 200 && status < 400, detail: `GET ${path} answered ${status}` });
      // The status is all a probe needs; drop the body and the connection.
      req.destroy();
    },
  );
  req.on('socket', (socket) => socket.unref());
  req.on('error', (error) => settle({ ok: false, detail: `GET ${path} failed: ${describeError(error)}` }));
  req.end();
  return () => req.destroy();
}

/** Counts a probe result against the thresholds; only the build that owns the record may write. */
export function applyProbe(
  record: HealthRecord,
  owner: HealthOwner,
  result: ProbeResult,
  config: HealthCheckConfig,
  events: EventStream,
  now: number,
): void {
  if (record.activeOwners.at(-1) !== owner) return;
  if (result.ok) {
    record.checked = true;
    record.probeFailures = 0;
    record.probeSuccesses++;
    if (record.activeDown && record.probeSuccesses >= config.healthyThreshold) {
      changeHealth(record, events, now, `health check ${result.detail}`, (r) => {
        r.activeDown = false;
        r.activeReason = undefined;
      });
    }
    return;
  }
  record.probeSuccesses = 0;
  record.probeFailures++;
  if (record.activeDown) {
    record.activeReason = `health check ${result.detail}`;
  } else if (record.probeFailures >= config.unhealthyThreshold) {
    changeHealth(record, events, now, '', (r) => {
      r.activeDown = true;
      r.activeReason = `health check ${result.detail}`;
    });
  }
}

/**
 * Probes every target of a service: the first probe at once, then `interval` after each result
 * (a chain of timeouts, so a slow target never has two probes in flight). Returns the stop
 * function: it clears the timers and aborts probes in flight.
 */
export function startHealthChecks(
  targets: readonly CheckedTarget[],
  config: HealthCheckConfig,
  owner: HealthOwner,
  events: EventStream,
  now: () => number,
  protocol?: ServiceProtocol,
): () => void {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const probes = new Set<() => void>();

  function schedule(target: CheckedTarget, delay: number): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      const abort = probeTarget(target, config, protocol, (result) => {
        probes.delete(abort);
        if (stopped) return;
        applyProbe(target.record, owner, result, config, events, now());
        schedule(target, config.interval);
      });
      probes.add(abort);
    }, delay);
    timer.unref();
    timers.add(timer);
  }

  for (const target of targets) schedule(target, 0);

  return function stopHealthChecks() {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    for (const abort of probes) abort();
    timers.clear();
    probes.clear();
  };
}

/**
 * One TCP connect to a target, closed at once: whether anything listens there. Resolves with
 * the error code (`ECONNREFUSED`, `ENOTFOUND`, `ETIMEDOUT` after `timeoutMs`), or undefined.
 */
export function tryConnect(url: URL, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const socket = connect({ host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port, ...connectOptions });
    socket.unref();
    const done = (code: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => done('ETIMEDOUT'), timeoutMs);
    timer.unref();
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
  });
}
