import { RANDOM_SECRET, URL_TOKEN_PARAM, verifyUrlToken } from '@hub/signing';
import type { Provider } from '../provider.js';
import { solarproofMapping, type SolarProofPayload } from './solarproof.mapping.js';

/** Solar Proof: the secret as `?token=` in the URL it is given. */
export const solarproof: Provider<SolarProofPayload> = {
  id: 'solarproof',
  name: 'Solar Proof',
  settings: {},
  secret: RANDOM_SECRET,
  keptHeaders: [],
  secretHeaders: [],
  secretQueryParameters: [URL_TOKEN_PARAM],
  // The token is part of the URL, so the full URL can only be shown along with the secret.
  ingestUrl: (url, secret) =>
    `${url}?${URL_TOKEN_PARAM}=${secret ? encodeURIComponent(secret) : '<token shown when the secret was set>'}`,
  verify: (request, secret) => verifyUrlToken(secret, request),
  ...solarproofMapping,
};
