import type { EntityWrite } from '../../apps/projector/src/projection/projection.repository.js';

/** One entity write as the projection service makes it. */
export function entityWrite(
  tenantId: string,
  id: string,
  document: Record<string, unknown>,
  changes: Partial<EntityWrite> = {},
): EntityWrite {
  return {
    tenantId,
    id,
    provider: 'pylon',
    sources: ['/sources/src_medium'],
    document,
    documentJson: JSON.stringify(document),
    version: 1,
    typed: {},
    providerUpdatedAt: '2026-01-01T00:00:00.000Z',
    eventTime: '2026-01-01T00:00:00.000Z',
    ...changes,
  };
}
