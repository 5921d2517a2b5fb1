import { Counter } from 'prom-client';

/**
 * Per-tenant metrics: a `tenant_id` label only when the operator asked for it
 * (METRICS_TENANT_LABELS), since every tenant multiplies their series. Such a metric is declared
 * at module level like any other, and built once the setting is known (`useTenantLabels`, at
 * start-up), with or without the label: a scrape never sees it both ways.
 */
export class TenantCounter<L extends string> {
  private counter: Counter | undefined;

  constructor(private readonly config: { name: string; help: string; labelNames: readonly L[] }) {
    tenantMetrics.add(this);
    if (tenantLabels !== undefined) this.build(tenantLabels);
  }

  /** Counts for `tenantId` (dropped when tenant labels are off). */
  inc(labels: Record<L, string>, tenantId: string, value = 1): void {
    const counter = this.counter ?? this.build(false);
    counter.inc(tenantLabels ? { ...labels, tenant_id: tenantId } : labels, value);
  }

  /** @internal Built once, when the setting is known (or at the first count, without the label). */
  build(withTenant: boolean): Counter {
    if (this.counter) return this.counter;
    const labelNames = withTenant ? [...this.config.labelNames, 'tenant_id'] : [...this.config.labelNames];
    this.counter = new Counter({ name: this.config.name, help: this.config.help, labelNames });
    return this.counter;
  }
}

const tenantMetrics = new Set<TenantCounter<string>>();
let tenantLabels: boolean | undefined;

/** Called once per thread at start-up, from the settings: builds every per-tenant metric. */
export function useTenantLabels(enabled: boolean): void {
  tenantLabels ??= enabled;
  for (const metric of tenantMetrics) metric.build(tenantLabels);
}
