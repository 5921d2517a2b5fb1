import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PROVIDERS, type ProviderId } from '@hub/contracts';
import type { Verification } from '../source.entity.js';

const TIME = { type: String, format: 'date-time' } as const;

/** What the sources API answers. `secret` appears once, in the answer that generated it. */
export class SourceView {
  @ApiProperty({ example: 'src_3q2Zk1yN0bKx8Tq0' })
  id: string;

  @ApiProperty({ enum: PROVIDERS })
  provider: ProviderId;

  @ApiProperty()
  name: string;

  @ApiProperty({ enum: ['signature', 'none'] })
  verification: Verification;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  settings: Record<string, string>;

  @ApiProperty({ description: 'the URL to give the provider (with its token, for providers that need one)' })
  ingest_url: string;

  @ApiProperty({ ...TIME, nullable: true })
  validated_at: string | null;

  @ApiProperty(TIME)
  created_at: string;

  @ApiProperty(TIME)
  updated_at: string;

  @ApiPropertyOptional({ description: 'only in the answer that generated it' })
  secret?: string;
}

class UnmappedStatsView {
  @ApiProperty({ type: 'integer' })
  count: number;

  @ApiProperty({ ...TIME, nullable: true })
  last_at: string | null;

  @ApiProperty({ type: String, nullable: true })
  last_reason: string | null;
}

class RejectionStatsView {
  @ApiProperty({ type: 'integer' })
  count: number;

  @ApiProperty(TIME)
  last_at: string;

  @ApiProperty()
  last_detail: string;
}

/** Deliveries within a window, counted per minute: the window is exact to the minute. */
class StatsWindowView {
  @ApiProperty({ type: 'integer' })
  accepted: number;

  @ApiProperty({ type: 'integer', description: 'every rejection reason together' })
  rejected: number;

  @ApiProperty({ type: 'integer' })
  unmapped: number;
}

export class SourceStatsView {
  @ApiProperty()
  source_id: string;

  @ApiProperty({ ...TIME, nullable: true })
  last_delivery_at: string | null;

  @ApiProperty({ ...TIME, nullable: true })
  last_accepted_at: string | null;

  @ApiProperty({ type: 'integer' })
  accepted: number;

  /** Verified but not mappable: on the raw topic, listed by GET /v1/sources/:id/unmapped. */
  @ApiProperty({ type: UnmappedStatsView })
  unmapped: UnmappedStatsView;

  @ApiProperty({
    description: 'per rejection reason',
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/RejectionStatsView' },
  })
  rejected: Record<string, RejectionStatsView>;

  @ApiProperty({ type: StatsWindowView, description: 'the last 60 minutes' })
  last_hour: StatsWindowView;

  @ApiProperty({ type: StatsWindowView, description: 'the last 24 hours' })
  last_day: StatsWindowView;
}

export const SOURCE_VIEW_MODELS = [RejectionStatsView];
