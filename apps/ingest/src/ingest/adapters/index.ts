import type { ProviderId } from '@hub/contracts';
import { casesolvedAdapter } from './casesolved.adapter.js';
import { observerAdapter } from './observer.adapter.js';
import { opensolarAdapter } from './opensolar.adapter.js';
import type { ProviderAdapter } from './provider-adapter.js';
import { pylonObserverAdapter } from './pylon-observer.adapter.js';
import { solarproofAdapter } from './solarproof.adapter.js';
import { standardWebhooksAdapter } from './standard-webhooks.adapter.js';

export const ADAPTERS: Record<ProviderId, ProviderAdapter> = {
  'pylon-observer': pylonObserverAdapter as ProviderAdapter,
  observer: observerAdapter as ProviderAdapter,
  opensolar: opensolarAdapter as ProviderAdapter,
  casesolved: casesolvedAdapter as ProviderAdapter,
  solarproof: solarproofAdapter as ProviderAdapter,
  'standard-webhooks': standardWebhooksAdapter as ProviderAdapter,
};

export type { MappedDelivery, MappedEvent, ProviderAdapter } from './provider-adapter.js';
