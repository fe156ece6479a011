import { GatewayError, isGatewayError, type ErrorCode } from '../errors.js';
import type { GatewayContext, PolicyFactory } from '../pipeline/types.js';
import type { IncomingHttpHeaders } from 'node:http';
import { answerBuffering, answeredBy, bufferAnswer, replaceUpstreamBody } from '../pipeline/hooks.js';
import { tapAnswer } from '../pipeline/answer-tap.js';
import {
  decodeBody,
  encodeBody,
  isRedacted,
  queryPairs,
  selectHeaders,
  type Recording,
} from '../observe/recording.js';
import type { RecordingStore, StoredRecording } from '../observe/recording-store.js';
import { isStreamedAnswer } from '../observe/stream-recording.js';
import { replaySources } from './replay-sources.js';
import { createRecorder, MAX_BODY_BYTES, type Recorder } from './replay-record.js';
import { replayStream } from './replay-stream.js';
import { hasRequestBody, readRequestBody } from './transform/read-body.js';

const CLOSEST_SHOWN = 3;

/** Whole answers are buffered to be recorded; streamed ones go to the client as they come. */
const buffersWhole = (status: number, headers: IncomingHttpHeaders) => !isStreamedAnswer(status, headers);

/** Failures that mean "the upstream is down", which `fallback: 'replay'` answers from recordings. */
const downCodes: ReadonlySet<ErrorCode> = new Set([
  'GW_NO_HEALTHY_TARGET',
  'GW_UPSTREAM_UNREACHABLE',
  'GW_UPSTREAM_CONNECT_TIMEOUT',
  'GW_CIRCUIT_OPEN',
]);

/** The request as a recording describes it; reads a body (then sent upstream from the buffer). */
async function describeRequest(ctx: GatewayContext): Promise<Recording['request']> {
  const request: Recording['request'] = {
    method: ctx.method,
    path: ctx.path,
    query: queryPairs(ctx.search),
    headers: selectHeaders(ctx.req.headers, 'request'),
  };
  if (hasRequestBody(ctx)) {
    const body = await readRequestBody(ctx, MAX_BODY_BYTES);
    replaceUpstreamBody(ctx, body);
    if (body.length > 0) request.body = encodeBody(body, ctx.req.headers);
  }
  return request;
}

/** Answers from a recording: a whole one as a buffered answer, a streamed one with its timing. */
function answerFrom(ctx: GatewayContext, stored: StoredRecording, reason: string, speed: number) {
  const response = stored.recording.response;
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    // A redacted Set-Cookie is a placeholder, not an answer: it stays in the file only.
    if (!isRedacted(value)) headers[name] = value;
  }
  answeredBy(ctx, 'replay', response.cut ? `${reason} (a cut recording: ${response.cut})` : reason);
  if (response.chunks) return replayStream(ctx, response, headers, speed);
  ctx.response = { status: response.status, headers, body: decodeBody(response.body) };
}

function miss(store: RecordingStore, request: Recording['request'], serviceName: string): GatewayError {
  const closest = store.closest(request, CLOSEST_SHOWN).map(({ file, differs }) => ({
    file: file.slice(store.dir.length + 1),
    differs,
  }));
  const named = closest
    .map((c) => `${c.file} (${c.differs.join(', ') || 'ignored fields'} differ)`)
    .join('; ');
  return new GatewayError(
    'GW_REPLAY_MISS',
    `No recording of ${serviceName} matches ${request.method} ${request.path}: ` +
      (named ? `closest are ${named}` : `${store.dir} holds no recordings`),
    { extensions: { recordings: store.dir, closest } },
  );
}

/**
 * Records a service's upstream answers to files and answers from them (issue 17, item 3):
 * `record` writes one file per request, `replay` answers without the upstream (a miss is a 404
 * or goes on with onMiss: 'forward'), `fallback: 'replay'` answers from recordings only while the
 * upstream is down. Runs after mock and before cache and transform: what it records and replays
 * is the answer those gave the client.
 */
export const createReplayPolicy: PolicyFactory = (route, build) => {
  const serviceName = route.config.service;
  const service = serviceName === undefined ? undefined : build.config.services[serviceName];
  if (serviceName === undefined || service === undefined) return undefined;
  const sources = replaySources(build, serviceName, service);
  if (!sources) return undefined;
  const { record, replay, fallback, onMiss, speed } = sources;
  const recorder = record && createRecorder(build, serviceName, record);

  return async function recordReplay(ctx, next) {
    if (ctx.upgrade) return next();
    const request = await describeRequest(ctx);
    if (replay) {
      const hit = replay.find(request);
      if (hit) return answerFrom(ctx, hit, `replayed from ${hit.file}`, speed);
      if (onMiss === 'fail') throw miss(replay, request, serviceName);
    }
    let tap: ReturnType<Recorder['streamTap']> | undefined;
    if (recorder) {
      // Event streams, NDJSON and answers of unknown length go through as they come (buffering
      // them would hold every event back); the tap records their chunks on the way.
      if (!answerBuffering(ctx))
        bufferAnswer(ctx, { maxBytes: MAX_BODY_BYTES, when: buffersWhole, overflow: 'stream' });
      tapAnswer(ctx, (tap = recorder.streamTap(ctx, request)));
    }
    try {
      await next();
    } catch (error) {
      const stored = fallback?.find(request);
      if (!stored || ctx.res.headersSent || !isGatewayError(error) || !downCodes.has(error.code)) throw error;
      ctx.response = undefined;
      return answerFrom(
        ctx,
        stored,
        `${serviceName} is down (${error.code}): replayed from ${stored.file}`,
        speed,
      );
    }
    if (tap?.saving) await tap.saving;
    else if (recorder) await recorder.saveWhole(ctx, request);
  };
};
