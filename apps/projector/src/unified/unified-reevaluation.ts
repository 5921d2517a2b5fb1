import { ConflictException, Inject, Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { DATA_SOURCE } from '@hub/persistence';
import { ProjectionRepository } from '../projection/projection.repository.js';
import { UNIFIED_KINDS, type UnifiedKind } from './linking-rules.js';
import { UnifiedChangesPublisher } from './unified-changes.publisher.js';
import { UnifiedRecordsRepository } from './unified-records.repository.js';
import { UnifiedRepository, type MemberRef } from './unified.repository.js';
import { UnifiedService } from './unified.service.js';

/** The envelope `provider` of the state changes a tenant's command causes (no provider's record did). */
const COMMAND_PROVIDER = 'hub';

/** The 409 of a command while the engine is off: nothing it saved would take effect. */
export const UNIFIED_OFF = 'unified records are off in this projector (UNIFIED_RECORDS=off)';

/**
 * What a command re-evaluates: every record of the tenant (its rules changed), or only the groups
 * around some records (a manual decision: the record, its old group's members, its target).
 */
export type Reevaluate = { tenant: true } | { records: MemberRef[] };

/**
 * A tenant's choice (its rules, a manual decision) and what follows from it, in one transaction:
 * the choice is written, the records it concerns are re-evaluated (UnifiedService.reevaluateTenant
 * for rules, reevaluateRecords for a decision), and the state changes that causes are published
 * last, after everything else that can fail. Like a projection batch it holds the rebuild lock
 * shared, so a rebuild never runs halfway through it, and then the engine's lock of the tenant,
 * in the batch's order. With UNIFIED_RECORDS=off a command is a 409: nothing is saved.
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
   * Runs `choose` (the write of the choice, answering what to re-evaluate; `command` names it,
   * e.g. `rules` or `customer.unlink:solarproof:5150`), re-evaluates, then `answer`, then
   * publishes; `regrouped` is how many records of `kind` (both when absent) now share their
   * unified record with a different set of records than before (records new to unification
   * included).
   */
  async run<T>(
    tenantId: string,
    kind: UnifiedKind | undefined,
    command: string,
    choose: (manager: EntityManager) => Promise<Reevaluate>,
    answer: (manager: EntityManager) => Promise<T>,
  ): Promise<{ answer: T; regrouped: number }> {
    if (!this.engine.enabled) throw new ConflictException(UNIFIED_OFF);
    const kinds = kind ? [kind] : UNIFIED_KINDS;
    return this.dataSource.transaction(async (manager) => {
      await this.projection.holdRebuildLockShared(manager);
      // The engine's lock of the tenant (the re-evaluation takes it again): from here no batch
      // changes the tenant's groups, so what `choose` checks and `regrouped` counts are this command's.
      await this.engineRecords.lockTenants(manager, [tenantId]);
      // A decision or rules written change no group yet: `before` is as it was. For a decision only
      // the groups around its records (all a re-evaluation of them can change) are compared.
      const scope = await choose(manager);
      const around = 'records' in scope ? scope.records.map((ref) => ref.id) : undefined;
      const before = await this.groupings(manager, tenantId, kinds, around);
      const time = new Date().toISOString();
      // The cause the state changes name (caused_by) and derive their ids from: this command.
      const cause = { id: `${command}@${time}`, time, provider: COMMAND_PROVIDER };
      const changes =
        'tenant' in scope
          ? await this.engine.reevaluateTenant(manager, tenantId, kind, cause)
          : await this.engine.reevaluateRecords(manager, scope.records, cause);
      // Around the same records and everyone who shared a group with them: a record that joins
      // those groups is then in `after` only, and counts.
      const after = await this.groupings(
        manager,
        tenantId,
        kinds,
        around && [...new Set([...around, ...memberIdsOf(before)])],
      );
      let regrouped = 0;
      for (const [member, partners] of after) if (before.get(member) !== partners) regrouped++;
      const result = { answer: await answer(manager), regrouped };
      // Last: on Kafka a publish is not undone by a rollback, so nothing that can fail comes after it.
      await this.publisher.publish(manager, changes);
      return result;
    });
  }

  /**
   * Per `<kind>/<member>`, the members of its group as one sorted text: of every group of the
   * kinds, or only of the groups that hold one of `around`.
   */
  private async groupings(
    manager: EntityManager,
    tenantId: string,
    kinds: readonly UnifiedKind[],
    around?: readonly string[],
  ): Promise<Map<string, string>> {
    const partners = new Map<string, string>();
    for (const kind of kinds) {
      const groupOf = around
        ? await this.records.groupsAround(manager, tenantId, kind, around)
        : await this.records.groupsOf(manager, tenantId, kind);
      const members = new Map<string, string[]>();
      for (const [member, group] of groupOf) {
        const list = members.get(group);
        if (list) list.push(member);
        else members.set(group, [member]);
      }
      const texts = new Map<string, string>();
      for (const [group, list] of members) texts.set(group, JSON.stringify(list.sort()));
      for (const [member, group] of groupOf) partners.set(`${kind}/${member}`, texts.get(group)!);
    }
    return partners;
  }
}

/** The member ids of `groupings`' keys (`<kind>/<member>`). */
function memberIdsOf(partners: Map<string, string>): string[] {
  const ids: string[] = [];
  for (const key of partners.keys()) ids.push(key.slice(key.indexOf('/') + 1));
  return ids;
}
