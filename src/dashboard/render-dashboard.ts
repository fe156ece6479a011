import { loadProductionReact } from './load-production-react.js';
import type { DashboardHandle, DashboardOptions } from './mount-dashboard.js';

export type { DashboardHandle, DashboardOptions } from './mount-dashboard.js';

// Loaded here rather than imported so React comes in as its production build (see the loader).
const { mountDashboard } = await loadProductionReact(() => import('./mount-dashboard.js'));

/**
 * The dashboard's entry point for `gw dev` on a terminal: subscribes to the gateway's events,
 * draws them with Ink at most 10 times a second, and calls `onCrash` (after unmounting) instead
 * of ever throwing into the gateway.
 */
export function renderDashboard(options: DashboardOptions): DashboardHandle {
  return mountDashboard(options);
}
