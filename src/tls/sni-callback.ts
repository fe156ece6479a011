import { createSecureContext, type SecureContext } from 'node:tls';
import { createHostMatcher, isHostName } from '../pipeline/host-pattern.js';
import { loadOrIssueLeaf, DEFAULT_LEAF_NAMES, type Leaf } from './leaf-store.js';
import { loadOrCreateCa, type LocalCa } from './local-ca.js';
import { tlsPaths, type TlsPaths } from './tls-home.js';

/**
 * Certificates for `tls: true`: one default leaf (localhost, *.localhost, 127.0.0.1, ::1) for
 * clients without SNI, and one leaf per exact name a client asks for, issued on first use.
 * Chromium and Node refuse `*.localhost` for `app.localhost` (they treat a wildcard directly
 * under a reserved top-level name like `*.com`), hence a leaf that names the host itself.
 */

export interface LocalCertificatesOptions {
  /** GW_HOME (default ~/.gw) is read from here. */
  env?: NodeJS.ProcessEnv;
  /** Names beyond localhost and *.localhost to issue for: tls.hosts and routes[].host patterns. */
  hosts?: readonly string[];
  /** The clock for validity and renewal (tests pass a fake one; the crypto stays real). */
  now?: () => Date;
  /** Most leaves held at once; a client inventing names past it gets the default leaf. */
  maxLeaves?: number;
  /** A leaf could not be issued: the client got the default one. */
  onError?: (name: string, error: unknown) => void;
}

export type SniCallback = (
  servername: string,
  cb: (error: Error | null, ctx?: SecureContext) => void,
) => void;

export interface LocalCertificates {
  readonly SNICallback: SniCallback;
  /** The default leaf now (for `cert`/`key` of the server and `setSecureContext` after renewal). */
  defaultCertificate(): { cert: string; key: string };
  defaultContext(): SecureContext;
  readonly ca: LocalCa;
  readonly paths: TlsPaths;
  /** Resolves with the leaf a name is served with (issuing or renewing it when due). */
  leafFor(servername: string): Promise<Leaf>;
}

interface Entry {
  leaf: Leaf;
  context: SecureContext;
}

const DEFAULT_KEY = DEFAULT_LEAF_NAMES[0];

export async function createSniCallback(options: LocalCertificatesOptions = {}): Promise<LocalCertificates> {
  const now = options.now ?? (() => new Date());
  const maxLeaves = options.maxLeaves ?? 1000;
  const paths = tlsPaths(options.env);
  const ca = await loadOrCreateCa(paths, now());
  const eligible = createHostMatcher(['*.localhost', ...(options.hosts ?? [])]);
  const entries = new Map<string, Entry>();
  const pending = new Map<string, Promise<Entry>>();

  /** The leaf's key: the SNI name itself, or the default leaf for anything gw does not issue for. */
  function keyOf(servername: string): string {
    const name = servername.toLowerCase().replace(/\.$/, '');
    if (name === DEFAULT_KEY || !isHostName(name) || !eligible(name)) return DEFAULT_KEY;
    return name;
  }

  function obtain(key: string): Promise<Entry> {
    let promise = pending.get(key);
    if (!promise) {
      const names = key === DEFAULT_KEY ? DEFAULT_LEAF_NAMES : [key];
      promise = loadOrIssueLeaf({ paths, ca, names, now: now() })
        .then((leaf) => {
          const entry = { leaf, context: createSecureContext({ cert: leaf.cert, key: leaf.key }) };
          entries.set(key, entry);
          return entry;
        })
        .finally(() => pending.delete(key));
      pending.set(key, promise);
    }
    return promise;
  }

  const fallback = await obtain(DEFAULT_KEY);
  const current = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    return entry && now().getTime() < entry.leaf.renewAt ? entry : undefined;
  };

  return {
    ca,
    paths,
    defaultCertificate: () => {
      const { leaf } = entries.get(DEFAULT_KEY) ?? fallback;
      return { cert: leaf.cert, key: leaf.key };
    },
    defaultContext: () => (entries.get(DEFAULT_KEY) ?? fallback).context,
    async leafFor(servername) {
      const key = keyOf(servername);
      return (current(key) ?? (await obtain(key))).leaf;
    },
    SNICallback(servername, cb) {
      let key = keyOf(servername);
      if (key !== DEFAULT_KEY && !entries.has(key) && entries.size >= maxLeaves) key = DEFAULT_KEY;
      const ready = current(key);
      if (ready) return cb(null, ready.context);
      obtain(key).then(
        (entry) => cb(null, entry.context),
        (error: unknown) => {
          options.onError?.(key, error);
          cb(null, (entries.get(DEFAULT_KEY) ?? fallback).context);
        },
      );
    },
  };
}
