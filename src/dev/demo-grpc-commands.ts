/**
 * The commands `gw dev --demo` prints for its gRPC greeter, runnable with curl alone (grpcurl is
 * rarely installed): JSON through the transcode route, gRPC-Web in its base64 text form, and
 * gRPC itself over cleartext HTTP/2 with prior knowledge. The request message is written out as
 * bytes, a gRPC frame (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md): flag 0,
 * length 7, then HelloRequest { name: "alice" } (field 1, length 5).
 */
const FRAME_BASE64 = 'AAAAAAcKBWFsaWNl';
const FRAME_PRINTF = String.raw`printf '\0\0\0\0\7\n\5alice'`;
/** Frames are binary: show their printable bytes (the message, then grpc-status; curl -i shows trailers). */
const READABLE = `tr -c '[:print:]\\n' .`;

export function grpcDemoCommands(url: string): string[] {
  const method = `${url}/helloworld.Greeter/SayHello`;
  return [
    'gRPC greeter (helloworld.Greeter, proto in templates/demo/protos/greeter.proto):',
    `  curl ${url}/v1/greeter/alice`,
    `  curl -X POST ${url}/v1/greeter -H 'content-type: application/json' -d '{"name":"bob"}'`,
    `  curl '${url}/v1/greeter/alice/stream?times=3'      # server stream as NDJSON`,
    `  curl -s ${method} -H 'content-type: application/grpc-web-text' -d '${FRAME_BASE64}' | base64 -d | ${READABLE}`,
    `  ${FRAME_PRINTF} | curl -si --http2-prior-knowledge ${method} -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @- | ${READABLE}`,
  ];
}
