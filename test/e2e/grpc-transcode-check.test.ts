import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGw } from '../helpers/gw-process.js';
import { createProject, repoRoot, type Project } from '../helpers/project.js';

/** `gw check` lists proto problems with the config's others (issue 13, item 6). */

let project: Project;
beforeAll(async () => {
  project = await createProject();
});
afterAll(() => project.cleanup());

const brokenProto = `syntax = "proto3";
package gwtest.greeter;
import "google/api/annotations.proto";

service Greeter {
  rpc SayHello(HelloRequest) returns (HelloReply) { option (google.api.http) = { get: "/v1/hello/{nme}" }; }
  rpc SayBye(HelloRequest) returns HelloReply;
}
`;

describe('gw check', { timeout: 60_000 }, () => {
  it('lists proto problems with the others, in the all-problems format', async () => {
    if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'index.js')))
      throw new Error('dist/ is missing: run `npm run build` first');
    await project.write('protos/greeter.proto', brokenProto);
    await project.write(
      'gateway.config.ts',
      `export default {
  services: {
    greeter: { targets: ['http://127.0.0.1:50051'], protocol: 'grpc', proto: './protos/greeter.proto' },
    web: { targets: ['http://127.0.0.1:8001'] },
  },
  routes: [{ path: '/v1/*', service: 'greeter', transcode: true }, { path: '/web/*', service: 'web', transcode: true }],
};\n`,
    );
    const result = await runGw(['check'], { cwd: project.dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('GW_CONFIG_INVALID');
    expect(result.stderr).toContain(
      `  • services.greeter.proto: ${project.path('protos/greeter.proto')}:7:36: illegal token 'HelloReply', '(' expected`,
    );
    expect(result.stderr).toContain(
      "  • routes[1].transcode: transcode needs a gRPC service with a proto, and web is protocol: 'http1'",
    );
  });
});
