import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/**
 * A real `gw`-like process logging through the built line writer (dist/) into a pipe nobody reads
 * for a while: a child process of its own, so it runs with the end-to-end tests.
 */
describe('request log output at exit', () => {
  it('lines still queued for a slow reader are not lost when the process exits', async () => {
    // A real process logging through the built writer (as `gw dev` does) into a real pipe that
    // nobody reads for a while, then exiting with process.exit() as `gw dev` does on Ctrl-C.
    const script = `
      import { createLineWriter, drainOutput } from ${JSON.stringify(new URL('../../dist/reporters/line-writer.js', import.meta.url).href)};
      const writer = createLineWriter(process.stdout);
      for (let i = 0; i < 2000; i++) writer.write('line ' + i + ' ' + 'x'.repeat(200));
      writer.flush();
      process.stderr.write('logged\\n');
      await drainOutput(process.stdout, 10_000);
      process.exit(0);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.pause();
    while (!stderr.includes('logged')) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 200));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stdout.resume();
    // 'close': the process ended and its pipes are read to the end.
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2000);
    expect(lines[1999]).toMatch(/^line 1999 x+$/);
  });
});
