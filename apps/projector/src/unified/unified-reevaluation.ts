import { Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { DATA_SOURCE } from '@hub/persistence';
import { ProjectionRepository } from '../projection/projection.repository.js';
import { UNIFIED_KINDS, type UnifiedKind } from './linking-rules.js';
import { UnifiedChangesPublisher } from './unified-changes.publisher.js';
import { UnifiedRecordsRepository } from './unified-records.repository.js';
import { UnifiedRepository } from './unified.repository.js';
import { UnifiedService } from './unified.service.js';

/** The envelope `provider` of the state changes a tenant's command causes (no provider's record did). */
const COMMAND_PROVIDER = 'hub';

/**
 * A tenant's choice (its rules, a manual decision) and what follows from it, in one transaction:
 * the choice is written, the tenant's records are re-evaluated (UnifiedService.reevaluateTenant),
 * and the state changes that causes are published with it. Like a projection batch it holds the
 * rebuild lock shared, so a rebuild never runs halfway through it, and then the engine's lock of
 * the tenant, in the batch's order.
 */
@Injectable()
export class UnifiedReevaluation {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly projection: ProjectionRepository,
    private readonly records: UnifiedRecordsRepository,
    private readonly engineRecords: UnifiedRepository,
    private readonly engine: UnifiedService,
    private readonly publisher: UnifiedChangesPublisher,
  ) {}

  /**
   * Runs `choose` (the write of the choice; `command` names it, e.g. `rules` or
   * `customer.unlink:solarproof:5150`), re-evaluates `kind` (both when absent), publishes, then
   * `answer`; `regrouped` is how many records now share their unified record with a different set
   * of records than before (records new to unification included).
   */
  run<T>(
    tenantId: string,
    kind: UnifiedKind | undefined,
    command: string,
    choose: (manager: EntityManager) => Promise<void>,
    answer: (manager: EntityManager) => Promise<T>,
  ): Promise<{ answer: T; regrouped: number }> {
    const kinds = kind ? [kind] : UNIFIED_KINDS;
    return this.dataSource.transaction(async (manager) => {
      await this.projection.holdRebuildLockShared(manager);
      // The engine's lock of the tenant (reevaluateTenant takes it again): from here no batch
      // changes the tenant's groups, so what `choose` checks and `regrouped` counts are this command's.
      await this.engineRecords.lockTenants(manager, [tenantId]);
      await choose(manager);
      const before = await this.groupings(manager, tenantId, kinds);
      const time = new Date().toISOString();
      // The cause the state changes name (caused_by) and derive their ids from: this command.
      const cause = { id: `${command}@${time}`, time, provider: COMMAND_PROVIDER };
      const changes = await this.engine.reevaluateTenant(manager, tenantId, kind, cause);
      await this.publisher.publish(manager, changes);
      const after = await this.groupings(manager, tenantId, kinds);
      let regrouped = 0;
      for (const [member, partners] of after) if (before.get(member) !== partners) regrouped++;
      return { answer: await answer(manager), regrouped };
    });
  }

  /** Per `<kind>/<member>`, the members of its group as one sorted text. */
  private async groupings(
    manager: EntityManager,
    tenantId: string,
    kinds: readonly UnifiedKind[],
  ): Promise<Map<string, string>> {
    const partners = new Map<string, string>();
    for (const kind of kinds) {
      const groupOf = await this.records.groupsOf(manager, tenantId, kind);
      const members = new Map<string, string[]>();
      for (const [member, group] of groupOf) members.set(group, [...(members.get(group) ?? []), member]);
      for (const [member, group] of groupOf)
        partners.set(`${kind}/${member}`, JSON.stringify([...members.get(group)!].sort()));
    }
    return partners;
  }
}
