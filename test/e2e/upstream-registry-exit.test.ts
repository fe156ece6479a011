import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as bundle } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { useUpstreamCleanup } from '../proxy/upstream-fixtures.js';

/**
 * The upstream registry's health checks hold only unref'd timers and sockets: a process that
 * builds one and never closes it still ends. A child process of its own (a bundle of the
 * registry), so it runs with the end-to-end tests.
 */
const { cleanups, upstreams } = useUpstreamCleanup();

describe('upstream registry', () => {
  it('never keeps the process alive', async () => {
    const [a] = await upstreams(1);
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'gw-unref-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      `import { createUpstreamRegistry } from ${JSON.stringify(join(root, 'src/proxy/upstream-registry.ts'))};
import { createEventStream } from ${JSON.stringify(join(root, 'src/events/event-stream.ts'))};
import { serviceSchema } from ${JSON.stringify(join(root, 'src/config/schema.ts'))};
const svc = serviceSchema.parse({ targets: [${JSON.stringify(a!.url)}], healthCheck: { path: '/health', interval: 50 } });
createUpstreamRegistry({ svc }, { events: createEventStream() });
setTimeout(() => console.log('done'), 200);
`,
    );
    const script = join(dir, 'entry.mjs');
    await bundle({
      entryPoints: [entry],
      outfile: script,
      bundle: true,
      platform: 'node',
      format: 'esm',
      // undici is CommonJS and requires Node's built-ins: the bundle needs a `require`.
      banner: {
        js: "import { createRequire as createBundleRequire } from 'node:module'; const require = createBundleRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    // The registry is never closed: only unref'd timers and sockets let this process end.
    const child = spawn(process.execPath, [script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(() => child.kill());
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(output).toContain('done');
    expect(code).toBe(0);
    expect(a!.hits.filter((path) => path === '/health').length).toBeGreaterThan(0);
  }, 20_000);
});
