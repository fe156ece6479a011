import { z } from 'zod';
import { byteSize } from '../../config/fields.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
export const DEFAULT_MAX_TOTAL_BYTES = 32 * 1024 * 1024;

/**
 * `inspect`: keep the bodies of the last requests for the dashboard's detail, `/__gw/requests`
 * and the HAR export (issue 17, item 1). Bounded twice: per body and over all kept bodies.
 */
export const inspectSchema = z
  .strictObject({
    bodies: z
      .boolean()
      .optional()
      .describe(
        'Keep request and answer bodies of the last requests (default: on in `gw dev`, off with `--log-format json` when stdout is not a terminal, off in the programmatic API)',
      ),
    maxBodyBytes: byteSize
      .default(DEFAULT_MAX_BODY_BYTES)
      .describe('Bytes kept of each body; a longer one is kept cut and marked truncated'),
    maxTotalBytes: byteSize
      .default(DEFAULT_MAX_TOTAL_BYTES)
      .describe("Bytes kept over all bodies together; the oldest requests' bodies go first"),
    redact: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "JSON fields (at any depth) and form fields whose values are masked wherever bodies are shown or exported, e.g. ['password', 'token']; credential headers are always masked",
      ),
  })
  .describe('Request and answer bodies for the dashboard, /__gw/requests and the HAR export');

export type InspectOptions = z.output<typeof inspectSchema>;
