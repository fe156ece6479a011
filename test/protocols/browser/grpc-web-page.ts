import { GrpcWebClientBase, MethodDescriptor, MethodType, type RpcError } from 'grpc-web';

/**
 * The page script of the headless-Chromium gRPC-Web test: the real `grpc-web` client library
 * (bundled with esbuild) calling gw from another origin. The Echo messages are written by hand
 * (three fields), so no protoc-generated code is needed.
 */

class EchoRequest {
  text = '';
  count = 0;
  failWith = 0;

  static of(text: string, count = 0, failWith = 0): EchoRequest {
    return Object.assign(new EchoRequest(), { text, count, failWith });
  }

  serializeBinary(): Uint8Array {
    const bytes: number[] = [];
    const text = new TextEncoder().encode(this.text);
    if (text.length > 0) bytes.push(0x0a, ...varint(text.length), ...text);
    if (this.count) bytes.push(0x10, ...varint(this.count));
    if (this.failWith) bytes.push(0x20, ...varint(this.failWith));
    return Uint8Array.from(bytes);
  }
}

class EchoReply {
  text = '';
  index = 0;

  static deserializeBinary(bytes: Uint8Array): EchoReply {
    const reply = new EchoReply();
    let at = 0;
    const read = () => {
      let value = 0;
      let shift = 0;
      for (;;) {
        const byte = bytes[at++]!;
        value += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return value;
        shift += 7;
      }
    };
    while (at < bytes.length) {
      const key = read();
      const field = key >> 3;
      if ((key & 7) === 2) {
        const length = read();
        const slice = bytes.subarray(at, at + length);
        at += length;
        if (field === 1) reply.text = new TextDecoder().decode(slice);
      } else {
        const value = read();
        if (field === 2) reply.index = value;
      }
    }
    return reply;
  }
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  bytes.push(value);
  return bytes;
}

function descriptor(method: string, type: string) {
  return new MethodDescriptor<EchoRequest, EchoReply>(
    `/gwtest.echo.Echo/${method}`,
    type,
    EchoRequest,
    EchoReply,
    (request: EchoRequest) => request.serializeBinary(),
    EchoReply.deserializeBinary,
  );
}

interface UnaryReport {
  text?: string;
  code?: number;
  message?: string;
}

interface StreamReport {
  texts: string[];
  code?: number;
  details?: string;
}

function grpcWebUnary(
  base: string,
  format: string,
  text: string,
  metadata: Record<string, string>,
): Promise<UnaryReport> {
  return new Promise((resolve) => {
    const client = new GrpcWebClientBase({ format });
    client.rpcCall(
      `${base}/gwtest.echo.Echo/Unary`,
      EchoRequest.of(text),
      metadata,
      descriptor('Unary', MethodType.UNARY),
      (error: RpcError | null, reply: EchoReply) =>
        resolve(error ? { code: error.code, message: error.message } : { text: reply.text, code: 0 }),
    );
  });
}

function grpcWebStream(base: string, text: string, count: number, failWith: number): Promise<StreamReport> {
  return new Promise((resolve) => {
    const client = new GrpcWebClientBase({ format: 'text' });
    const report: StreamReport = { texts: [] };
    const stream = client.serverStreaming(
      `${base}/gwtest.echo.Echo/ServerStream`,
      EchoRequest.of(text, count, failWith),
      {},
      descriptor('ServerStream', MethodType.SERVER_STREAMING),
    );
    stream.on('data', (reply: EchoReply) => report.texts.push(reply.text));
    stream.on('status', (status) => {
      report.code = status.code;
      report.details = status.details;
    });
    stream.on('error', (error: RpcError) => resolve({ ...report, code: error.code, details: error.message }));
    stream.on('end', () => resolve(report));
  });
}

// What the test calls through page.evaluate.
Object.assign(globalThis, { grpcWebUnary, grpcWebStream });
