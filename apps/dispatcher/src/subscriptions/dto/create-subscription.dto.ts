import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidateIf,
} from 'class-validator';
import { OUTBOUND_SCHEMES, type OutboundScheme } from '@hub/signing';
import { HEADER_NAME } from '../../outbound/webhook-request.js';
import type { Ordering } from '../subscription.repository.js';

const EVENT_TYPE = /^[A-Za-z0-9._*-]{1,100}$/;

export class CreateSubscriptionDto {
  @ApiProperty({ format: 'uri', maxLength: 2_000, description: 'the URL the webhooks are sent to' })
  @IsString()
  @Length(1, 2_000)
  endpoint: string;

  /** Empty or absent: every type. */
  @ApiPropertyOptional({
    type: [String],
    maxItems: 100,
    description: 'event types such as project.updated (* matches a part); empty or absent: every type',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(EVENT_TYPE, {
    each: true,
    message: 'each of event_types must be an event type such as project.updated',
  })
  event_types?: string[];

  /** Null or absent: the documented defaults. Checked against the grammar by the service. */
  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: 200,
    description: 'field patterns whose change sends a webhook; null or absent: the defaults',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsArray()
  @ArrayMaxSize(200)
  trigger_fields?: string[] | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    maxItems: 200,
    description: 'field patterns the payload carries; null or absent: the defaults',
  })
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsArray()
  @ArrayMaxSize(200)
  payload_fields?: string[] | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'extra headers sent with every webhook',
  })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  /**
   * Headers whose values are encrypted at rest and shown as "[redacted]", besides the credentials
   * found by name (Authorization, Cookie, *-Key, *-Token). A header stays secret while it exists.
   */
  @ApiPropertyOptional({
    type: [String],
    maxItems: 20,
    description: 'header names kept encrypted, shown as [redacted]',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(HEADER_NAME, { each: true, message: 'each of secret_headers must be a header name' })
  secret_headers?: string[];

  /** Generated (and shown once) when absent. */
  @ApiPropertyOptional({
    minLength: 16,
    maxLength: 512,
    description: 'generated (and shown once) when absent',
  })
  @IsOptional()
  @IsString()
  @Length(16, 512)
  secret?: string;

  @ApiPropertyOptional({ enum: OUTBOUND_SCHEMES, description: 'absent: standard-webhooks' })
  @IsOptional()
  @IsIn(OUTBOUND_SCHEMES, { message: `signature_scheme must be one of ${OUTBOUND_SCHEMES.join(', ')}` })
  signature_scheme?: OutboundScheme;

  @ApiPropertyOptional({ description: 'absent: true; false: created disabled, no handshake' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @Length(0, 500)
  description?: string;

  /** `entity`: one entity's changes strictly in version order. */
  @ApiPropertyOptional({
    enum: ['none', 'entity'],
    description: "absent: none; entity: one entity's changes strictly in version order",
  })
  @IsOptional()
  @IsIn(['none', 'entity'], { message: 'ordering must be none or entity' })
  ordering?: Ordering;
}
