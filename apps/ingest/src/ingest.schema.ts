import type { AppSchema } from '@hub/runtime';
import { SourceEntity, SourceStatsEntity } from './sources/source.entity.js';
import { SourceStatsUnmapped1732262400200 } from './sources/source-stats.migration.js';
import { SourceStatsMinutes1732262400500 } from './sources/source-stats-minutes.migration.js';
import { Sources1732262400100 } from './sources/source.migration.js';
import { UnmappedDeliveries1732262400300 } from './unmapped/unmapped.migration.js';
import { UnmappedReceivedAt1732262400400 } from './retention/unmapped-received.migration.js';

/** Ingest's tables, for the app and for the CLI's ingest commands. */
export const INGEST_SCHEMA: AppSchema = {
  entities: [SourceEntity, SourceStatsEntity],
  migrations: [
    Sources1732262400100,
    SourceStatsUnmapped1732262400200,
    UnmappedDeliveries1732262400300,
    UnmappedReceivedAt1732262400400,
    SourceStatsMinutes1732262400500,
  ],
};
