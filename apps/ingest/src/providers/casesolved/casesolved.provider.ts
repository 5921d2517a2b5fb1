import { RANDOM_SECRET, SHARED_SECRET_HEADER, verifySharedSecretHeader } from '@hub/signing';
import type { Provider } from '../provider.js';
import { casesolvedMapping, type CaseSolvedEvent } from './casesolved.mapping.js';

/** CaseSolved: the secret itself in `X-Webhook-Secret`. */
export const casesolved: Provider<CaseSolvedEvent> = {
  id: 'casesolved',
  name: 'CaseSolved',
  settings: {},
  secret: RANDOM_SECRET,
  keptHeaders: [],
  secretHeaders: [SHARED_SECRET_HEADER.toLowerCase()],
  secretQueryParameters: [],
  verify: (request, secret) => verifySharedSecretHeader(secret, request),
  ...casesolvedMapping,
};
