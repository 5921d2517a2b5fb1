import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { buildWebhookEvent } from '@hub/contracts';
import { OutboundClient } from '../outbound/outbound.client.js';
import { webhookHeaders } from '../outbound/webhook-request.js';
import { SubscriptionSecrets } from './subscription-secrets.js';
import { SubscriptionRepository, type SubscriptionRow } from './subscription.repository.js';

export const VALIDATE_EVENT_TYPE = 'webhook.validate';

/**
 * The validation handshake: a signed `webhook.validate` event to the endpoint. A 2xx makes the
 * subscription active; anything else leaves it pending with the reason, for the next try.
 */
@Injectable()
export class EndpointValidator {
  constructor(
    private readonly client: OutboundClient,
    private readonly secrets: SubscriptionSecrets,
    private readonly subscriptions: SubscriptionRepository,
  ) {}

  async validate(row: SubscriptionRow): Promise<SubscriptionRow> {
    const id = `msg_${randomBytes(12).toString('base64url')}`;
    const body = JSON.stringify(
      buildWebhookEvent({
        id,
        type: VALIDATE_EVENT_TYPE,
        tenant: row.tenant_id,
        subject: row.id,
        time: new Date().toISOString(),
        data: { subscription_id: row.id, endpoint: row.endpoint },
      }),
    );
    const target = {
      signature_scheme: row.signature_scheme,
      headers: this.secrets.openHeaders(row.tenant_id, row.id, row.headers),
    };
    const headers = webhookHeaders(target, this.secrets.signingSecrets(row), id, body);
    const result = await this.client.post(row.endpoint, headers, body);
    const accepted = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const reason = accepted
      ? null
      : `${VALIDATE_EVENT_TYPE} was not accepted: ${result.statusCode ? `HTTP ${result.statusCode}` : result.error}`;
    const updated = await this.subscriptions.recordValidation(row.tenant_id, row.id, accepted, reason);
    return updated ?? row;
  }
}
