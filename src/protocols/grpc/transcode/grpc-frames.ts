import { GatewayError } from '../../../errors.js';

/**
 * gRPC's length-prefixed messages (PROTOCOL-HTTP2.md, "Length-Prefixed-Message"): a flag byte
 * (1 = compressed), a 4-byte big-endian length, the message.
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md#requests
 */
export function frameMessage(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** gRPC's default largest message a receiver accepts (grpc.max_receive_message_length). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Splits a stream of bytes into messages as the chunks come (a message may span chunks, a chunk
 * hold several). A compressed message or one above maxBytes fails: gw asks for none
 * (no grpc-accept-encoding) and caps what it buffers.
 */
export function createFrameReader(onMessage: (message: Buffer) => void, maxBytes = MAX_MESSAGE_BYTES) {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk: Buffer): void {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 5) {
        const length = pending.readUInt32BE(1);
        if (pending[0] !== 0) throw badAnswer('a compressed message, though gw asked for none');
        if (length > maxBytes) throw badAnswer(`a message of ${length} bytes (gw takes up to ${maxBytes})`);
        if (pending.length < 5 + length) return;
        onMessage(pending.subarray(5, 5 + length));
        pending = pending.subarray(5 + length);
      }
    },
    /** Bytes of a message that never ended. */
    get leftover(): number {
      return pending.length;
    },
  };
}

function badAnswer(what: string): GatewayError {
  return new GatewayError('GW_UPSTREAM_BAD_RESPONSE', `The gRPC service answered ${what}`);
}
