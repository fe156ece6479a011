#!/usr/bin/env node
// `prepare` runs on every `npm install` and again each time `npx gw` links this folder into npx's
// cache. A full tsc build takes ~10 s, so it runs only when some file under src/ is newer than
// the dist/ file built from it (or that file is missing), or a tsconfig changed after the build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceExtension = /\.(tsx?|mts)$/;

function mtimeOf(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The first reason the build in dist/ does not match src/, or undefined when it does. */
export function staleReason(dir = root) {
  const configTime = Math.max(
    mtimeOf(path.join(dir, 'tsconfig.json')) ?? 0,
    mtimeOf(path.join(dir, 'tsconfig.build.json')) ?? 0,
  );
  // A packed gw (npm pack, a registry tarball) ships dist/ without src/: nothing to build.
  if (mtimeOf(path.join(dir, 'src')) === undefined) return undefined;
  const pending = [path.join(dir, 'src')];
  let sources = 0;
  while (pending.length) {
    const folder = pending.pop();
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) pending.push(file);
      else if (sourceExtension.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        sources++;
        const relative = path.relative(path.join(dir, 'src'), file);
        const built = path.join(dir, 'dist', relative.replace(/\.mts$/, '.mjs').replace(/\.tsx?$/, '.js'));
        const builtTime = mtimeOf(built);
        if (builtTime === undefined) return `dist/${path.relative(path.join(dir, 'dist'), built)} is missing`;
        if (builtTime < (mtimeOf(file) ?? 0)) return `src/${relative} changed`;
        if (builtTime < configTime) return 'a tsconfig changed';
      }
    }
  }
  return sources === 0 ? 'src/ has no sources' : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const reason = staleReason();
  if (reason === undefined) process.exit(0);
  process.stderr.write(`gw: building dist/ (${reason})\n`);
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exit(result.status ?? 1);
}
