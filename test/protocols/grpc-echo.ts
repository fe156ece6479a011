import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * A real @grpc/grpc-js Echo server (test/protocols/fixtures/echo.proto) on 127.0.0.1:0 that
 * records what each call received (metadata, messages, whether it was cancelled), and typed
 * calls from a real grpc-js client. Shared by the gRPC and gRPC-Web tests.
 */

export const echoProto = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo.proto');

export interface EchoRequest {
  text?: string;
  count?: number;
  delayMs?: number;
  failWith?: number;
}

export interface EchoReply {
  text: string;
  index: number;
  padding?: string;
}

export type EchoMethod = 'Unary' | 'ServerStream' | 'ClientStream' | 'Bidi';

/** What the server saw of one call. */
export interface SeenCall {
  method: EchoMethod;
  metadata: Record<string, string>;
  messages: EchoRequest[];
  cancelled: boolean;
  /** Resolves when the call is over on the server (answered, failed or cancelled). */
  ended: Promise<void>;
  /** The deadline grpc-js computed from the grpc-timeout it received, if any. */
  deadline?: number;
}

const definition = protoLoader.loadSync(echoProto, { defaults: true });

function serviceDefinition(): grpc.ServiceDefinition {
  const service = definition['gwtest.echo.Echo'];
  if (!service || 'format' in service || !('Unary' in service))
    throw new Error('echo.proto has no Echo service');
  return service as grpc.ServiceDefinition;
}

export const echoService = serviceDefinition();

function methodOf(name: EchoMethod): grpc.MethodDefinition<EchoRequest, EchoReply> {
  return echoService[name] as grpc.MethodDefinition<EchoRequest, EchoReply>;
}

/** Every key of a metadata object as one string (binary values as base64). */
export function metadataRecord(metadata: grpc.Metadata): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [key, values] of Object.entries(metadata.getMap())) {
    record[key] = Buffer.isBuffer(values) ? values.toString('base64') : String(values);
  }
  return record;
}

function failure(request: EchoRequest): grpc.ServiceError | undefined {
  if (!request.failWith) return undefined;
  const trailing = new grpc.Metadata();
  trailing.set('x-failure-detail', 'asked-for');
  return Object.assign(new Error(request.text ?? ''), {
    code: request.failWith,
    details: request.text ?? '',
    metadata: trailing,
  });
}

