import { z } from 'zod';

/** On a service: record every upstream answer into this folder (issue 17, item 3). */
export const recordSchema = z
  .string()
  .min(1)
  .describe(
    "Folder to record every upstream answer of this service into, one readable JSON file per request, e.g. './fixtures/users' (relative to the config); `gw dev --record DIR` records every service into DIR/<service>",
  );

const replayOptions = z.strictObject({
  dir: z
    .string()
    .min(1)
    .optional()
    .describe('Folder of recordings (default: DIR/<service> of `gw dev --replay DIR`)'),
  ignoreQuery: z
    .array(z.string())
    .default([])
    .describe("Query parameters left out of the match, e.g. ['ts', 'nonce']"),
  ignoreBody: z
    .array(z.string())
    .default([])
    .describe("JSON body fields (dot paths) left out of the match, e.g. ['requestId', 'meta.sentAt']"),
  onMiss: z
    .enum(['fail', 'forward'])
    .default('fail')
    .describe(
      "A request no recording matches: 'fail' answers 404 GW_REPLAY_MISS naming the closest recordings; 'forward' sends it to the upstream",
    ),
  speed: z
    .number()
    .min(0)
    .max(1000)
    .default(1)
    .describe(
      'How fast streamed answers (event streams, NDJSON, chunked) replay: 1 keeps the recorded spacing between chunks, 2 halves it, 0 sends every chunk at once',
    ),
});

/** On a service: answer from recordings instead of the upstream. */
export const replaySchema = z
  .union([
    z
      .string()
      .min(1)
      .transform((dir) => ({ dir, ignoreQuery: [], ignoreBody: [], onMiss: 'fail' as const, speed: 1 })),
    replayOptions,
  ])
  .describe(
    "Answer from recordings instead of the upstream: a folder, or { dir, ignoreQuery, ignoreBody, onMiss, speed }; without a dir the options apply to `gw dev --replay DIR`, to recording and to `fallback: 'replay'`",
  );

export type ReplayOptions = z.output<typeof replayOptions>;
