import { describe, expect, it } from 'vitest';
import { createCli, loadCommands } from '../../src/cli/index.js';

/**
 * `gw --version` and `gw dev` import only what they run (issue 15: first start under 2 s); help
 * and anything that names no command still see every command.
 */
const argv = (...args: string[]) => ['node', 'gw', ...args];
const names = async (...args: string[]) =>
  createCli(await loadCommands(argv(...args))).commands.map((command) => command.name());

describe('the commands gw imports for an invocation', () => {
  it.each([
    [['--version'], []],
    [['-V'], []],
    [['dev', '--demo'], ['dev']],
    [['cert', 'info'], ['cert']],
    [['--help'], ['dev', 'init', 'check', 'routes', 'keys', 'token', 'cert']],
    [[], ['dev', 'init', 'check', 'routes', 'keys', 'token', 'cert']],
    [['deev'], ['dev', 'init', 'check', 'routes', 'keys', 'token', 'cert']],
  ])('gw %j registers %j', async (args, expected) => {
    expect(await names(...args)).toEqual(expected);
  });
});
