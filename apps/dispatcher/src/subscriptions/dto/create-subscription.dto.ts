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
  @IsString()
  @Length(1, 2_000)
  endpoint: string;

  /** Empty or absent: every type. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(EVENT_TYPE, {
    each: true,
    message: 'each of event_types must be an event type such as project.updated',
  })
  event_types?: string[];

  /** Null or absent: the documented defaults. Checked against the grammar by the service. */
  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsArray()
  @ArrayMaxSize(200)
  trigger_fields?: string[] | null;

  @ValidateIf((_, value) => value !== null && value !== undefined)
  @IsArray()
  @ArrayMaxSize(200)
  payload_fields?: string[] | null;

  @IsOptional()
  @IsObject()
  headers?: Record<string, string>;

  /**
   * Headers whose values are encrypted at rest and shown as "[redacted]", besides the credentials
   * found by name (Authorization, Cookie, *-Key, *-Token). A header stays secret while it exists.
   */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(HEADER_NAME, { each: true, message: 'each of secret_headers must be a header name' })
  secret_headers?: string[];

  /** Generated (and shown once) when absent. */
  @IsOptional()
  @IsString()
  @Length(16, 512)
  secret?: string;

  @IsOptional()
  @IsIn(OUTBOUND_SCHEMES, { message: `signature_scheme must be one of ${OUTBOUND_SCHEMES.join(', ')}` })
  signature_scheme?: OutboundScheme;

  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @IsOptional()
  @IsString()
  @Length(0, 500)
  description?: string;

  /** `entity`: one entity's changes strictly in version order. */
  @IsOptional()
  @IsIn(['none', 'entity'], { message: 'ordering must be none or entity' })
  ordering?: Ordering;
}
