import path from 'node:path';
import type { Metafile, Plugin } from 'esbuild';
import { createModule } from './node-module.js';

/**
 * Packages in a CommonJS config bundle. The config is evaluated as a plain function (so that the
 * old one can be garbage-collected), which cannot `import` a package; yet a package must be
 * loaded with Node's ES module semantics, as before: ESM conditions of `exports`, the real
 * default export, one shared instance (the same copy of zod as gw's own). So each package a
 * config imports is loaded with a real `import()` before bundling, from the importing file and
 * in the order Node would evaluate them, and the bundle gets a small module in its place that
 * re-exports that namespace.
 */

/** The parameter through which a bundle receives the namespaces of its packages. */
export const packagesParameter = '__gw_packages';

/** esbuild's namespace of the stand-ins; messages name a stand-in "package:<specifier>". */
const namespace = 'package';
/** Marks the nested resolve that asks esbuild whether an import is a package (external). */
const probing = Symbol('gw-package-probe');

type Importer = (specifier: string, options?: ImportCallOptions) => Promise<object>;

/**
 * An `import()` that behaves as if written in `file`: resolved from its folder, with the
 * messages Node gives ("Cannot find package 'x' imported from <file>").
 */
function importerFor(file: string): Importer {
  const module = createModule(file);
  module._compile('module.exports = (specifier, options) => import(specifier, options);', file);
  return module.exports as Importer;
}

/** Namespaces loaded ahead of the bundle, by importing file and specifier. */
export type PreloadedPackages = Map<string, object>;
const keyOf = (importer: string, specifier: string) => `${importer}\0${specifier}`;

/**
 * Imports, one after the other, the packages that the `import` statements of a bundle's local
 * files name, in the order of an ES module graph's evaluation (depth first, each import in turn),
 * from a metafile of the same sources. A package that fails is left out: the bundling that
 * follows imports it again and reports the error at its import.
 */
export async function preloadPackages(
  metafile: Metafile,
  dir: string,
  entry: string,
): Promise<PreloadedPackages> {
  const order: { importer: string; specifier: string; attributes: Record<string, string> | undefined }[] = [];
  const visited = new Set<string>();
  const visit = (input: string) => {
    if (visited.has(input)) return;
    visited.add(input);
    for (const imported of metafile.inputs[input]?.imports ?? []) {
      if (imported.kind !== 'import-statement') continue;
      if (!imported.external) visit(imported.path);
      else
        order.push({
          importer: path.resolve(dir, input),
          specifier: imported.path,
          attributes: imported.with,
        });
    }
  };
  visit(path.relative(dir, entry));
  const importers = new Map<string, Importer>();
  const preloaded: PreloadedPackages = new Map();
  for (const { importer, specifier, attributes } of order) {
    const key = keyOf(importer, specifier);
    if (preloaded.has(key)) continue;
    let importFrom = importers.get(importer);
    if (!importFrom) importers.set(importer, (importFrom = importerFor(importer)));
    try {
      preloaded.set(key, await importFrom(specifier, attributes ? { with: attributes } : undefined));
    } catch {
      // Reported with its place by the bundling.
    }
  }
  return preloaded;
}

/** ES module source that re-exports every name of a loaded namespace. */
function namespaceModule(index: number, loaded: object): string {
  const names = Object.keys(loaded);
  const reads = names.map((name, i) => `const e${i} = ns[${JSON.stringify(name)}];`);
  const exported = names.map((name, i) => `e${i} as ${JSON.stringify(name)}`).join(', ');
  return `const ns = ${packagesParameter}[${index}];\n${reads.join('\n')}\nexport { ${exported} };\n`;
}

/**
 * Bundles a stand-in for every package imported by an `import` statement, its namespace taken from
 * `preloaded` (or imported now); pushes the namespaces to `packages`, in the order the stand-ins
 * index them. `require()` and dynamic `import()` of packages stay external: the bundle's own
 * `require` and `import()` serve them.
 */
export function sharedPackages(packages: object[], preloaded: PreloadedPackages): Plugin {
  return {
    name: 'gw-shared-packages',
    setup(pluginBuild) {
      const importers = new Map<string, Importer>();
      const standIns = new Map<object, string>();
      const indexes = new Map<string, number>();
      pluginBuild.onResolve({ filter: /^[^./#]/ }, async (args) => {
        if (args.kind !== 'import-statement' || args.pluginData === probing || path.isAbsolute(args.path)) {
          return undefined;
        }
        // Let esbuild decide what is a package: tsconfig `paths` and aliases stay local files.
        const resolved = await pluginBuild.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          with: args.with,
          pluginData: probing,
        });
        if (resolved.errors.length > 0 || !resolved.external) return undefined;
        let loaded = preloaded.get(keyOf(args.importer, args.path));
        try {
          if (!loaded) {
            let importer = importers.get(args.importer);
            if (!importer) importers.set(args.importer, (importer = importerFor(args.importer)));
            const attributes = Object.keys(args.with).length > 0 ? { with: args.with } : undefined;
            loaded = await importer(args.path, attributes);
          }
        } catch (error) {
          return {
            errors: [{ text: error instanceof Error ? error.message : String(error), detail: error }],
          };
        }
        let standIn = standIns.get(loaded);
        if (standIn === undefined) {
          // The specifier names the stand-in, unless two folders resolve it to different packages.
          standIn = indexes.has(args.path) ? `${args.path}#${packages.length}` : args.path;
          standIns.set(loaded, standIn);
          indexes.set(standIn, packages.push(loaded) - 1);
        }
        return { path: standIn, namespace };
      });
      pluginBuild.onLoad({ filter: /.*/, namespace }, (args) => {
        const index = indexes.get(args.path)!;
        return { contents: namespaceModule(index, packages[index]!), loader: 'js' };
      });
    },
  };
}

/** Whether a metafile input is one of the stand-ins rather than a file. */
export function isPackageStandIn(input: string): boolean {
  return input.startsWith(`${namespace}:`);
}
