/**
 * React's development build does several times more work per render (checks, warnings, timing
 * logs), and the dashboard draws on the gateway's own thread. React chooses its build from
 * NODE_ENV when first loaded, so NODE_ENV is set only while the view's modules load, and only
 * when the user has not set it; their own code sees NODE_ENV as they left it.
 */
export async function loadProductionReact<T>(load: () => Promise<T>): Promise<T> {
  const unset = process.env.NODE_ENV === undefined;
  if (unset) process.env.NODE_ENV = 'production';
  try {
    return await load();
  } finally {
    if (unset) delete process.env.NODE_ENV;
  }
}
