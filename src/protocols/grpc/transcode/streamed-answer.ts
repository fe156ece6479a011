import type { GatewayError } from '../../../errors.js';
import type { GatewayContext } from '../../../pipeline/types.js';
import { answeredWithError, markOutcome } from '../../../pipeline/hooks.js';

/**
 * A server stream's messages as the client reads them: one JSON object per line
 * (application/x-ndjson), or Server-Sent Events (one `data:` event per message,
 * https://html.spec.whatwg.org/multipage/server-sent-events.html) when the client accepts
 * text/event-stream. The head goes out with the first message, so a call that fails before it
 * still gets a problem+json answer; a failure after it ends the stream with an error line (NDJSON:
 * `{"error": problem}`; SSE: an `error` event whose data is the problem).
 */
export function startStreamedAnswer(ctx: GatewayContext) {
  const sse = /\btext\/event-stream\b/i.test(String(ctx.req.headers.accept ?? ''));
  const { res } = ctx;
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    res.writeHead(200, {
      ...ctx.responseHeaders,
      'content-type': sse ? 'text/event-stream' : 'application/x-ndjson',
      'cache-control': 'no-cache',
    });
  };
  return {
    get started() {
      return started;
    },
    /** Writes one message; false when the client's buffer is full (wait for 'drain'). */
    write(message: unknown): boolean {
      start();
      if (res.writableEnded) return true;
      return res.write(sse ? `data: ${JSON.stringify(message)}\n\n` : `${JSON.stringify(message)}\n`);
    },
    end(): void {
      start();
      if (!res.writableEnded) res.end();
    },
    fail(error: GatewayError): void {
      markOutcome(ctx, 'reason', error.message);
      answeredWithError(ctx, error);
      if (res.writableEnded) return;
      const problem = {
        type: `urn:gw:problem:${error.code}`,
        title: error.title,
        status: error.status,
        detail: error.message,
        code: error.code,
        instance: ctx.path,
        requestId: ctx.id,
        ...error.extensions,
      };
      res.end(
        sse
          ? `event: error\ndata: ${JSON.stringify(problem)}\n\n`
          : `${JSON.stringify({ error: problem })}\n`,
      );
    },
  };
}
