import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors.js';
import type { BufferedResponse } from '../pipeline/types.js';
import type { CompiledOperation } from './compile-spec.js';
import { generateExample, seedOf } from './generate-example.js';

type Schema = Record<string, unknown>;
const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `Prefer: code=404, example=notFound` (RFC 7240 preferences, the names Prism reads). */
export function parsePrefer(header: string | string[] | undefined): { code?: string; example?: string } {
  const prefer: { code?: string; example?: string } = {};
  for (const part of [header ?? []].flat().join(',').split(/[,;]/)) {
    const [key = '', value = ''] = part.split('=', 2).map((s) => s.trim().replace(/^"|"$/g, ''));
    if (key.toLowerCase() === 'code' && value) prefer.code = value;
    if (key.toLowerCase() === 'example' && value) prefer.example = value;
  }
  return prefer;
}

function mockRefusal(message: string, hint: string): GatewayError {
  return new GatewayError('GW_MOCK_FAILED', message, { status: 422, hint });
}

/** The response to mock: the preferred code, else the lowest 2xx, else `default`, else the first. */
function pickStatus(responses: Schema, name: string, code: string | undefined): [string, Schema] {
  const codes = Object.keys(responses).filter((key) => isObject(responses[key]));
  if (code !== undefined) {
    const wanted =
      codes.find((key) => key === code) ?? codes.find((key) => key.toUpperCase() === `${code[0]}XX`);
    if (!wanted)
      throw mockRefusal(
        `${name} has no ${code} response to mock`,
        `Pick one of ${codes.join(', ')} in Prefer: code=…`,
      );
    return [wanted, responses[wanted] as Schema];
  }
  const chosen =
    codes.filter((key) => /^2/.test(key)).sort()[0] ?? (codes.includes('default') ? 'default' : codes[0]);
  if (chosen === undefined)
    throw mockRefusal(`${name} lists no responses to mock`, 'Add a response to the operation in the spec.');
  return [chosen, responses[chosen] as Schema];
}

/** The media type to answer with: JSON when the response offers it, else its first. */
function pickMedia(response: Schema): [string, Schema] | undefined {
  const content = isObject(response.content) ? response.content : {};
  const types = Object.keys(content);
  const type = types.find((t) => /json/i.test(t)) ?? types[0];
  return type === undefined ? undefined : [type, isObject(content[type]) ? content[type] : {}];
}

function bodyOf(media: Schema, name: string, example: string | undefined, seed: number): unknown {
  const examples = isObject(media.examples) ? media.examples : {};
  if (example !== undefined) {
    const chosen = examples[example];
    if (!isObject(chosen)) {
      const known = Object.keys(examples);
      throw mockRefusal(
        `${name} has no example '${example}'`,
        known.length ? `Pick one of ${known.join(', ')}` : 'The response has no named examples.',
      );
    }
    return chosen.value;
  }
  if (media.example !== undefined) return media.example;
  const first = Object.values(examples).find(isObject);
  if (first && first.value !== undefined) return first.value;
  return generateExample(media.schema, seed);
}

/** Builds a mocked answer for one operation: its examples, else a value generated from its schema. */
export function mockAnswer(
  operation: CompiledOperation,
  path: string,
  prefer: { code?: string; example?: string },
): BufferedResponse {
  const name = `${operation.method} ${operation.template}`;
  const responses = isObject(operation.operation.responses) ? operation.operation.responses : {};
  const [code, response] = pickStatus(responses, name, prefer.code);
  const status = /^\d{3}$/.test(code)
    ? Number(code)
    : code.endsWith('XX')
      ? Number(code[0]) * 100
      : code === 'default' && prefer.code
        ? Number(prefer.code)
        : 200;
  const headers: IncomingHttpHeaders = {};
  const media = pickMedia(response);
  if (!media || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
  const [type, mediaObject] = media;
  const value = bodyOf(mediaObject, name, prefer.example, seedOf(`${operation.method} ${path}`));
  headers['content-type'] = type;
  const body =
    typeof value === 'string' && !/json/i.test(type)
      ? Buffer.from(value, 'utf8')
      : Buffer.from(JSON.stringify(value ?? null), 'utf8');
  return { status, headers, body };
}
