import type { IncomingHttpHeaders } from 'node:http';

/**
 * Which gRPC wire a request speaks, from its Content-Type (gRPC over HTTP/2:
 * https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md; gRPC-Web, binary or base64
 * text: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-WEB.md). A suffix (`+proto`) and
 * parameters do not matter; the media type is matched without regard to case.
 */
export type GrpcWire = 'grpc' | 'grpc-web' | 'grpc-web-text';

const grpcType = /^application\/grpc(-web(-text)?)?(?:[+;\s]|$)/i;

export function grpcWireOf(headers: IncomingHttpHeaders): GrpcWire | undefined {
  const type = headers['content-type'];
  if (type === undefined || type.length < 16) return undefined;
  // test(), not exec(): no match array and substrings on every request of a gRPC route. Past the
  // 16 characters of "application/grpc", a '-' starts "-web", and a '-' after it "-text".
  if (!grpcType.test(type)) return undefined;
  if (type.charCodeAt(16) !== 45 /* - */) return 'grpc';
  return type.charCodeAt(20) === 45 /* - */ ? 'grpc-web-text' : 'grpc-web';
}

/**
 * grpc-message is percent-encoded UTF-8: every byte outside printable ASCII, and '%' itself
 * (PROTOCOL-HTTP2.md, "Percent-Byte-Unencoded").
 */
export function percentEncodeGrpcMessage(message: string): string {
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}
