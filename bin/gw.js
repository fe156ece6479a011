#!/usr/bin/env node
// The CLI is an adapter over the programmatic API; everything lives in dist/cli.
const { run } = await import('../dist/cli/index.js');
await run(process.argv);
