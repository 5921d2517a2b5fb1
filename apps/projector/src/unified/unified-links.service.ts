import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { UnifiedKind } from './linking-rules.js';
import { UnifiedReevaluation } from './unified-reevaluation.js';
import { RECORD_ID, UnifiedRecordsRepository, type UnifiedRecordRow } from './unified-records.repository.js';
import { UnifiedRepository } from './unified.repository.js';
import { toUnifiedView, UnifiedRecordsService } from './unified-records.service.js';
import type { UnifiedLinkResultView } from './unified-records.view.js';

/**
 * Manual links and unlinks: each is a decision about one record (the latest replaces any earlier
 * one, and the rules never undo it), then the tenant's records of that kind are re-evaluated in
 * the same transaction.
 */
@Injectable()
export class UnifiedLinksService {
  constructor(
    private readonly records: UnifiedRecordsRepository,
    private readonly engineRecords: UnifiedRepository,
    private readonly reads: UnifiedRecordsService,
    private readonly reevaluation: UnifiedReevaluation,
  ) {}

  /** `record` joins the unified record `id` names: decided as a link to one of its members. */
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
        // Any member other than the record itself: the decision names a record, not a unified id,
        // which a regrouping may retire.
        const target = memberIds(group).find((member) => member !== record);
        if (!target) throw new ConflictException(`${record} is already the only record of ${group.id}`);
        await this.engineRecords.saveDecision(manager, { tenantId, kind, id: record }, 'link', target);
      },
      async (manager) => [await this.reads.row(tenantId, kind, record, manager)],
    );
    return { data: answer.map(toUnifiedView), regrouped };
  }

  /** `record` leaves the unified record `id` names and stands apart from then on. */
  async unlink(
    tenantId: string,
    kind: UnifiedKind,
    id: string,
    record: string,
  ): Promise<UnifiedLinkResultView> {
    if (!RECORD_ID.test(record))
      throw new BadRequestException('record must be a record id: <provider>:<id at the provider>');
    let remaining: string | undefined;
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
        remaining = members.find((member) => member !== record);
        await this.engineRecords.saveDecision(manager, { tenantId, kind, id: record }, 'unlink', null);
      },
      async (manager) => {
        const left = remaining ? await this.records.find(manager, tenantId, kind, remaining) : null;
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

function memberIds(group: UnifiedRecordRow): string[] {
  return group.member_links.map((member) => member.record);
}
