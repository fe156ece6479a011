import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';

let loaded: typeof Protobuf | undefined;

/**
 * protobufjs, loaded the first time gw reads a proto or converts a message, not when gw starts:
 * a gateway without a gRPC service that has a `proto` never needs it, and importing it costs
 * every `gw dev` start about 130 ms and 10 MB. Required synchronously (it is a CommonJS package,
 * the same instance an import of it gets), so its callers stay synchronous.
 */
export function protobufjs(): typeof Protobuf {
  loaded ??= createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
  return loaded;
}
