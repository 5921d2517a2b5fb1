import { RANDOM_SECRET, verifyCustomHeader } from '@hub/signing';
import type { Provider } from '../provider.js';
import { opensolarMapping, type OpenSolarPayload } from './opensolar.mapping.js';

const DEFAULT_HEADER = 'Authorization';
/** An RFC 9110 token, as header names are. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;

/** OpenSolar: a header the source names (`settings.header_name`) holds the secret as it is. */
export const opensolar: Provider<OpenSolarPayload> = {
  id: 'opensolar',
  name: 'OpenSolar',
  settings: {
    header_name: {
      default: DEFAULT_HEADER,
      valid: (v) => HEADER_NAME.test(v),
      expected: 'an HTTP header name',
    },
  },
  secret: RANDOM_SECRET,
  keptHeaders: [],
  secretHeaders: [DEFAULT_HEADER.toLowerCase()],
  configuredSecretHeaders: (settings) =>
    settings['header_name'] ? [settings['header_name'].toLowerCase()] : [],
  secretQueryParameters: [],
  verify: (request, secret, settings) =>
    verifyCustomHeader({ headerName: settings['header_name'] ?? DEFAULT_HEADER, value: secret }, request),
  ...opensolarMapping,
};
