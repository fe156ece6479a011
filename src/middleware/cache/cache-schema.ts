import { z } from 'zod';
import { byteSize, duration, headerName } from '../../config/fields.js';

export const cacheSchema = z
  .strictObject({
    ttl: duration
      .refine((ms) => ms > 0, { message: 'expected a ttl above zero' })
      .describe("How long an answer stays fresh when the upstream's Cache-Control does not say, e.g. '30s'"),
    vary: z
      .array(headerName)
      .default([])
      .describe("Request headers that key the cache beyond the upstream's Vary"),
    maxEntrySize: byteSize.default(1024 * 1024).describe('Answers bigger than this are streamed, not stored'),
    statuses: z
      .array(z.number().int().min(100).max(599))
      .min(1)
      .default([200, 203, 204, 300, 301, 308])
      .describe('Statuses that may be stored'),
    shared: z
      .boolean()
      .default(false)
      .describe(
        'Store answers to requests that carry Cookie (or, on a route without auth, Authorization or an API key) ' +
          'and serve them to every caller. Off by default: such answers are stored only when the upstream says ' +
          "`public`/`s-maxage`, or keyed per value when `vary` names the header (e.g. vary: ['cookie']). " +
          'Answers that set a cookie are never stored.',
      ),
  })
  .describe('Response cache for GET/HEAD: keyed by Host, path, query, Vary headers and the verified caller');

export const cacheStoreSchema = z
  .strictObject({
    maxSize: byteSize
      .default(64 * 1024 * 1024)
      .describe("Total bytes the response cache may hold (least recently used out first), default '64mb'"),
  })
  .describe('Limits of the response cache shared by every route');

export type ResolvedCache = z.output<typeof cacheSchema>;
