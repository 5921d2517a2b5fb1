import { STANDARD_WEBHOOKS_ID_HEADER, type InboundRequest } from '@hub/signing';
import type { CanonicalTopic } from '@hub/contracts';
import { optionalId, optionalString, unmappable } from '../mapping-fields.js';
import type { MappedDelivery, ProviderMapping } from '../provider.js';

/** Any JSON object; the source's settings say where its type and entity id are. */
export class StandardWebhooksPayload {
  [field: string]: unknown;
}

export const standardWebhooksMapping: ProviderMapping<StandardWebhooksPayload> = {
  payload: StandardWebhooksPayload,
  map: (payload, request, source) => mapStandardWebhooks(payload, request, source.settings),
};

export function mapStandardWebhooks(
  payload: StandardWebhooksPayload,
  request: InboundRequest,
  settings: Record<string, string>,
): MappedDelivery {
  const typePath = settings['event_type_path'] ?? 'type';
  const idPath = settings['entity_id_path'] ?? 'data.id';
  const type = optionalString(at(payload, typePath));
  if (!type || !/^[A-Za-z0-9._-]{1,100}$/.test(type)) {
    throw unmappable(`${typePath} must hold the event type ([A-Za-z0-9._-], up to 100 characters)`);
  }
  const entityId = optionalId(at(payload, idPath), idPath);
  if (!entityId) throw unmappable(`${idPath} must hold the id of the entity the event is about`);
  const header = request.headers[STANDARD_WEBHOOKS_ID_HEADER];
  const webhookId = Array.isArray(header) ? header[0] : header;
  return {
    kind: 'events',
    ...(webhookId ? { deliveryId: webhookId } : {}),
    events: [
      {
        topic: (settings['topic'] ?? 'monitoring') as CanonicalTopic,
        type,
        externalId: entityId,
        data: { external_id: entityId, payload },
      },
    ],
  };
}

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => {
    if (!node || typeof node !== 'object' || Array.isArray(node) || !Object.hasOwn(node, key))
      return undefined;
    return (node as Record<string, unknown>)[key];
  }, value);
}
