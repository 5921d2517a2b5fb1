import type { ProviderId } from '@hub/contracts';
import { casesolved } from './casesolved/casesolved.provider.js';
import { observer } from './observer/observer.provider.js';
import { opensolar } from './opensolar/opensolar.provider.js';
import type { Provider } from './provider.js';
import { pylonObserver } from './pylon-observer/pylon-observer.provider.js';
import { solarproof } from './solarproof/solarproof.provider.js';
import { standardWebhooks } from './standard-webhooks/standard-webhooks.provider.js';

/**
 * Every provider ingest takes webhooks from, one line each; typed by the ids in @hub/contracts, so
 * a provider id without its folder (or a folder without its id) does not compile. docs/providers.md
 * documents each one (registry.spec.ts holds the two together).
 */
export const PROVIDER_REGISTRY: Record<ProviderId, Provider> = {
  'pylon-observer': pylonObserver,
  observer,
  opensolar,
  casesolved,
  solarproof,
  'standard-webhooks': standardWebhooks,
};

export function providerOf(id: ProviderId): Provider {
  return PROVIDER_REGISTRY[id];
}
