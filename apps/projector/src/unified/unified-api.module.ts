import { Module } from '@nestjs/common';
import { TenancyModule } from '@hub/tenancy';
import { ProjectionRepository } from '../projection/projection.repository.js';
import { LinkingRulesController } from './linking-rules.controller.js';
import { LinkingRulesService } from './linking-rules.service.js';
import { UnifiedChangesPublisher } from './unified-changes.publisher.js';
import { UnifiedLinksService } from './unified-links.service.js';
import { UnifiedReevaluation } from './unified-reevaluation.js';
import { UnifiedCustomerController, UnifiedProjectController } from './unified-records.controller.js';
import { UnifiedRecordsRepository } from './unified-records.repository.js';
import { UnifiedRecordsService } from './unified-records.service.js';
import { unifiedProviders } from './unified.providers.js';

/**
 * The unified records' HTTP API: the merged customers and projects, the tenant's linking rules,
 * and manual links. The engine (UnifiedService) keeps them in the projection's transaction; this
 * module reads them and writes the tenant's choices, re-evaluating in the same transaction.
 */
@Module({
  imports: [TenancyModule],
  controllers: [UnifiedCustomerController, UnifiedProjectController, LinkingRulesController],
  providers: [
    UnifiedRecordsRepository,
    UnifiedRecordsService,
    UnifiedLinksService,
    LinkingRulesService,
    UnifiedReevaluation,
    UnifiedChangesPublisher,
    ProjectionRepository,
    ...unifiedProviders,
  ],
})
export class UnifiedApiModule {}
