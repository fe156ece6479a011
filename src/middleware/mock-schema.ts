import { z } from 'zod';
import { duration, fn } from '../config/fields.js';
import type { Identity } from '../pipeline/types.js';

/** What a mock function sees of the request. */
export interface MockRequest {
  method: string;
  path: string;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  identity: Identity | undefined;
  /** Reads and parses the request body (JSON when it says so, else text); up to 1 MB. */
  body(): Promise<unknown>;
}

export const mockAnswerSchema = z
  .strictObject({
    status: z.number().int().min(100).max(599).default(200).describe('Status code (default 200)'),
    json: z.unknown().optional().describe('A JSON body (sets Content-Type: application/json)'),
    body: z
      .string()
      .optional()
      .describe('A text body (Content-Type: text/plain unless headers say otherwise)'),
    headers: z.record(z.string(), z.string()).default({}).describe('Response headers'),
    delay: duration.default(0).describe("Wait this long before answering, e.g. '300ms'"),
  })
  .refine((mock) => mock.json === undefined || mock.body === undefined, {
    message: 'give `json` or `body`, not both',
  });

export type MockAnswer = z.input<typeof mockAnswerSchema>;
export type MockFunction = (request: MockRequest) => MockAnswer | Promise<MockAnswer>;

export const mockSchema = z
  .union([mockAnswerSchema, fn<MockFunction>('(request) => ({ status, json })')])
  .describe(
    'Answer the route without an upstream: { status, json | body, headers, delay } or a function of the request',
  );

/** On a service: answer from the route's mock while no target can answer. */
export const fallbackSchema = z
  .enum(['mock', 'replay', 'openapi'])
  .describe(
    "'mock': answer from the route's mock while the service is down; 'replay': from the service's recordings; 'openapi': from its OpenAPI document",
  );
