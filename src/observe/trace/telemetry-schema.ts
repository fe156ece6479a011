import { z } from 'zod';
import { duration, httpUrl } from '../../config/fields.js';

/** Top-level `telemetry`: export spans over OTLP/HTTP (issue 17, item 4; docs/tracing.md). */
export const telemetrySchema = z
  .strictObject({
    otlp: httpUrl.describe(
      "OTLP/HTTP receiver, e.g. 'http://127.0.0.1:4318' (Jaeger, an OpenTelemetry Collector): spans go to <otlp>/v1/traces as protobuf, or to the URL as given when it already ends in /v1/traces",
    ),
    serviceName: z.string().min(1).default('gw').describe("service.name of gw's spans (default 'gw')"),
    timeout: duration
      .pipe(z.number().min(100, { message: 'an export timeout is at least 100ms' }))
      .default(10_000)
      .describe(
        'Longest time one batch of spans may take to export, retries included; a batch not taken by then is dropped and counted in gw_trace_export_failures_total',
      ),
  })
  .describe(
    'Export one OpenTelemetry span per request, with child spans for policies (auth, rate limit …), each upstream attempt and aggregate parts; traceparent is propagated with or without it',
  );

export type ResolvedTelemetry = z.output<typeof telemetrySchema>;

/** Where the spans are POSTed: the receiver's base URL gets the OTLP traces path. */
export function tracesUrl(otlp: string): string {
  return otlp.endsWith('/v1/traces') ? otlp : `${otlp.replace(/\/+$/, '')}/v1/traces`;
}
