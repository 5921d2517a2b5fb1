import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Sets how far the old generation may grow past its last full collection before the next one
 * (HEAP_GROWTH_PERCENT). V8 reads this flag each time it computes the next collection's limit, so
 * setting it at start, before the app's load, takes effect; unlike the young generation's size,
 * which V8 reads only at launch (APP_NODE_FLAGS), it needs no command-line flag, so it holds
 * however the app is started. It is also not one Node accepts in NODE_OPTIONS.
 *
 * Measured under `npm run bench`'s sustained 500 req/s (docs/performance.md, Memory): at 25 the
 * three apps stayed at 133 to 135 MiB resident against 149 to 253 MiB with V8's own factor, at the
 * same CPU per request.
 */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * One full collection once the app has started. Until V8's first full collection its old
 * generation may grow to its initial limit (about 100 MiB here) whatever HEAP_GROWTH_PERCENT says,
 * and an app that started without one first collected under load, at that size; from a full
 * collection on, the limit is what it kept plus the percentage.
 */
export function collectOnceStarted(percent: number): void {
  if (percent <= 0) return;
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