function trailingMetadata(): grpc.Metadata {
  const trailing = new grpc.Metadata();
  trailing.set('x-trailer', 'from-upstream');
  return trailing;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface EchoServer {
  /** host:port */
  address: string;
  url: string;
  calls: SeenCall[];
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  const calls: SeenCall[] = [];
  /** Records the call and, unless told not to, sends its response headers at once. */
  const record = (
    method: EchoMethod,
    call: grpc.ServerUnaryCall<EchoRequest, EchoReply> | grpc.ServerReadableStream<EchoRequest, EchoReply>,
    sendHeaders = true,
  ): SeenCall => {
    let ended!: () => void;
    const seen: SeenCall = {
      method,
      metadata: metadataRecord(call.metadata),
      messages: [],
      cancelled: false,
      ended: new Promise<void>((resolve) => (ended = resolve)),
    };
    const deadline = call.getDeadline();
    if (deadline instanceof Date) seen.deadline = deadline.getTime();
    else if (Number.isFinite(deadline)) seen.deadline = deadline;
    call.on('cancelled', () => {
      seen.cancelled = true;
      ended();
    });
    // 'cancelled' comes a tick after 'close': settle after it.
    const settle = () => setImmediate(ended);
    call.on('finish', settle);
    call.on('close', settle);
    calls.push(seen);
    if (sendHeaders) {
      const headers = new grpc.Metadata();
      headers.set('x-upstream-header', method);
      call.sendMetadata(headers);
    }
    return seen;
  };

  const server = new grpc.Server();
  server.addService(echoService, {
    Unary(call: grpc.ServerUnaryCall<EchoRequest, EchoReply>, callback: grpc.sendUnaryData<EchoReply>) {
      const request = call.request;
      // A failing unary call answers trailers-only (no headers before its status).
      const seen = record('Unary', call, !request.failWith);
      seen.messages.push(request);
      const reply = () => {
        const error = failure(request);
        if (error) return callback(error);
        callback(
          null,
          { text: `hello ${request.text ?? ''}`, index: 0, padding: 'x'.repeat(request.count ?? 0) },
          trailingMetadata(),
        );
      };
      if (request.delayMs) setTimeout(reply, request.delayMs);
      else reply();
    },
    async ServerStream(call: grpc.ServerWritableStream<EchoRequest, EchoReply>) {
      const seen = record('ServerStream', call);
      const request = call.request;
      seen.messages.push(request);
      for (let index = 0; index < (request.count ?? 0); index++) {
        if (seen.cancelled) return;
        if (request.delayMs) await pause(request.delayMs);
        if (seen.cancelled) return;
        call.write({ text: `${request.text ?? ''} #${index}`, index });
      }
      const error = failure(request);
      // grpc-js ends a stream with an error status this way, after what it already wrote.
      if (error) return void call.emit('error', error);
      call.end(trailingMetadata());
    },
    ClientStream(
      call: grpc.ServerReadableStream<EchoRequest, EchoReply>,
      callback: grpc.sendUnaryData<EchoReply>,
    ) {
      const seen = record('ClientStream', call);
      call.on('data', (message: EchoRequest) => seen.messages.push(message));
      call.on('end', () => {
        const text = seen.messages.map((message) => message.text).join(',');
        callback(null, { text, index: seen.messages.length, padding: '' }, trailingMetadata());
      });
    },
    Bidi(call: grpc.ServerDuplexStream<EchoRequest, EchoReply>) {
      const seen = record('Bidi', call);
      call.on('data', (message: EchoRequest) => {
        seen.messages.push(message);
        const error = failure(message);
        if (error) return call.destroy(error);
        call.write({ text: `echo ${message.text ?? ''}`, index: seen.messages.length - 1 });
      });
      call.on('end', () => call.end(trailingMetadata()));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** What a finished call ended with: its status, message, and both metadata sets. */
export interface CallResult<T> {
  code: grpc.status;
  details: string;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  value?: T;
}

export interface EchoClient {
  client: grpc.Client;
  unary(request: EchoRequest, options?: CallOptions): Promise<CallResult<EchoReply>>;
  serverStream(request: EchoRequest, options?: CallOptions): Promise<CallResult<EchoReply[]>>;
  clientStream(requests: EchoRequest[], options?: CallOptions): Promise<CallResult<EchoReply>>;
  /** Opens a bidi call; the test writes and reads through it. */
  bidi(options?: CallOptions): grpc.ClientDuplexStream<EchoRequest, EchoReply>;
  /** Opens a server-streaming call; the test reads (or cancels) it. */
  openServerStream(request: EchoRequest, options?: CallOptions): grpc.ClientReadableStream<EchoReply>;
  /** Opens a client-streaming call the test writes to over time; `result` settles at its status. */
  openClientStream(options?: CallOptions): {
    call: grpc.ClientWritableStream<EchoRequest>;
    result: Promise<CallResult<EchoReply>>;
  };
  close(): void;
}

export interface CallOptions {
  /** Keys ending in -bin take binary values. */
  metadata?: Record<string, string | Buffer>;
  /** Deadline in ms from now. */
  deadlineMs?: number;
}

function metadataOf(options: CallOptions): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return metadata;
}

function callOptions(options: CallOptions): grpc.CallOptions {
  return options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
}

/** Settles a call's status, headers and trailers into one result. */
function observe<T>(call: grpc.Call, value: () => T | undefined): Promise<CallResult<T>> {
  let headers: Record<string, string> = {};
  call.on('metadata', (metadata: grpc.Metadata) => (headers = metadataRecord(metadata)));
  return new Promise((resolve) => {
    call.on('status', (status: grpc.StatusObject) => {
      // 'status' can come before the last 'data' of a stream has been handed over.
      setImmediate(() =>
        resolve({
          code: status.code,
          details: status.details,
          headers,
          trailers: metadataRecord(status.metadata),
          value: value(),
        }),
      );
    });
  });
}

/**
 * A grpc-js client on an insecure channel (h2c with prior knowledge) to `address`; `authority`
 * is the :authority its calls send (the channel's target otherwise).
 */
export function createEchoClient(address: string, channel: { authority?: string } = {}): EchoClient {
  const options = channel.authority === undefined ? {} : { 'grpc.default_authority': channel.authority };
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), options);
  const path = (name: EchoMethod) => methodOf(name).path;
  const serialize = (name: EchoMethod) => methodOf(name).requestSerialize;
  const deserialize = (name: EchoMethod) => methodOf(name).responseDeserialize;
  return {
    client,
    unary(request, options = {}) {
      let reply: EchoReply | undefined;
      const call = client.makeUnaryRequest(
        path('Unary'),
        serialize('Unary'),
        deserialize('Unary'),
        request,
        metadataOf(options),
        callOptions(options),
        (_error, value) => (reply = value),
      );
      return observe(call, () => reply);
    },
    serverStream(request, options = {}) {
      const replies: EchoReply[] = [];
      const call = client.makeServerStreamRequest(
        path('ServerStream'),
        serialize('ServerStream'),
        deserialize('ServerStream'),
        request,
        metadataOf(options),
        callOptions(options),
      );
      call.on('data', (reply: EchoReply) => replies.push(reply));
      call.on('error', () => undefined);
      return observe(call, () => replies);
    },
    clientStream(requests, options = {}) {
      const { call, result } = this.openClientStream(options);
      for (const request of requests) call.write(request);
      call.end();
      return result;
    },
    openClientStream(options = {}) {
      let reply: EchoReply | undefined;
      const call = client.makeClientStreamRequest(
        path('ClientStream'),
        serialize('ClientStream'),
        deserialize('ClientStream'),
        metadataOf(options),
        callOptions(options),
        (_error, value) => (reply = value),
      );
      return { call, result: observe(call, () => reply) };
    },
    openServerStream(request, options = {}) {
      return client.makeServerStreamRequest(
        path('ServerStream'),
        serialize('ServerStream'),
        deserialize('ServerStream'),
        request,
        metadataOf(options),
        callOptions(options),
      );
    },
    bidi(options = {}) {
      return client.makeBidiStreamRequest(
        path('Bidi'),
        serialize('Bidi'),
        deserialize('Bidi'),
        metadataOf(options),
        callOptions(options),
      );
    },
    close: () => client.close(),
  };
}
