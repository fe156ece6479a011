import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../../src/config/resolve-config.js';
import { isGatewayError, type ConfigProblem } from '../../../../src/errors.js';
import { createProject, type Project } from '../../../helpers/project.js';

/**
 * Proto problems are config problems (issue 13, item 6): `gw check` and every load list them with
 * the other problems, each under its field path — a syntax error at file:line:col, a missing
 * file or import, an annotation naming a field the request message lacks, transcode on a service
 * that is not gRPC.
 */

let project: Project;
beforeAll(async () => {
  project = await createProject();
});
afterAll(() => project.cleanup());

const greeter = (body: string) => `syntax = "proto3";
package gwtest.greeter;
import "google/api/annotations.proto";
import "google/protobuf/timestamp.proto";

service Greeter {
${body}
}

message HelloRequest {
  string name = 1;
  google.protobuf.Timestamp at = 2;
}
message HelloReply { string message = 1; }
`;

async function problemsOf(protoSource: string | undefined, extra: Record<string, unknown> = {}) {
  if (protoSource !== undefined) await project.write('protos/greeter.proto', protoSource);
  const config = {
    services: {
      greeter: {
        targets: ['http://127.0.0.1:50051'],
        protocol: 'grpc',
        proto: './protos/greeter.proto',
        ...extra,
      },
    },
    routes: [{ path: '/v1/*', service: 'greeter', transcode: true }],
  };
  try {
    resolveConfig(config, project.path('gateway.config.json'));
  } catch (error) {
    if (isGatewayError(error) && error.code === 'GW_CONFIG_INVALID') return error.problems;
    throw error;
  }
  return [] as ConfigProblem[];
}

describe('proto problems in the config check', () => {
  it('accepts an annotated proto that imports google/api and a well-known type', async () => {
    const problems = await problemsOf(
      greeter(
        '  rpc SayHello(HelloRequest) returns (HelloReply) { option (google.api.http) = { get: "/v1/hello/{name}" }; }',
      ),
    );
    expect(problems).toEqual([]);
  });

  it('reports a syntax error at file:line:col', async () => {
    const problems = await problemsOf(greeter('  rpc SayHello(HelloRequest) returns HelloReply;'));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('services.greeter.proto');
    expect(problems[0]!.message).toBe(
      `${project.path('protos/greeter.proto')}:7:38: illegal token 'HelloReply', '(' expected`,
    );
  });

  it('reports a path variable and a body naming fields the request message lacks', async () => {
    const problems = await problemsOf(
      greeter(
        '  rpc SayHello(HelloRequest) returns (HelloReply) { option (google.api.http) = { post: "/v1/hello/{nme}" body: "greeting" }; }',
      ),
    );
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      [
        'services.greeter.proto',
        'gwtest.greeter.Greeter.SayHello: the path "/v1/hello/{nme}" names no field nme in HelloRequest',
      ],
      [
        'services.greeter.proto',
        'gwtest.greeter.Greeter.SayHello: body "greeting" names no field greeting in HelloRequest',
      ],
    ]);
  });

  it('reports a missing proto file and a missing import', async () => {
    const missing = await problemsOf(undefined, { proto: './protos/nope.proto' });
    expect(missing[0]?.message).toBe(`no proto file at ${project.path('protos/nope.proto')}`);
    const badImport = await problemsOf(`syntax = "proto3";\nimport "shared/types.proto";\n`);
    expect(badImport[0]?.message).toContain(`no proto file at ${project.path('protos/shared/types.proto')}`);
  });

  it('finds imports in includeDirs', async () => {
    await project.write(
      'vendor/shared/types.proto',
      'syntax = "proto3";\npackage shared;\nmessage Empty {}\n',
    );
    const problems = await problemsOf(
      `syntax = "proto3";\nimport "shared/types.proto";\nservice S { rpc M(shared.Empty) returns (shared.Empty); }\n`,
      { includeDirs: ['./vendor'] },
    );
    expect(problems).toEqual([]);
  });

  it('reports transcode on a service that is not gRPC', () => {
    let problems: readonly ConfigProblem[] = [];
    try {
      resolveConfig({
        services: { web: { targets: ['http://127.0.0.1:8001'] } },
        routes: [{ path: '/v1/*', service: 'web', transcode: true }],
      });
    } catch (error) {
      if (isGatewayError(error)) problems = error.problems;
    }
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: 'routes[0].transcode' });
    expect(problems[0]!.message).toContain("web is protocol: 'http1'");
  });
});
