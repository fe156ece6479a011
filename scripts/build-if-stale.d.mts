/** The first reason the build in `dir`/dist does not match `dir`/src, or undefined when it does. */
export declare function staleReason(dir?: string): string | undefined;
