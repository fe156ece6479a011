import type { Type } from 'protobufjs';
import { GatewayError } from '../../../errors.js';
import { fieldOf, type GrpcMethod } from '../proto/grpc-methods.js';
import { MAX_MESSAGE_BYTES } from './grpc-frames.js';
import type { GatewayContext } from '../../../pipeline/types.js';
import { upstreamBody } from '../../../pipeline/hooks.js';
import type { Readable } from 'node:stream';

/** What the REST call reached: a method, and how its request message is filled. */
export interface TranscodeTarget {
  readonly method: GrpcMethod;
  /** '' (query only), '*' (the body is the message) or the field the body fills. */
  readonly body: string;
  /** Path variables by field path. */
  readonly variables: Readonly<Record<string, string>>;
}

/**
 * The request message as JSON, from the google.api.http rule: the body (all of it, or one field),
 * the path variables, and the query parameters into the fields neither of those filled (a
 * dotted name reaches a nested field; a repeated field takes the parameter repeated).
 * https://github.com/googleapis/googleapis/blob/master/google/api/http.proto
 */
export async function requestJson(
  ctx: GatewayContext,
  reached: TranscodeTarget,
): Promise<Record<string, unknown>> {
  const type = reached.method.requestType;
  let json: Record<string, unknown> = {};
  if (reached.body !== '') {
    const parsed = await readJsonBody(ctx);
    if (reached.body === '*') {
      if (parsed !== undefined) {
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new GatewayError(
            'GW_TRANSCODE_INVALID_MESSAGE',
            `the body must be a JSON object (${type.name})`,
          );
        json = parsed as Record<string, unknown>;
      }
    } else if (parsed !== undefined) setPath(json, reached.body.split('.'), parsed);
  }
  for (const [field, value] of Object.entries(reached.variables)) setField(type, json, field, value);
  if (reached.body !== '*') {
    const query = new URLSearchParams(ctx.search);
    for (const [name, value] of query) setField(type, json, name, value);
  }
  return json;
}

function setPath(json: Record<string, unknown>, names: readonly string[], value: unknown): void {
  let into = json;
  for (const name of names.slice(0, -1)) {
    const next = into[name];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) into = into[name] = {};
    else into = next as Record<string, unknown>;
  }
  into[names[names.length - 1]!] = value;
}

/** A path variable or query parameter: a string, into the field its dotted name names. */
function setField(type: Type, json: Record<string, unknown>, path: string, value: string): void {
  const names = path.split('.');
  let current: Type = type;
  let into = json;
  for (let n = 0; n < names.length; n++) {
    const field = fieldOf(current, names[n]!);
    if (!field) {
      throw new GatewayError(
        'GW_TRANSCODE_INVALID_MESSAGE',
        `${type.name} has no field ${names.slice(0, n + 1).join('.')}`,
        {
          extensions: { field: path },
        },
      );
    }
    const key = names[n]!;
    if (n === names.length - 1) {
      if (field.repeated) {
        const list = Array.isArray(into[key]) ? (into[key] as unknown[]) : (into[key] = []);
        (list as unknown[]).push(value);
      } else into[key] = value;
      return;
    }
    const resolved = field.resolve().resolvedType;
    if (!resolved || !('fields' in resolved)) {
      throw new GatewayError(
        'GW_TRANSCODE_INVALID_MESSAGE',
        `${names.slice(0, n + 1).join('.')} is not a message field`,
        {
          extensions: { field: path },
        },
      );
    }
    current = resolved;
    const next = into[key];
    into =
      next !== null && typeof next === 'object' && !Array.isArray(next)
        ? (next as Record<string, unknown>)
        : (into[key] = {});
  }
}

/** The client's JSON body (up to gRPC's message cap), undefined when there is none. */
async function readJsonBody(ctx: GatewayContext): Promise<unknown> {
  const replaced = upstreamBody(ctx);
  const source: Readable | Buffer[] = Buffer.isBuffer(replaced) ? [replaced] : (replaced ?? ctx.req);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_MESSAGE_BYTES) {
      throw new GatewayError(
        'GW_BODY_TOO_LARGE',
        `The body is larger than ${MAX_MESSAGE_BYTES} bytes, gRPC's message limit`,
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new GatewayError(
      'GW_BODY_INVALID_JSON',
      `The body is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
