import { randomUUID } from 'node:crypto';
import { INGEST_SCHEMA } from '../../apps/ingest/src/ingest.schema.js';
import type { NewSource } from '../../apps/ingest/src/sources/source.repository.js';
import { openMediumDatabase, type MediumDatabase } from './medium-database.js';

/** A database with ingest's tables, as the ingest app opens it. */
export function openIngestDatabase(): Promise<MediumDatabase> {
  return openMediumDatabase({
    entities: INGEST_SCHEMA.entities ?? [],
    migrations: INGEST_SCHEMA.migrations ?? [],
  });
}

export function newSource(tenantId: string, changes: Partial<NewSource> = {}): NewSource {
  return {
    tenantId,
    id: `src_${randomUUID().replace(/-/g, '')}`,
    provider: 'pylon-observer',
    name: 'Medium source',
    secretSealed: Buffer.from('sealed'),
    verification: 'signature',
    settings: { region: 'eu' },
    ...changes,
  };
}
