import type { ConsoleConfig } from '../config/console.config.js';

export type AppName = 'ingest' | 'projector' | 'dispatcher';

/**
 * Which app answers each public API path, by its first segment after /v1: the same routing an
 * ingress in front of the three apps does in production, so the page calls one origin and needs
 * no cross-origin access to any app.
 */
export const API_ROUTES: Readonly<Record<string, AppName>> = {
  '/v1/sources': 'ingest',
  '/v1/projects': 'projector',
  '/v1/customers': 'projector',
  '/v1/monitors': 'projector',
  '/v1/tenant': 'projector',
  '/v1/api-keys': 'projector',
  '/v1/fields': 'projector',
  '/v1/changes': 'projector',
  '/v1/bus': 'projector',
  '/v1/subscriptions': 'dispatcher',
  '/v1/deliveries': 'dispatcher',
};

export function upstreamOf(config: ConsoleConfig, app: AppName): string {
  return {
    ingest: config.CONSOLE_INGEST_URL,
    projector: config.CONSOLE_PROJECTOR_URL,
    dispatcher: config.CONSOLE_DISPATCHER_URL,
  }[app];
}
