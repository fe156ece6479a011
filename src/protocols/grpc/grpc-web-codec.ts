import { Transform, type TransformCallback } from 'node:stream';
import { GatewayError } from '../../errors.js';

/**
 * The gRPC-Web wire (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md): the same
 * length-prefixed messages as gRPC, the trailers as one last frame whose flag byte has its MSB set
 * (0x80) holding `name:value\r\n` lines, and in the -text variant all of it base64. Built after
 * Envoy's grpc_web filter (source/extensions/filters/http/grpc_web/grpc_web_filter.cc): a text
 * request is decoded in whole 4-character groups (padding is mandatory), a text answer is encoded
 * one complete frame at a time, so a message goes out as soon as it is whole.
 */

const TRAILER_FLAG = 0x80;

/** The trailers as gRPC-Web's final frame. */
export function trailerFrame(trailers: Record<string, string | string[]>): Buffer {
  let block = '';
  for (const [name, value] of Object.entries(trailers)) {
    for (const item of Array.isArray(value) ? value : [value]) block += `${name.toLowerCase()}:${item}\r\n`;
  }
  const payload = Buffer.from(block, 'latin1');
  const head = Buffer.alloc(5);
  head[0] = TRAILER_FLAG;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

const base64Alphabet = /^[A-Za-z0-9+/]*={0,2}$/;

function badBase64(): GatewayError {
  return new GatewayError('GW_BAD_REQUEST', 'The gRPC-Web text request body is not valid base64', {
    hint: 'Send application/grpc-web-text bodies as padded base64 of the gRPC frames, or use application/grpc-web for binary.',
  });
}

/** Decodes a grpc-web-text body as it streams; an invalid body fails the stream with GW_BAD_REQUEST. */
export function createBase64Decoder(): Transform {
  let pending = '';
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const text = pending + chunk.toString('latin1').replace(/\s+/g, '');
      const whole = text.length - (text.length % 4);
      pending = text.slice(whole);
      const groups = text.slice(0, whole);
      if (groups.length === 0) return callback();
      // Padding may close each frame a client encoded on its own (as gw's answers are).
      const decoded: Buffer[] = [];
      for (const segment of groups.match(/[^=]*(?:={1,2}|$)/g) ?? []) {
        if (segment.length === 0) continue;
        if (segment.length % 4 !== 0 || !base64Alphabet.test(segment)) return callback(badBase64());
        decoded.push(Buffer.from(segment, 'base64'));
      }
      callback(null, Buffer.concat(decoded));
    },
    flush(callback: TransformCallback) {
      callback(pending.length === 0 ? null : badBase64());
    },
  });
}

/**
 * Splits a stream of gRPC frames into whole frames (for the -text answer, whose base64 is written
 * one frame at a time). Returns the whole frames `chunk` completes, keeps the rest.
 */
export function createFrameSplitter(): (chunk: Buffer) => Buffer[] {
  let buffered: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const frames: Buffer[] = [];
    while (buffered.length >= 5) {
      const size = 5 + buffered.readUInt32BE(1);
      if (buffered.length < size) break;
      frames.push(buffered.subarray(0, size));
      buffered = buffered.subarray(size);
    }
    return frames;
  };
}
