// The configurations `npm run bench` measures, as data: each prepares its processes and says
// which URL (and headers) to load. Add a row by adding an entry.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Starts `gw dev` on a JSON config written to the bench's work folder. */
async function startGw(ctx, id, config, extraArgs = []) {
  const dir = path.join(ctx.workDir, id);
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }));
  const file = path.join(dir, 'gateway.config.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  const { port } = await ctx.start(1, process.execPath, [
    path.join(ctx.root, 'bin/gw.js'),
    'dev',
    '--config',
    file,
    '--port',
    '0',
    '--no-dashboard',
    ...extraArgs,
  ]);
  return { port, dir, file };
}

export const setups = [
  {
    id: 'direct',
    name: 'upstream directly',
    async prepare(ctx) {
      return { url: `${ctx.upUrl}/bench` };
    },
  },
  {
    id: 'bare',
    name: 'bare http-proxy-3 + keep-alive agent',
    target: 'baseline (1.00)',
    async prepare(ctx) {
      const { port } = await ctx.start(1, process.execPath, [path.join(ctx.root, 'scripts/bench/bare-proxy.mjs')], {
        UP_PORT: String(ctx.upPort),
      });
      return { url: `http://127.0.0.1:${port}/bench` };
    },
  },
  {
    id: 'gw',
    name: 'gw, route with no policies',
    target: '≥ 0.95 × bare',
    async prepare(ctx) {
      const { port } = await startGw(ctx, 'gw', {
        services: { up: { targets: [ctx.upUrl] } },
        routes: [{ path: '/bench', service: 'up' }],
      });
      return { url: `http://127.0.0.1:${port}/bench` };
    },
  },
];
