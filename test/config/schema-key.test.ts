import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { createTempProject, failure, type TempProject } from './temp-project.js';

/**
 * JSON and YAML configs name their JSON Schema in a top-level `$schema` key for editor
 * completion (issue 15); gw accepts it and ignores it, while other unknown keys stay errors.
 */
const shipped = './node_modules/gw/gateway.config.schema.json';
const body = {
  services: { users: { targets: ['http://127.0.0.1:8001'] } },
  routes: [{ path: '/users', service: 'users' }],
};

let project: TempProject | undefined;
afterEach(async () => {
  await project?.cleanup();
  project = undefined;
});

describe('the $schema key of a JSON or YAML config', () => {
  it.each([
    ['gateway.config.json', JSON.stringify({ $schema: shipped, ...body }, null, 2)],
    [
      'gateway.config.yaml',
      `$schema: ${shipped}\nservices:\n  users: { targets: ['http://127.0.0.1:8001'] }\nroutes:\n  - { path: /users, service: users }\n`,
    ],
  ])('loads %s that names the shipped schema', async (file, source) => {
    project = await createTempProject({ [file]: source });
    const { config } = await loadConfig({ cwd: project.dir });
    expect(config.routes.map((route) => route.path)).toEqual(['/users']);
  });

  it('points at a JSON Schema that itself allows $schema (else editors flag the line)', async () => {
    project = await createTempProject();
    const schema = JSON.parse(await readFile(project.path(shipped), 'utf8')) as {
      additionalProperties?: boolean;
      properties: Record<string, { type?: string }>;
    };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.$schema?.type).toBe('string');
  });

  it('is a string: another type is GW_CONFIG_INVALID naming $schema', async () => {
    project = await createTempProject({ 'gateway.config.json': JSON.stringify({ $schema: 7, ...body }) });
    const error = await failure(loadConfig({ cwd: project.dir }));
    expect(error.code).toBe('GW_CONFIG_INVALID');
    expect(error.problems.map((problem) => problem.path)).toEqual(['$schema']);
  });
});
