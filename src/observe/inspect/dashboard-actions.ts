import http from 'node:http';
import https from 'node:https';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RequestFinished } from '../../events/gateway-events.js';
import { redactHeaders } from '../../events/redact.js';
import type { GatewayState } from '../../state/types.js';
import { harLogOf, KEPT_REQUESTS } from '../har-log.js';
import { curlCommand } from './curl-command.js';
import { harDocument } from './har-bodies.js';
import { inspectStoreOf } from './inspect-store.js';
import { redactNames } from './redact-body.js';
import { headerPairs, headerValue, type HeaderPairs } from './request-view.js';
import { showBody, type ShownBody } from './show-body.js';

/** What `R` shows beside the first answer: the replayed request's answer, redacted and decoded. */
export interface ReplayAnswer {
  status: number;
  headers: HeaderPairs;
  body?: ShownBody;
}

/** The dashboard's inspect keys (c, R, e), for the one process `gw dev` runs. */
export interface InspectActions {
  /** The request as a curl command, or undefined when its bodies were not kept. */
  curl(request: RequestFinished): string | undefined;
  /** Sends the request through gw again, as the client sent it, and resolves with the new answer. */
  replay(request: RequestFinished): Promise<ReplayAnswer>;
  /** Writes the kept requests as HAR to gw-<timestamp>.har in `dir`; resolves with its path. */
  exportHar(): Promise<string>;
}

/** Left out of a replay: the connection's own framing, which Node sets for the body sent. */
const notReplayed = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'expect',
  'upgrade',
]);

export function createInspectActions(
  gateway: () => { url: string; state: GatewayState },
  dir: string,
): InspectActions {
  return {
    curl: (request) => (request.bodies ? curlCommand(request.method, request.bodies) : undefined),
    replay: (request) => replay(gateway().url, request, inspectStoreOf(gateway().state).maxBodyBytes),
    async exportHar() {
      const events = harLogOf(gateway().state)?.recent(KEPT_REQUESTS) ?? [];
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const file = path.join(dir, `gw-${stamp}.har`);
      await writeFile(file, JSON.stringify(harDocument(events), null, 2));
      return file;
    },
  };
}

function replay(base: string, request: RequestFinished, maxBytes: number): Promise<ReplayAnswer> {
  const bodies = request.bodies;
  if (!bodies) return Promise.reject(new Error('its bodies were not kept (inspect.bodies is off)'));
  const sent = bodies.request;
  if (sent.size > 0 && (sent.bytes === undefined || sent.bytes.length < sent.size))
    return Promise.reject(new Error('its body was not kept whole, so it cannot be sent again'));
  // The client's own head (unredacted: the replay must authenticate as the first did), minus framing.
  const headers: string[] = [];
  const raw = bodies.clientHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (notReplayed.has(name) || name.startsWith(':') || name === 'x-request-id') continue;
    headers.push(raw[i]!, raw[i + 1]!);
  }
  const url = new URL(base);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        hostname: url.hostname,
        port: url.port,
        method: request.method,
        path: bodies.clientUrl,
        headers,
        agent: false,
        // gw's own certificate may come from its local CA, which this process need not trust.
        rejectUnauthorized: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let held = 0;
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (held >= maxBytes) return;
          const part = chunk.subarray(0, maxBytes - held);
          chunks.push(part);
          held += part.length;
        });
        res.once('error', reject);
        res.once('end', () => {
          const answerHeaders = headerPairs(redactHeaders(res.rawHeaders));
          const body = showBody(
            { bytes: Buffer.concat(chunks), size },
            {
              contentType: headerValue(answerHeaders, 'content-type'),
              contentEncoding: headerValue(answerHeaders, 'content-encoding'),
              redact: redactNames(bodies.redact),
              pretty: true,
            },
          );
          resolve({ status: res.statusCode ?? 0, headers: answerHeaders, ...(body ? { body } : {}) });
        });
      },
    );
    req.once('error', reject);
    req.end(sent.bytes);
  });
}
