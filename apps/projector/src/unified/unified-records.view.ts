import { ApiProperty } from '@nestjs/swagger';
import { PROVIDERS } from '@hub/contracts';

const TIME = { type: String, format: 'date-time' } as const;

/** One record of a provider in a unified record, and why it is there. */
export class UnifiedMemberView {
  @ApiProperty({ example: 'opensolar:8812', description: 'the record: <provider>:<id at the provider>' })
  record: string;

  @ApiProperty({ enum: PROVIDERS })
  provider: string;

  @ApiProperty({
    enum: ['rule', 'manual', 'self'],
    description:
      'rule: a linking rule joined it; manual: a manual link (POST …/links) ties it; self: it stands ' +
      'alone',
  })
  linked_by: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'why it is there: `keys`, the normalised email, phone or reference it shares with the others ' +
      '(`["email:ada@example.com"]`); `linked_to` / `linked_from`, the manual links it makes or ' +
      'receives; `{"unlinked": true}` when a manual unlink keeps it alone; null when alone otherwise',
  })
  reason: Record<string, unknown> | null;
}

/** Where one merged field's value comes from. */
export class ProvenanceView {
  @ApiProperty({ example: 'solarproof:5150', description: 'the record the value was taken from' })
  record: string;

  @ApiProperty({ enum: PROVIDERS })
  provider: string;

  @ApiProperty({
    type: String,
    example: 'src_1f2e3d',
    nullable: true,
    description: 'the source that last fed that record',
  })
  source: string | null;

  @ApiProperty({ type: 'integer', description: "the record's version the value is from" })
  version: number;

  @ApiProperty({ ...TIME, description: 'when the provider last changed that record', nullable: true })
  time: string | null;
}

/** One member's value of a field its members disagree on. */
export class ConflictValueView {
  @ApiProperty({ example: 'opensolar:8812' })
  record: string;

  @ApiProperty({ enum: PROVIDERS })
  provider: string;

  @ApiProperty({
    description: 'the value as that record has it (any JSON value)',
    oneOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'object', additionalProperties: true },
      { type: 'array', items: {} },
    ],
  })
  value: unknown;
}

export class ConflictView {
  @ApiProperty({ example: 'phone', description: 'the top-level field' })
  field: string;

  @ApiProperty({ example: 'solarproof:5150', description: 'the record whose value the document took' })
  chosen: string;

  @ApiProperty({
    enum: ['latest', 'rank'],
    description: "latest: the member its provider changed last; rank: the tenant's ranking of providers",
  })
  policy: string;

  @ApiProperty({ type: [ConflictValueView], description: 'every member value, by record id' })
  values: ConflictValueView[];
}

export class UnifiedRecordView {
  @ApiProperty({
    example: 'unified:cus_3f9a1c0b7d2e4a5b6c7d',
    description:
      'unified:cus_… or unified:prj_…, from the smallest member id: it changes when a smaller record ' +
      "joins (the event's `replaces` names the old ids); follow a member record's id instead",
  })
  id: string;

  @ApiProperty({
    type: 'integer',
    description:
      'one more with each change of the merged document or members that was published (carried ' +
      'on when the id changes); a rebuild may count differently',
  })
  version: number;

  @ApiProperty({ type: [UnifiedMemberView], description: 'the records it joins, by record id' })
  members: UnifiedMemberView[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "the merged document: each field from one member, as the tenant's conflict rules choose",
  })
  document: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/ProvenanceView' },
    description: 'per merged field (top-level name), the record its value was taken from',
  })
  provenance: Record<string, ProvenanceView>;

  @ApiProperty({
    type: [ConflictView],
    description: 'the merged fields whose members disagree (emails and phones compared normalised)',
  })
  conflicts: ConflictView[];

  @ApiProperty({ ...TIME, description: "derived from the members' times" })
  created_at: string;

  @ApiProperty({ ...TIME, description: "derived from the members' times" })
  updated_at: string;
}

/** What a manual link or unlink leaves: every unified record it touched, as it now is. */
export class UnifiedLinkResultView {
  @ApiProperty({
    type: [UnifiedRecordView],
    description:
      'link: the unified record the record now belongs to; unlink: the one it left (when any member ' +
      'remains) and the one it now stands in alone',
  })
  data: UnifiedRecordView[];

  @ApiProperty({
    type: 'integer',
    description: 'how many records changed group when the records around the decision were re-evaluated',
  })
  regrouped: number;
}
