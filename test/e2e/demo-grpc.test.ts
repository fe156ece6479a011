import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { listeningLine, spawnGw, type GwProcess } from '../helpers/gw-process.js';
import { repoRoot } from '../helpers/project.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** Runs a printed command the way a user pastes it: in a shell, pipes included (curl, base64, tr). */
function runInShell(command: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('bash', ['-c', `set -o pipefail; ${command}`], { timeout: 15_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command}\n${stderr}`, { cause: error })) : resolve(stdout),
    ),
  );
}

describe('gw dev --demo: the gRPC greeter', { timeout: 60_000 }, () => {
  it('answers every gRPC command it prints: JSON, an NDJSON stream, gRPC-Web text and gRPC over h2c', async () => {
    const demo: GwProcess = spawnGw(['dev', '--demo', '--no-dashboard', '--port', '0'], { cwd: repoRoot });
    cleanup.push(() => demo.stop());
    const [, url] = await demo.waitForOutput(listeningLine);
    await demo.waitForOutput(/application\/grpc'/);
    const printed = demo.stdout().split('\n');
    const start = printed.findIndex((line) => line.startsWith('gRPC greeter'));
    expect(start).toBeGreaterThan(0);
    const commands = printed
      .slice(start + 1)
      .map((line) => line.trim())
      .filter((line) => line.startsWith('curl ') || line.startsWith('printf '));
    expect(commands).toHaveLength(5);
    for (const command of commands) expect(command).toContain(url!);
    const [json, posted, stream, grpcWeb, grpc] = await Promise.all(commands.map(runInShell));

    expect(JSON.parse(json!)).toEqual({ message: 'Hello, alice!', index: 0 });
    expect(JSON.parse(posted!)).toEqual({ message: 'Hello, bob!', index: 0 });
    expect(
      stream!
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([1, 2, 3].map((n) => ({ message: `Hello, alice! (${n}/3)`, index: n - 1 })));
    // The decoded gRPC-Web answer: the reply frame, then the trailer frame with the status.
    expect(grpcWeb).toContain('Hello, alice!');
    expect(grpcWeb).toMatch(/grpc-status:0\b/);
    // curl -i over HTTP/2 with prior knowledge: the gRPC head, the framed reply, the trailers.
    expect(grpc).toMatch(/^HTTP\/2 200/);
    expect(grpc).toMatch(/content-type: application\/grpc/);
    expect(grpc).toContain('Hello, alice!');
    expect(grpc).toMatch(/grpc-status: 0\b/);
  });
});
