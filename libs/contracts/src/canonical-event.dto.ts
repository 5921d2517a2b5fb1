import { Equals, IsIn, IsISO8601, IsObject, IsString, IsUUID, Matches } from 'class-validator';
import { PROVIDERS, type ProviderId } from './providers.js';

/** What a consumer checks a canonical event against before acting on it. */
export class CanonicalEventMessage {
  @Equals('1.0')
  specversion: '1.0';

  @Matches(/^evt_[0-9a-f]{32}$/)
  id: string;

  @IsString()
  source: string;

  @Matches(/^[A-Za-z0-9._-]{1,100}$/)
  type: string;

  @Matches(/^[a-z-]+:.{1,300}$/)
  subject: string;

  @IsISO8601()
  time: string;

  @IsUUID()
  tenant: string;

  @IsIn(PROVIDERS)
  provider: ProviderId;

  @IsObject()
  data: Record<string, unknown>;
}
