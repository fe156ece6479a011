import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig, type LoadedConfig } from '../config/load-config.js';
import { GatewayError } from '../errors.js';
import { appendEntries, findLiteral } from './routes-import-source.js';
import {
  keyLiteral,
  quoteLiteral,
  routeLiteral,
  routeObject,
  type ImportedRoute,
} from './routes-import-routes.js';

/** What `--write` did to the config file. */
export interface ImportWrite {
  file: string;
  added: ImportedRoute[];
  /** Routes the config already has (the same path, whatever its param names, and no host): left as they are. */
  present: ImportedRoute[];
  /** Set when the service was not in the config: added with the spec and `mock: 'openapi'`. */
  serviceAdded?: { name: string; openapi: string };
}

/** `/api/pet/:id/` and `/api/pet/:petId` match the same requests: one shape. */
const shapeOf = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p).replace(/\/:[^/]+/g, '/:');

function editFailed(file: string, message: string, hint: string): GatewayError {
  return new GatewayError('GW_CONFIG_EDIT_FAILED', `${file}: ${message}`, { file, hint });
}

/** Writes beside the file, then renames over it: a reader sees the old file or the new one, whole. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  const { mode } = await stat(file);
  try {
    await writeFile(temp, text, { mode });
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

function editSource(
  file: string,
  source: string,
  routes: readonly ImportedRoute[],
  service: { name: string; openapi: string } | undefined,
): string {
  let text = source;
  if (service) {
    const services = findLiteral(text, 'services', '{');
    if (!services)
      throw editFailed(
        file,
        'has no `services: { … }` object to add the service to',
        'Add the service by hand.',
      );
    const entry = `${keyLiteral(service.name)}: { openapi: ${quoteLiteral(service.openapi)}, mock: 'openapi' }`;
    text = appendEntries(text, services, [entry]);
  }
  if (routes.length > 0) {
    const list = findLiteral(text, 'routes', '[');
    if (!list)
      throw editFailed(
        file,
        'has no `routes: [ … ]` array to add to',
        'Paste the routes `gw routes import` prints (without --write) where the config builds its routes.',
      );
    text = appendEntries(text, list, routes.map(routeLiteral));
  }
  return text;
}

function editData(
  file: string,
  source: string,
  routes: readonly ImportedRoute[],
  service: { name: string; openapi: string } | undefined,
): string {
  if (file.endsWith('.json')) {
    const data = JSON.parse(source) as Record<string, unknown>;
    if (service) {
      const services = (data.services ?? {}) as Record<string, unknown>;
      data.services = { ...services, [service.name]: { openapi: service.openapi, mock: 'openapi' } };
    }
    data.routes = [...((data.routes as unknown[] | undefined) ?? []), ...routes.map(routeObject)];
    return JSON.stringify(data, null, 2) + '\n';
  }
  // YAML through its document model, so comments and key order stay.
  const document = parseDocument(source);
  if (service) document.setIn(['services', service.name], { openapi: service.openapi, mock: 'openapi' });
  if (!document.has('routes')) document.set('routes', []);
  for (const route of routes) document.addIn(['routes'], routeObject(route));
  return document.toString();
}

/**
 * Adds the routes the config does not have yet to its file, atomically, and loads the result:
 * if the edited config does not load, the file goes back to what it was and the error says why.
 */
export async function addRoutesToConfig(
  loaded: LoadedConfig,
  routes: readonly ImportedRoute[],
  spec: { service: string; file: string },
): Promise<ImportWrite> {
  const { file, config } = loaded;
  const taken = new Set(config.routes.filter((r) => r.host === undefined).map((r) => shapeOf(r.path)));
  const added = routes.filter((route) => !taken.has(shapeOf(route.path)));
  const present = routes.filter((route) => taken.has(shapeOf(route.path)));
  const relative = path.relative(loaded.dir, spec.file).split(path.sep).join('/');
  const serviceAdded =
    config.services[spec.service] === undefined
      ? { name: spec.service, openapi: relative.startsWith('.') ? relative : `./${relative}` }
      : undefined;
  if (added.length === 0 && !serviceAdded) return { file, added, present };

  const original = await readFile(file, 'utf8');
  const data = /\.(json|ya?ml)$/.test(file);
  const edited = data
    ? editData(file, original, added, serviceAdded)
    : editSource(file, original, added, serviceAdded);
  await writeAtomically(file, edited);
  try {
    await loadConfig({ file });
  } catch (error) {
    await writeAtomically(file, original);
    throw editFailed(
      file,
      `the edited config does not load, so it was left as it was (${error instanceof Error ? error.message : String(error)})`,
      'Paste the routes `gw routes import` prints (without --write) by hand.',
    );
  }
  return { file, added, present, ...(serviceAdded ? { serviceAdded } : {}) };
}
