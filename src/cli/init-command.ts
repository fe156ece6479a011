import { access, appendFile, copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { GatewayError } from '../errors.js';

const template = fileURLToPath(new URL('../../templates/gateway.config.ts', import.meta.url));

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write gateway.config.ts here (from templates/) and git-ignore .gw/')
    .option('-f, --force', 'overwrite an existing gateway.config.ts')
    .action(async (flags: { force?: boolean }) => {
      const cwd = process.cwd();
      const target = path.join(cwd, 'gateway.config.ts');
      if ((await exists(target)) && !flags.force) {
        throw new GatewayError('GW_TEMPLATE_EXISTS', `${target} already exists`);
      }
      await copyFile(template, target);
      // .gw/ holds hashed keys and signing secrets: never commit it.
      const gitignore = path.join(cwd, '.gitignore');
      const current = (await exists(gitignore)) ? await readFile(gitignore, 'utf8') : '';
      if (!current.split(/\r?\n/).some((line) => line.trim() === '.gw/' || line.trim() === '.gw')) {
        await appendFile(gitignore, `${current && !current.endsWith('\n') ? '\n' : ''}.gw/\n`);
      }
      process.stdout.write(`✔ wrote ${target} and added .gw/ to .gitignore\n  next: npx gw dev\n`);
    });
}
