import { echoService, type EchoReply, type EchoRequest } from './grpc-echo.js';
import { grpcFrame } from './raw-grpc.js';

/** gRPC-Web bodies for the tests: a request's frames, and an answer read back into messages and trailers. */

export function grpcWebRequestBody(request: EchoRequest, text = false): Buffer | string {
  const frame = grpcFrame(echoService.Unary!.requestSerialize(request));
  return text ? frame.toString('base64') : frame;
}

export interface GrpcWebAnswer {
  replies: EchoReply[];
  trailers: Record<string, string>;
  /** Frames seen after the trailer frame (there must be none). */
  afterTrailers: number;
}

/** Reads a gRPC-Web body (binary, or base64 text whose frames may each carry their own padding). */
export function readGrpcWebBody(body: Buffer, text = false): GrpcWebAnswer {
  const bytes = text ? decodeText(body.toString('latin1')) : body;
  const answer: GrpcWebAnswer = { replies: [], trailers: {}, afterTrailers: 0 };
  let seenTrailers = false;
  for (let offset = 0; offset + 5 <= bytes.length;) {
    const flags = bytes[offset]!;
    const size = bytes.readUInt32BE(offset + 1);
    const payload = bytes.subarray(offset + 5, offset + 5 + size);
    offset += 5 + size;
    if (seenTrailers) answer.afterTrailers++;
    if (flags & 0x80) {
      seenTrailers = true;
      for (const line of payload.toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) answer.trailers[line.slice(0, colon)] = line.slice(colon + 1).trim();
      }
    } else answer.replies.push(echoService.Unary!.responseDeserialize(payload) as EchoReply);
  }
  return answer;
}

/** Base64 in whole 4-character groups, padding allowed at the end of each group run. */
function decodeText(text: string): Buffer {
  const parts: Buffer[] = [];
  for (const segment of text.match(/[^=]*={0,2}/g) ?? [])
    if (segment) parts.push(Buffer.from(segment, 'base64'));
  return Buffer.concat(parts);
}
