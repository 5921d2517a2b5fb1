import { OBSERVER_SIGNATURE_HEADER, RANDOM_SECRET, verifyHmacSha256Hex } from '@hub/signing';
import type { Provider } from '../provider.js';
import { observerMapping, type ObserverEvent } from './observer.mapping.js';

/** Observer: `sha256=<hex HMAC-SHA256 of the body>`; no timestamp, its event id deduplicates. */
export const observer: Provider<ObserverEvent> = {
  id: 'observer',
  name: 'Observer',
  settings: {},
  secret: RANDOM_SECRET,
  keptHeaders: [OBSERVER_SIGNATURE_HEADER.toLowerCase()],
  secretHeaders: [],
  secretQueryParameters: [],
  verify: (request, secret) => verifyHmacSha256Hex(secret, request, OBSERVER_SIGNATURE_HEADER),
  ...observerMapping,
};
