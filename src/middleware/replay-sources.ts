import path from 'node:path';
import { GatewayError } from '../errors.js';
import type { ResolvedConfig, ResolvedService } from '../config/schema.js';
import type { BuildContext } from '../pipeline/types.js';
import { openRecordingStore, type RecordingStore } from '../observe/recording-store.js';
import type { MatchRules } from '../observe/recording.js';

/**
 * Where a service records to and replays from, resolved once per config load: the service's own
 * `record` / `replay.dir` (relative to the config), else the folder `gw dev --record/--replay DIR`
 * passed down as GW_RECORD_DIR / GW_REPLAY_DIR, one subfolder per service.
 */
export interface ReplaySources {
  rules: MatchRules;
  onMiss: 'fail' | 'forward';
  /** How fast streamed recordings replay (1: as recorded, 0: no delays). */
  speed: number;
  record?: RecordingStore;
  replay?: RecordingStore;
  /** The recordings `fallback: 'replay'` answers from while the upstream is down. */
  fallback?: RecordingStore;
}

/** One store per folder per config load, shared by every route of the service. */
const storesByLoad = new WeakMap<ResolvedConfig, Map<string, RecordingStore>>();

function storeFor(build: BuildContext, dir: string, rules: MatchRules): RecordingStore {
  let stores = storesByLoad.get(build.config);
  if (!stores) storesByLoad.set(build.config, (stores = new Map()));
  let store = stores.get(dir);
  if (!store) stores.set(dir, (store = openRecordingStore(dir, rules)));
  return store;
}

function folder(build: BuildContext, own: string | undefined, cli: string | undefined, name: string) {
  if (own !== undefined) return path.resolve(build.configDir, own);
  return cli ? path.join(path.resolve(cli), name) : undefined;
}

export function replaySources(
  build: BuildContext,
  name: string,
  service: ResolvedService,
  env: NodeJS.ProcessEnv = process.env,
): ReplaySources | undefined {
  const options = service.replay;
  const rules: MatchRules = {
    ignoreQuery: new Set(options?.ignoreQuery ?? []),
    ignoreBody: options?.ignoreBody ?? [],
  };
  const recordDir = folder(build, service.record, env.GW_RECORD_DIR, name);
  const replayDir = folder(build, options?.dir, env.GW_REPLAY_DIR, name);
  const wantsFallback = service.fallback === 'replay';
  if (!recordDir && !replayDir && !wantsFallback) return undefined;
  const record = recordDir ? storeFor(build, recordDir, rules) : undefined;
  const replay = replayDir ? storeFor(build, replayDir, rules) : undefined;
  if (wantsFallback && !record && !replay) {
    throw new GatewayError(
      'GW_CONFIG_INVALID',
      `Service ${name} says fallback: 'replay' but has no recordings to replay`,
      {
        problems: [
          {
            path: `services.${name}.fallback`,
            message: "fallback: 'replay' needs a folder of recordings",
            expected:
              "record: './fixtures/<service>' or replay: { dir } on the service (or gw dev --record/--replay)",
          },
        ],
      },
    );
  }
  return {
    rules,
    onMiss: options?.onMiss ?? 'fail',
    speed: options?.speed ?? 1,
    record,
    // With fallback: 'replay' the service's recordings answer only while the upstream is down;
    // `gw dev --replay DIR` still means "work offline" for every service.
    replay: wantsFallback && options?.dir !== undefined ? undefined : replay,
    fallback: wantsFallback ? (replay ?? record) : undefined,
  };
}
