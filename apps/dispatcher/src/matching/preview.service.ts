import { BadRequestException, Injectable } from '@nestjs/common';
import type { DispatchableEvent } from '@hub/contracts';
import { assertFieldPatterns } from '../subscriptions/subscription.service.js';
import type { PreviewDto } from './dto/preview.dto.js';
import type { PreviewItemView, PreviewView } from './dto/preview.view.js';
import { MatchingService, type Matchable, type MatchPreview } from './matching.service.js';

/** The subscription id a preview's bodies are built for: none is stored. */
export const PREVIEW_SUBSCRIPTION_ID = 'sub_preview';

/** What a subscription would do with some changes, by the code real deliveries go through. */
@Injectable()
export class PreviewService {
  constructor(private readonly matching: MatchingService) {}

  preview(tenantId: string, dto: PreviewDto): PreviewView {
    assertFieldPatterns(dto.subscription, 'subscription.');
    assertOwnChanges(tenantId, dto.changes);
    const subscription: Matchable = {
      tenant_id: tenantId,
      id: PREVIEW_SUBSCRIPTION_ID,
      event_types: dto.subscription.event_types ?? [],
      trigger_fields: dto.subscription.trigger_fields ?? null,
      payload_fields: dto.subscription.payload_fields ?? null,
    };
    return { data: this.matching.preview(dto.changes, subscription).map(toItem) };
  }
}

/** Real matching only ever pairs a tenant's changes with its own subscriptions. */
function assertOwnChanges(tenantId: string, changes: DispatchableEvent[]): void {
  const other = changes.findIndex((change) => change.tenant.toLowerCase() !== tenantId.toLowerCase());
  if (other >= 0) throw new BadRequestException(`changes[${other}].tenant is not this API key's tenant`);
}

function toItem(outcome: MatchPreview, index: number): PreviewItemView {
  const entityId = outcome.event.data['entity_id'];
  return {
    index,
    event_type: outcome.event.type,
    entity_id: typeof entityId === 'string' ? entityId : outcome.event.subject,
    matched: outcome.reason === null,
    reason: outcome.reason,
    body: outcome.delivery ? (JSON.parse(outcome.delivery.body) as Record<string, unknown>) : null,
  };
}
