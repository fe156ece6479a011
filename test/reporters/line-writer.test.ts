import { spawn } from 'node:child_process';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createLineWriter } from '../../src/reporters/line-writer.js';

describe('request log output', () => {
  it('writes the lines of one event-loop turn in one write, in order', async () => {
    const writes: string[] = [];
    const writer = createLineWriter({ write: (text: string) => writes.push(text), writableLength: 0 });
    writer.write('a');
    writer.write('b');
    await nextTurn();
    writer.write('c');
    await nextTurn();
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('drops and counts lines while the reader is 16 MB behind, and says so once it moves again', async () => {
    const writes: string[] = [];
    const output = { write: (text: string) => writes.push(text), writableLength: 17 * 1024 * 1024 };
    const writer = createLineWriter(output);
    for (const line of ['1', '2', '3']) writer.write(line);
    await nextTurn();
    expect(writes).toEqual([]);
    output.writableLength = 0;
    writer.write('4');
    await nextTurn();
    expect(writes).toEqual(['gw: 3 log lines dropped: the output was not read fast enough\n4\n']);
  });

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
