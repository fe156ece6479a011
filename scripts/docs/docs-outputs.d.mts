import type { z } from 'zod';

export interface DocsSources {
  configSchema: z.ZodType;
  /** Field schemas named in the reference instead of by their JSON form, e.g. `{ duration, size }`. */
  fieldTypes: Record<string, z.ZodType>;
  errorCatalogue: Record<string, { status: number; title: string; hint: string }>;
}

/** Each generated file (relative to the repository root) with what it should contain. */
export declare function docsOutputs(sources: DocsSources): Promise<Array<{ file: string; content: string }>>;
