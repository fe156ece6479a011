// Loaded into a gw child with NODE_OPTIONS=--import=…: on exit, writes every module the process
// loaded to the file named by GW_MODULE_TRACE (JSON array of file URLs and paths). ES modules are
// seen by a resolve hook (module.register, in the loader's own thread, reporting over a port);
// CommonJS ones by require.cache, which modules loaded with require (createRequire too) fill.
import { createRequire, register } from 'node:module';
import { writeFileSync } from 'node:fs';
import { MessageChannel } from 'node:worker_threads';

const resolved = new Set();
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => resolved.add(url));
port1.unref();
register('./module-trace-hooks.mjs', import.meta.url, { data: { port: port2 }, transferList: [port2] });

const require = createRequire(import.meta.url);
process.on('exit', () => {
  writeFileSync(process.env.GW_MODULE_TRACE, JSON.stringify([...resolved, ...Object.keys(require.cache)]));
});
