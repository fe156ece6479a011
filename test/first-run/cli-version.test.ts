import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { createCli } from '../../src/cli/index.js';

const savedVersion = process.env.npm_package_version;
afterEach(() => {
  if (savedVersion === undefined) delete process.env.npm_package_version;
  else process.env.npm_package_version = savedVersion;
});

async function printedVersion(): Promise<string> {
  let out = '';
  const cli = createCli().configureOutput({ writeOut: (text) => (out += text) });
  await expect(cli.parseAsync(['node', 'gw', '--version'])).rejects.toBeInstanceOf(CommanderError);
  return out.trim();
}

describe('gw --version', () => {
  it("prints gw's own version, not the version of the project it runs in", async () => {
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    // What `npm run` and `npx` set inside a user's project.
    process.env.npm_package_version = '9.9.9-users-project';
    expect(await printedVersion()).toBe(manifest.version);
  });
});
