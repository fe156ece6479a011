import { defineConfig } from 'vitest/config';

/**
 * Tests that need something beyond Node itself: a redis-server, a browser (chromium), a real
 * terminal (tmux), or a `gw` child process. `npm run test:e2e` runs them; everything else is a
 * unit test (`npm run test:unit`, a few seconds, nothing to install). A new test of that kind goes
 * under test/e2e/ or into this list.
 */
const e2e = [
  'test/e2e/**/*.test.{ts,tsx}',
  'test/state/redis/*.test.ts',
  'test/errors-catalogue.test.ts',
  'test/cli/check-command.test.ts',
];

export default defineConfig({
  test: {
    // End-to-end tests start real processes and servers; give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: e2e,
          // Unit tests share each worker's module graph (zod, the schema, ink are imported once
          // per worker, not once per file): most of the unit run was spent importing them again.
          pool: 'threads',
          isolate: false,
          // Ink decides once per worker, at import, whether it runs under CI (and then holds every
          // frame back until exit). With a shared module graph that happens before any one file
          // could say otherwise, so unit tests run as in a developer's terminal; gw child
          // processes get CI from test/helpers/gw-process.ts, as gw dev under CI would.
          env: { CI: 'false', CONTINUOUS_INTEGRATION: 'false' },
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: e2e },
      },
    ],
  },
});
