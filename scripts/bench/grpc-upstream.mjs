// A gRPC upstream for the bench rows (a real @grpc/grpc-js server): bench.Bench/Unary answers
// a small message, bench.Bench/Stream streams `bytes` (from the request) in 64 KiB messages.
// Messages are raw bytes (the serializers are identities): the bench measures the transport.
import grpc from '@grpc/grpc-js';

const CHUNK = Buffer.alloc(64 * 1024, 'x');
const REPLY = Buffer.from('ok: a 32-byte bench unary reply.');
const identity = (bytes) => bytes;
const method = (name, responseStream) => ({
  path: `/bench.Bench/${name}`,
  requestStream: false,
  responseStream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});

export const benchService = { Unary: method('Unary', false), Stream: method('Stream', true) };

/** The stream's size travels as the request's text ("104857600"). */
function stream(call) {
  let left = Number(call.request.toString() || 0);
  const write = () => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      if (!call.write(chunk)) return void call.once('drain', write);
    }
    call.end();
  };
  write();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = new grpc.Server();
  server.addService(benchService, { Unary: (_call, callback) => callback(null, REPLY), Stream: stream });
  server.bindAsync(
    `127.0.0.1:${process.env.PORT ?? 0}`,
    grpc.ServerCredentials.createInsecure(),
    (error, port) => {
      if (error) throw error;
      console.log(`listening ${port}`);
    },
  );
  process.on('SIGTERM', () => process.exit(0));
}
