import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OUTBOUND_SCHEMES, type OutboundScheme } from '@hub/signing';
import type { Ordering, SubscriptionStatus } from '../subscription.repository.js';

const TIME = { type: String, format: 'date-time' } as const;

/**
 * What the subscriptions API answers: the row's own fields without the sealed secrets, times as
 * ISO strings, and `enabled`. `secret` appears once, in the answer that generated it. Secret
 * headers' values are "[redacted]"; `secret_headers` names them.
 */
export class SubscriptionView {
  @ApiProperty({ example: 'sub_Yk3n0cQ2p9wTz1aB' })
  id: string;

  @ApiProperty({ format: 'uri' })
  endpoint: string;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({ type: [String], description: 'empty: every type' })
  event_types: string[];

  @ApiProperty({ type: [String], nullable: true, description: 'null: the documented defaults' })
  trigger_fields: string[] | null;

  @ApiProperty({ type: [String], nullable: true, description: 'null: the documented defaults' })
  payload_fields: string[] | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  headers: Record<string, string>;

  @ApiProperty({ type: [String], description: 'headers whose values are shown as [redacted]' })
  secret_headers: string[];

  @ApiProperty({ enum: OUTBOUND_SCHEMES })
  signature_scheme: OutboundScheme;

  @ApiProperty({ enum: ['none', 'entity'] })
  ordering: Ordering;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ enum: ['pending', 'active', 'disabled'] })
  status: SubscriptionStatus;

  @ApiProperty({ type: String, nullable: true })
  status_reason: string | null;

  @ApiProperty({ ...TIME, nullable: true })
  validated_at: string | null;

  @ApiProperty({ ...TIME, nullable: true })
  failing_since: string | null;

  @ApiProperty(TIME)
  created_at: string;

  @ApiProperty(TIME)
  updated_at: string;

  @ApiPropertyOptional({ description: 'only in the answer that generated it' })
  secret?: string;
}

export class RotatedSecretView {
  @ApiProperty()
  id: string;

  @ApiProperty({ description: 'the new secret, shown once' })
  secret: string;

  @ApiProperty({ ...TIME, description: 'until then the old secret signs beside the new one' })
  previous_secret_expires_at: string;
}
