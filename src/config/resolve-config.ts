import path from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { GatewayError } from '../errors.js';
import { checkConfigRules } from './config-rules.js';
import { deepFreeze } from './deep-freeze.js';
import { formatIssues } from './format-issues.js';
import { checkHostPatterns } from './host-rules.js';
import { configSchema, type ResolvedConfig } from './schema.js';
import { checkTlsConfig } from '../tls/user-certificate.js';
import { checkUpstreamTls } from '../proxy/upstream-tls-files.js';
import { checkHealthCheckFields } from '../proxy/health-check-config.js';
import { checkProtoConfig } from '../protocols/grpc/proto/service-protos.js';

/** In file order: `routes[2]` before `routes[10]`, schema and cross-field problems together. */
function byPath(a: ConfigProblem, b: ConfigProblem): number {
  return a.path.localeCompare(b.path, 'en', { numeric: true });
}

/**
 * Validates a raw config (from a file or from code) and returns it parsed, defaulted and deeply
 * frozen; throws GW_CONFIG_INVALID listing every problem at once, each with its field path.
 */
export function resolveConfig(raw: unknown, file = '(inline config)'): ResolvedConfig {
  const parsed = configSchema.safeParse(raw);
  const problems = [
    ...(parsed.success ? [] : formatIssues(parsed.error.issues, raw, configSchema)),
    ...checkConfigRules(parsed.success ? parsed.data : raw),
    ...checkHostPatterns(parsed.success ? parsed.data : raw),
    // Certificate files are relative to the config file (inline configs: the working folder).
    ...checkTlsConfig(
      parsed.success ? parsed.data : raw,
      path.isAbsolute(file) ? path.dirname(file) : process.cwd(),
    ),
    // Proto files, like certificates, are relative to the config file.
    ...checkProtoConfig(
      parsed.success ? parsed.data : raw,
      path.isAbsolute(file) ? path.dirname(file) : process.cwd(),
    ),
    // A service's `tls` files too; what is read is kept for the build (upstream-tls-files.ts).
    ...checkUpstreamTls(
      parsed.success ? parsed.data : raw,
      path.isAbsolute(file) ? path.dirname(file) : process.cwd(),
    ),
    ...checkHealthCheckFields(parsed.success ? parsed.data : raw),
  ].sort(byPath);
  if (!parsed.success || problems.length > 0) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new GatewayError('GW_CONFIG_INVALID', `${file} has ${count}`, { file, problems });
  }
  return deepFreeze(parsed.data);
}
