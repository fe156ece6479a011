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
});
