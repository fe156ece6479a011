import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { GatewayError } from '../../src/errors.js';
import { createTempProject, failure, type TempProject } from '../config/temp-project.js';
import { T0 } from './events.js';
import { renderDashboardUnderTest, type DashboardUnderTest } from './harness.js';

let dashboard: DashboardUnderTest;
let project: TempProject;
beforeAll(async () => {
  project = await createTempProject();
});
afterAll(() => project.cleanup());
afterEach(() => dashboard.unmount());

async function rejectedLoad(source: string): Promise<GatewayError> {
  await project.write('gateway.config.ts', source);
  return failure(loadConfig({ cwd: project.dir }));
}

describe('the config banner (issue 15)', () => {
  it('shows a syntax error with its place, a code frame and the hint, naming the file once', async () => {
    // Given a running dashboard
    dashboard = renderDashboardUnderTest({ terminal: { columns: 140, rows: 40 } });
    // When a save leaves the config with a missing bracket
    const error = await rejectedLoad(
      "export default {\n  services: { users: { targets: ['http://127.0.0.1:8001'] } },\n  routes: [\n    { path: '/a', service: 'users' },\n  \n};\n",
    );
    const file = project.path('gateway.config.ts');
    dashboard.emit({ type: 'config-rejected', at: T0 + 1000, file, error });
    const frame = await dashboard.frame();

    // Then the banner shows file:line:col, the failing line under a caret, and the hint
    expect(frame).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:1: Unexpected "}"`));
    expect(frame).toMatch(/> 6 \| };/);
    expect(frame).toMatch(/\| \^/);
    expect(frame).toContain('hint: Fix the syntax or import error shown above.');
    // And the path appears once
    expect(frame.split(file).length - 1).toBe(1);
  });

  it("keeps a misspelt key's did-you-mean and the inner field of a union key", async () => {
    dashboard = renderDashboardUnderTest({ terminal: { columns: 140, rows: 40 } });
    // When the saved config misspells `window` inside rateLimit
    const error = await rejectedLoad(
      "export default {\n  services: { users: { targets: ['http://127.0.0.1:8001'] } },\n  routes: [{ path: '/a', service: 'users', rateLimit: { limit: 5, windw: '10s' } }],\n};\n",
    );
    dashboard.emit({
      type: 'config-rejected',
      at: T0 + 1000,
      file: project.path('gateway.config.ts'),
      error,
    });
    const frame = await dashboard.frame();

    // Then the banner names the field and suggests the right key
    expect(frame).toContain("routes[0].rateLimit.windw: unknown key — did you mean 'window'?");
    expect(frame).toContain('hint: Fix the fields listed above.');
  });
});
