import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
      'rule: a linking rule joined it; manual: joined by hand (POST …/links); self: the record the ' +
      'unified record started from, or one standing apart',
  })
  linked_by: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'what joined it: the rule and the value both records share (e.g. `{ "rule": "email" }`)',
  })
  reason: Record<string, unknown> | null;
}

/** Where one merged field's value comes from. */
export class ProvenanceView {
  @ApiProperty({ example: 'solarproof:5150', description: 'the record the value was taken from' })
  record: string;

  @ApiProperty({ enum: PROVIDERS })
  provider: string;

  @ApiPropertyOptional({ example: 'src_1f2e3d', description: 'the source that delivered it', nullable: true })
  source?: string | null;

  @ApiProperty({ type: 'integer', description: "the record's version the value is from" })
  version: number;

  @ApiProperty({ ...TIME, description: 'when the provider last changed that record', nullable: true })
  time: string | null;
}

export class UnifiedRecordView {
  @ApiProperty({ example: 'unified:cus_3f9a1c0b7d2e4a5b6c7d', description: 'unified:cus_… or unified:prj_…' })
  id: string;

  @ApiProperty({
    type: 'integer',
    description: 'one more with each change of the merged document or members',
  })
  version: number;

  @ApiProperty({ type: [UnifiedMemberView], description: 'the records it joins, oldest link first' })
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
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description:
      'fields whose members disagree: the field, the value chosen and the values it won over, each with its record',
  })
  conflicts: Array<Record<string, unknown>>;

  @ApiProperty(TIME)
  created_at: string;

  @ApiProperty(TIME)
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
    description: "how many records changed group when the tenant's records were re-evaluated",
  })
  regrouped: number;
}
