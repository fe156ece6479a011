import Module from 'node:module';

/**
 * Node's CommonJS module object with the two internals gw compiles config code through
 * (`_compile`, `Module._nodeModulePaths`): public in practice (ts-node, esbuild-register use
 * them) but left out of @types/node.
 */
export type CompilableModule = Module & { _compile(code: string, filename: string): unknown };

/** A fresh CommonJS module object for `id` (a file path), ready for `_compile`. */
export function createModule(id: string): CompilableModule {
  return new Module(id) as CompilableModule;
}

/** The node_modules folders a module in `dir` resolves packages from, nearest first. */
export function nodeModulePaths(dir: string): string[] {
  return (Module as typeof Module & { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dir);
}
