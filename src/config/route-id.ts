/**
 * A route's stable identity across reloads: its `name`, or its methods, host and path. State that
 * must survive a reload (counters, caches) and the reload diff are keyed by this.
 */
export function routeId(route: {
  name?: string | undefined;
  path: string;
  methods?: readonly string[] | undefined;
  host?: string | undefined;
}): string {
  return route.name ?? `${route.methods?.join(',') ?? '*'} ${route.host?.toLowerCase() ?? ''}${route.path}`;
}
