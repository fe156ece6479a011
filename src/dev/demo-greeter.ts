import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { loadProtos } from '../protocols/grpc/proto/load-protos.js';

/** The demo's greeter proto, which the demo config names too (templates/demo/protos/). */
export const greeterProtoFile = fileURLToPath(
  new URL('../../templates/demo/protos/greeter.proto', import.meta.url),
);

/** A stream asks for `times` greetings; more than this is capped (the demo never floods a terminal). */
const MAX_STREAMED = 10;

function messageTypes(): { request: Type; reply: Type } {
  const load = loadProtos({ files: [greeterProtoFile], includeDirs: [path.dirname(greeterProtoFile)] });
  if (!load.ok) throw new Error(`the demo's greeter.proto does not load: ${load.message}`);
  return {
    request: load.root.lookupType('helloworld.HelloRequest'),
    reply: load.root.lookupType('helloworld.HelloReply'),
  };
}

interface HelloRequest {
  name?: string;
  times?: number;
}

/**
 * helloworld.Greeter on 127.0.0.1 (a free port), a real @grpc/grpc-js server: SayHello (unary;
 * an empty name is INVALID_ARGUMENT, to show how errors travel) and SayHelloStream (server
 * streaming, `times` replies). grpc-js is imported only here, so only `gw dev --demo` loads it.
 */
export async function startDemoGreeter(): Promise<{ url: string; close(): Promise<void> }> {
  const grpc = await import('@grpc/grpc-js');
  const { request, reply } = messageTypes();
  const codec = {
    requestSerialize: (value: HelloRequest) =>
      Buffer.from(request.encode(request.fromObject(value)).finish()),
    requestDeserialize: (bytes: Buffer) => request.toObject(request.decode(bytes)) as HelloRequest,
    responseSerialize: (value: object) => Buffer.from(reply.encode(reply.fromObject(value)).finish()),
    responseDeserialize: (bytes: Buffer) => reply.toObject(reply.decode(bytes)),
  };
  const definition: ServiceDefinition = {
    SayHello: {
      path: '/helloworld.Greeter/SayHello',
      requestStream: false,
      responseStream: false,
      originalName: 'sayHello',
      ...codec,
    },
    SayHelloStream: {
      path: '/helloworld.Greeter/SayHelloStream',
      requestStream: false,
      responseStream: true,
      originalName: 'sayHelloStream',
      ...codec,
    },
  };
  const implementation: UntypedServiceImplementation = {
    SayHello: (
      call: { request: HelloRequest },
      callback: (error: { code: number; details: string } | null, value?: object) => void,
    ) => {
      const name = call.request.name ?? '';
      if (name === '') return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'name is required' });
      callback(null, { message: `Hello, ${name}!`, index: 0 });
    },
    SayHelloStream: (call: { request: HelloRequest; write(value: object): boolean; end(): void }) => {
      const name = call.request.name || 'world';
      const times = Math.min(Math.max(call.request.times || 3, 1), MAX_STREAMED);
      for (let index = 0; index < times; index++)
        call.write({ message: `Hello, ${name}! (${index + 1}/${times})`, index });
      call.end();
    },
  };
  const server: Server = new grpc.Server();
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
