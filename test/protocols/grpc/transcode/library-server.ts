import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/**
 * A real @grpc/grpc-js Library server (library.proto) on 127.0.0.1:0 that records each request
 * as grpc-js decoded it (64-bit integers and enums as strings), for the transcoding tests.
 */

export const libraryProto = path.join(path.dirname(fileURLToPath(import.meta.url)), 'library.proto');
const protobufDir = path.dirname(createRequire(import.meta.url).resolve('protobufjs/package.json'));

export interface Received {
  method: string;
  request: Record<string, unknown>;
  metadata: Record<string, unknown>;
  /** The deadline the call arrived with, in ms from its arrival (grpc-timeout); Infinity without. */
  deadlineMs: number;
}

export interface LibraryServer {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

type Call = grpc.ServerUnaryCall<Record<string, unknown>, unknown>;
type Done = grpc.sendUnaryData<unknown>;

/** Calls Library/Ping at `address` (host:port) from a real grpc-js client, as gRPC. */
export async function pingOverGrpc(address: string, text: string): Promise<unknown> {
  const ping = loadLibrary().Ping!;
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  try {
    return await new Promise<unknown>((resolve, reject) =>
      client.makeUnaryRequest(
        ping.path,
        ping.requestSerialize,
        ping.responseDeserialize,
        { text },
        (error: grpc.ServiceError | null, reply?: unknown) => (error ? reject(error) : resolve(reply)),
      ),
    );
  } finally {
    client.close();
  }
}

function loadLibrary(): grpc.ServiceDefinition {
  const definition = protoLoader.loadSync(libraryProto, {
    longs: String,
    enums: String,
    defaults: true,
    includeDirs: [protobufDir],
  });
  return definition['gwtest.library.Library'] as grpc.ServiceDefinition;
}

/** The server's TLS certificate (PEM): it then serves h2 over TLS only. */
export interface LibraryServerTls {
  cert: string;
  key: string;
}

export async function startLibraryServer(tls?: LibraryServerTls): Promise<LibraryServer> {
  const service = loadLibrary();
  const received: Received[] = [];
  const note = (method: string, call: Pick<Call, 'request' | 'metadata' | 'getDeadline'>) => {
    const deadline = call.getDeadline();
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    received.push({
      method,
      request: call.request,
      metadata: call.metadata.getMap(),
      deadlineMs: Number.isFinite(at) ? at - Date.now() : Infinity,
    });
  };
  const failedOnce = new Set<string>();
  const server = new grpc.Server();
  server.addService(service, {
    GetShelf(call: Call, done: Done) {
      note('GetShelf', call);
      const name = String(call.request.name);
      if (name === 'shelves/missing')
        return done({ code: grpc.status.NOT_FOUND, details: 'no shelf missing' });
      if (name === 'shelves/locked') return done({ code: grpc.status.PERMISSION_DENIED, details: 'locked' });
      done(null, { name, bookCount: '9007199254740993', genre: 'FICTION' });
    },
    ListBooks(call: Call, done: Done) {
      note('ListBooks', call);
      done(null, { books: [{ title: 'Dune', pageCount: '412', genre: 'FICTION' }, { title: 'Empty' }] });
    },
    CreateBook(call: Call, done: Done) {
      note('CreateBook', call);
      done(null, call.request.book);
    },
    CreateShelf(call: Call, done: Done) {
      note('CreateShelf', call);
      done(null, call.request);
    },
    WatchShelf(call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) {
      note('WatchShelf', call);
      for (let n = 1; n <= 3; n++) call.write({ title: `chapter ${n}`, pageCount: String(n) });
      if (call.request.name === 'shelves/broken') {
        call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'the shelf fell over' });
        return;
      }
      call.end();
    },
    // Ping's text says how to answer: 'unavailable' (always UNAVAILABLE), 'unavailable-once:<tag>'
    // (UNAVAILABLE the first time for that tag), 'slow:<ms>' (after that long); else a pong.
    Ping(call: Call, done: Done) {
      note('Ping', call);
      const text = String(call.request.text);
      const unavailable = { code: grpc.status.UNAVAILABLE, details: 'try another' };
      if (text === 'unavailable') return done(unavailable);
      if (text.startsWith('unavailable-once:') && !failedOnce.has(text)) {
        failedOnce.add(text);
        return done(unavailable);
      }
      const pong = () => done(null, { text: `pong ${text}`, length: text.length });
      if (text.startsWith('slow:')) setTimeout(pong, Number(text.slice(5)));
      else pong();
    },
  });
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(null, [
        { private_key: Buffer.from(tls.key), cert_chain: Buffer.from(tls.cert) },
      ])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
