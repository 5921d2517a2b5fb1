/** What adds fields to every later line of the request being served (nestjs-pino's PinoLogger). */
export interface RequestFields {
  assign(fields: Record<string, unknown>): void;
}

let requestFields: RequestFields | undefined;

/**
 * Set once per thread by the app's logging set-up. Kept here, not beside nestjs-pino's wiring in
 * the runtime, so that libraries below the runtime (tenancy's API-key guard) can name the tenant.
 */
export function useRequestFields(target: RequestFields): void {
  requestFields = target;
}

/**
 * Adds `tenant_id` to every later line of the request being served; call it once per request,
 * where the tenant becomes known. Outside a request (a consumer's batch, a worker's loop) it does
 * nothing: those lines name their tenant themselves.
 */
export function logTenant(tenantId: string): void {
  try {
    requestFields?.assign({ tenant_id: tenantId });
  } catch {
    // Outside a request: there is no request's logger to add the field to.
  }
}
