import {
  PYLON_OBSERVER_SIGNATURE_HEADER,
  PYLON_OBSERVER_TIMESTAMP_HEADER,
  RANDOM_SECRET,
  verifyPylonObserver,
} from '@hub/signing';
import type { Provider } from '../provider.js';
import { pylonObserverMapping, type PylonBatch } from './pylon-observer.mapping.js';

/** Pylon Observer: hex HMAC-SHA256 over body and timestamp, the timestamp within 60 s. */
export const pylonObserver: Provider<PylonBatch> = {
  id: 'pylon-observer',
  name: 'Pylon Observer',
  settings: {},
  secret: RANDOM_SECRET,
  // The timestamp is the batch's send time in the mapping, and both are needed to verify again.
  keptHeaders: [PYLON_OBSERVER_SIGNATURE_HEADER, PYLON_OBSERVER_TIMESTAMP_HEADER].map((h) => h.toLowerCase()),
  secretHeaders: [],
  secretQueryParameters: [],
  verify: (request, secret) => verifyPylonObserver(secret, request),
  ...pylonObserverMapping,
};
