/**
 * The only module that reads `import.meta.env`. Every value is optional: in production the API serves
 * this bundle on its own origin, so relative URLs are right. Malformed values throw at start-up.
 */

function readNumber(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`dashboard config: ${name} must be a number ≥ ${min}, got "${raw}"`);
  return value;
}

function readBaseUrl(raw: string | undefined): string {
  if (raw === undefined || raw === '') return '';
  if (!/^https?:\/\/[^/]+/.test(raw)) throw new Error(`dashboard config: VITE_API_BASE_URL must be an http(s) origin, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

const env = import.meta.env;

export interface DashboardConfig {
  /** Origin of the API; '' means same origin (the production setup and the dev proxy). */
  apiBaseUrl: string;
  /** How often the health banner polls `/api/health`. */
  healthPollMs: number;
  /** Fallback polling of a running pipeline, on top of the socket events. */
  pipelinePollMs: number;
  /** Page size of the models list. */
  pageSize: number;
  /** How often device and rollout pages refresh (rollouts also follow socket events). */
  fleetPollMs: number;
}

export const config: DashboardConfig = {
  apiBaseUrl: readBaseUrl(env.VITE_API_BASE_URL),
  healthPollMs: readNumber('VITE_HEALTH_POLL_MS', env.VITE_HEALTH_POLL_MS, 10_000, 1_000),
  pipelinePollMs: readNumber('VITE_PIPELINE_POLL_MS', env.VITE_PIPELINE_POLL_MS, 3_000, 500),
  pageSize: readNumber('VITE_PAGE_SIZE', env.VITE_PAGE_SIZE, 20, 1),
  fleetPollMs: readNumber('VITE_FLEET_POLL_MS', env.VITE_FLEET_POLL_MS, 5_000, 500),
};
