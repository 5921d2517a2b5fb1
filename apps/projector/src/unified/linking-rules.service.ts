import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { DATA_SOURCE, type Queryable } from '@hub/persistence';
import { linkingRulesErrors, storedLinkingRules, type LinkingRules } from './linking-rules.js';
import type { LinkingRulesChangeView, LinkingRulesView } from './dto/linking-rules.view.js';
import { UnifiedReevaluation } from './unified-reevaluation.js';
import { UnifiedRepository } from './unified.repository.js';

/** A tenant's linking rules: read with the defaults filled in, replaced whole. */
@Injectable()
export class LinkingRulesService {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: Queryable,
    private readonly repository: UnifiedRepository,
    private readonly reevaluation: UnifiedReevaluation,
  ) {}

  async get(tenantId: string): Promise<LinkingRulesView> {
    return viewOf(await this.repository.storedRules(this.dataSource, tenantId));
  }

  /**
   * Replaces the rules (a 400 naming every bad field), re-evaluates every record of the tenant in
   * the same transaction and publishes what changed; a 409 when unified records are off.
   */
  async replace(tenantId: string, input: unknown): Promise<LinkingRulesChangeView> {
    const errors = linkingRulesErrors(input);
    if (errors.length > 0) throw new BadRequestException(errors);
    const { answer, regrouped } = await this.reevaluation.run(
      tenantId,
      undefined,
      'rules',
      async (manager) => {
        await this.repository.saveRules(manager, tenantId, input as LinkingRules);
        return { tenant: true };
      },
      (manager) => this.repository.storedRules(manager, tenantId),
    );
    return { ...viewOf(answer), regrouped };
  }
}

function viewOf(stored: { rules: LinkingRules; updated_at: Date } | null): LinkingRulesView {
  return {
    rules: storedLinkingRules(stored?.rules),
    updated_at: stored?.updated_at.toISOString() ?? null,
  };
}
