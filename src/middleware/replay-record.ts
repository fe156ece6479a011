import type { IncomingHttpHeaders } from 'node:http';
import type { BuildContext, GatewayContext } from '../pipeline/types.js';
import type { AnswerTap } from '../pipeline/answer-tap.js';
import { encodeBody, selectHeaders, type Recording } from '../observe/recording.js';
import type { RecordingStore } from '../observe/recording-store.js';
import { captureStream, isStreamedAnswer, type StreamCapture } from '../observe/stream-recording.js';

/** Bytes gw keeps of a body to match and record (a streamed answer's chunks count together). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Chunks kept of one streamed answer: each is an object in memory and a line in the file. */
const MAX_CHUNKS = 100_000;

export interface Recorder {
  /** Writes a buffered answer (ctx.response) the upstream gave. */
  saveWhole(ctx: GatewayContext, request: Recording['request']): Promise<void>;
  /**
   * A tap for the forward that records an answer which streams to the client: its chunks and
   * their timing as they go by, written when the answer ends, is cut short, or outgrows the limits.
   * `saving` is the write under way, if any.
   */
  streamTap(ctx: GatewayContext, request: Recording['request']): AnswerTap & { saving?: Promise<void> };
}

/** Records a service's answers into its folder; a failed write is warned about once per load. */
export function createRecorder(build: BuildContext, serviceName: string, store: RecordingStore): Recorder {
  let warned = false;

  async function write(recording: Recording): Promise<void> {
    try {
      await store.save(recording);
    } catch (error) {
      // Recording is a side job: the client still gets its answer; say once why files are missing.
      if (warned) return;
      warned = true;
      build.events.emit({
        type: 'warning',
        at: Date.now(),
        message: `Recording ${serviceName} into ${store.dir} failed: ${(error as Error).message}`,
        hint: 'Check that the folder is writable; gw keeps answering and retries on every request.',
      });
    }
  }

  return {
    async saveWhole(ctx, request) {
      const answer = ctx.response;
      if (!answer || ctx.outcome.answeredBy !== undefined) return;
      await write({
        version: 1,
        request,
        response: {
          status: answer.status,
          headers: selectHeaders(answer.headers, 'response'),
          body: encodeBody(answer.body, answer.headers),
        },
      });
    },

    streamTap(ctx, request) {
      let capture: StreamCapture | undefined;
      let head: { status: number; headers: Record<string, string | string[]> } | undefined;
      const tap: AnswerTap & { saving?: Promise<void> } = {
        head(status: number, headers: IncomingHttpHeaders) {
          // An answer too big to buffer that had a length streams on unrecorded, as before: a
          // cut copy of it would replay as a shorter answer.
          if (!isStreamedAnswer(status, headers)) return;
          head = { status, headers: selectHeaders(headers, 'response') };
          capture = captureStream(headers, { maxBytes: MAX_BODY_BYTES, maxChunks: MAX_CHUNKS });
          const res = ctx.res;
          res.once('finish', () => end(undefined));
          // Without 'finish' first: the client went away, or the upstream broke off mid-answer.
          res.once('close', () =>
            end('the answer was cut short (the client went away or the upstream broke off)'),
          );
        },
        chunk(chunk: Buffer) {
          // Over the limits: written at once with what it holds (an endless stream gets a file too).
          if (capture && !capture.add(chunk)) end(undefined);
        },
      };
      function end(cut: string | undefined): void {
        if (!capture || !head || tap.saving) return;
        tap.saving = write({ version: 1, request, response: { ...head, ...capture.finish(cut) } });
      }
      return tap;
    },
  };
}
