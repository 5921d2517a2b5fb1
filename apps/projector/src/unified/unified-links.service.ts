import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { UnifiedKind } from './linking-rules.js';
import { UnifiedReevaluation } from './unified-reevaluation.js';
import { UnifiedRecordsRepository, type UnifiedRecordListRow } from './unified-records.repository.js';
import { UnifiedRepository } from './unified.repository.js';
import { toUnifiedView, UnifiedRecordsService } from './unified-records.service.js';
import type { UnifiedLinkResultView } from './unified-records.view.js';

/**
 * Manual links and unlinks: each is a decision about one record (the latest replaces any earlier
 * one, and the rules never undo it), then the groups around it are re-evaluated in the same
 * transaction (UnifiedService.reevaluateRecords): the record's, its old group's and its target's.
 */
@Injectable()
export class UnifiedLinksService {
  constructor(
    private readonly records: UnifiedRecordsRepository,
    private readonly engineRecords: UnifiedRepository,
    private readonly reads: UnifiedRecordsService,
    private readonly reevaluation: UnifiedReevaluation,
  ) {}

  /**
   * `record` joins the unified record `id` names: decided as a link to one of its members, `id`
   * itself when it names a member record, else the first other member.
   */
  async link(
    tenantId: string,
    kind: UnifiedKind,
    id: string,
    record: string,
  ): Promise<UnifiedLinkResultView> {
    const { answer, regrouped } = await this.reevaluation.run(
      tenantId,
      kind,
      `${kind}.link:${record}`,
      async (manager) => {
        const group = await this.reads.row(tenantId, kind, id, manager);
        await this.assertRecordOf(manager, tenantId, kind, record);
        const members = memberIds(group);
        // A record, not a unified id, which a regrouping may retire: the one the path names when
        // it names a member, else any member other than the record itself.
        const target =
          id !== record && members.includes(id) ? id : members.find((member) => member !== record);
        if (!target) throw new ConflictException(`${record} is already the only record of ${group.id}`);
        const own = await this.records.find(manager, tenantId, kind, record);
        await this.engineRecords.saveDecision(manager, { tenantId, kind, id: record }, 'link', target);
        const involved = new Set([record, target, ...(own ? memberIds(own) : [])]);
        return { records: [...involved].map((member) => ({ tenantId, kind, id: member })) };
      },
      async (manager) => [await this.reads.row(tenantId, kind, record, manager)],
    );
    return { data: answer.map(toUnifiedView), regrouped };
  }

  /**
   * `record` leaves the unified record `id` names and stands apart from then on. The records
   * linked to it by hand are linked to the smallest other remaining member instead (or to nothing
   * when none remains), so none of them pulls it back.
   */
  async unlink(
    tenantId: string,
    kind: UnifiedKind,
    id: string,
    record: string,
  ): Promise<UnifiedLinkResultView> {
    let replacement: string | null = null;
    const { answer, regrouped } = await this.reevaluation.run(
      tenantId,
      kind,
      `${kind}.unlink:${record}`,
      async (manager) => {
        const group = await this.reads.row(tenantId, kind, id, manager);
        const members = memberIds(group);
        if (!members.includes(record)) {
          await this.assertRecordOf(manager, tenantId, kind, record);
          throw new ConflictException(`${record} is not in ${group.id}`);
        }
        const remaining = members.filter((member) => member !== record).sort();
        replacement = remaining[0] ?? null;
        await this.engineRecords.saveDecision(manager, { tenantId, kind, id: record }, 'unlink', null);
        const moved = await this.records.retargetLinks(manager, tenantId, kind, record, remaining);
        const involved = new Set([...members, ...moved]);
        return { records: [...involved].map((member) => ({ tenantId, kind, id: member })) };
      },
      async (manager) => {
        const left = replacement ? await this.records.find(manager, tenantId, kind, replacement) : null;
        const own = await this.reads.row(tenantId, kind, record, manager);
        return left && left.id !== own.id ? [left, own] : [own];
      },
    );
    return { data: answer.map(toUnifiedView), regrouped };
  }

  /** A 404 when the tenant has no such record, a 409 when it is one of the other kind only. */
  private async assertRecordOf(
    manager: EntityManager,
    tenantId: string,
    kind: UnifiedKind,
    record: string,
  ): Promise<void> {
    const kinds = await this.records.kindsOfRecord(manager, tenantId, record);
    if (kinds.has(kind)) return;
    if (kinds.size > 0) throw new ConflictException(`${record} is a ${[...kinds].join(', ')}, not a ${kind}`);
    throw new NotFoundException(`no ${kind} ${record}`);
  }
}

function memberIds(group: UnifiedRecordListRow): string[] {
  return group.member_links.map((member) => member.record);
}
