import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { BusModule } from './bus/bus.module.js';
import { ChangesModule } from './changes/changes.module.js';
import { FieldsModule } from './fields/fields.module.js';
import { ProjectionLanes } from './projection/projection-lanes.js';
import { ProjectionModule } from './projection/projection.module.js';
import { ReadModelsModule } from './read-models/read-models.module.js';
import { ProjectorRetention } from './retention/projector-retention.js';
import { UnifiedApiModule } from './unified/unified-api.module.js';
import { UnifiedStatistics } from './unified/unified-statistics.js';

/**
 * The app's thread serves the query API. The consumers (ProjectionModule) run on worker threads
 * of their own (ProjectionLanes, PROJECTOR_CONSUMERS of them), so applying never delays a read;
 * with PROJECTOR_CONSUMERS=0 they run on this thread instead (its handlers are served only when
 * the app's lane table names them, see main.ts), one isolate less. It also serves the tenant's API
 * keys (ApiKeysModule): one app owns them, as the query API's users are the ones handed keys; the
 * bus overview (BusModule); and the unified records with their rules and manual links (UnifiedApiModule).
 */
@Module({
  imports: [
    TenancyModule,
    ReadModelsModule,
    FieldsModule,
    ChangesModule,
    ApiKeysModule,
    BusModule,
    UnifiedApiModule,
    ProjectionModule,
  ],
  providers: [ProjectionLanes, ProjectorRetention, UnifiedStatistics],
})
export class ProjectorModule {}
