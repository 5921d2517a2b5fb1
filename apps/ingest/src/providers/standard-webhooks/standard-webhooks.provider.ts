import {
  STANDARD_WEBHOOKS_ID_HEADER,
  STANDARD_WEBHOOKS_SECRET,
  STANDARD_WEBHOOKS_SIGNATURE_HEADER,
  STANDARD_WEBHOOKS_TIMESTAMP_HEADER,
  verifyStandardWebhooks,
} from '@hub/signing';
import type { Provider } from '../provider.js';
import { standardWebhooksMapping, type StandardWebhooksPayload } from './standard-webhooks.mapping.js';

/** A dotted path into the body, up to ten steps. */
const BODY_PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,9}$/;

/** Any sender of Standard Webhooks (v1): `whsec_` secrets, timestamp within 5 minutes. */
export const standardWebhooks: Provider<StandardWebhooksPayload> = {
  id: 'standard-webhooks',
  name: 'Standard Webhooks',
  settings: {
    event_type_path: {
      default: 'type',
      valid: (v) => BODY_PATH.test(v),
      expected: 'a dotted body path such as type',
    },
    entity_id_path: {
      default: 'data.id',
      valid: (v) => BODY_PATH.test(v),
      expected: 'a dotted body path such as data.id',
    },
    topic: {
      default: 'monitoring',
      valid: (v) => ['projects', 'customers', 'monitoring'].includes(v),
      expected: 'projects, customers or monitoring',
    },
  },
  secret: STANDARD_WEBHOOKS_SECRET,
  // webhook-id is also the delivery key the mapping deduplicates on.
  keptHeaders: [
    STANDARD_WEBHOOKS_ID_HEADER,
    STANDARD_WEBHOOKS_TIMESTAMP_HEADER,
    STANDARD_WEBHOOKS_SIGNATURE_HEADER,
  ],
  secretHeaders: [],
  secretQueryParameters: [],
  verify: (request, secret) => verifyStandardWebhooks(secret, request),
  ...standardWebhooksMapping,
};
