import { Gauge, register } from 'prom-client';

const NAME = 'hub_ready';

/**
 * `hub_ready`: 1 while the app is ready, 0 otherwise, by the same checks as /health/ready, run at
 * each scrape, so that Prometheus can alert on an app that is up but not ready.
 */
export function exposeReadiness(check: () => Promise<{ ready: boolean }>): void {
  // One per thread's registry: an app built again in the same thread replaces its check.
  register.removeSingleMetric(NAME);
  new Gauge({
    name: NAME,
    help: 'Whether the app is ready (1) or not (0): database, bus, every consumer lane, not shutting down.',
    async collect() {
      this.set((await check()).ready ? 1 : 0);
    },
  });
}
