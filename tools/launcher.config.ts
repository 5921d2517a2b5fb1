import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, Matches } from 'class-validator';
import { kafkaBrokersSetting, portSetting, toBool } from '@hub/config';

/** What `npm start` and `npm run cli` read; everything else passes through to the apps. */
export class LauncherConfig {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// connection URL' })
  DATABASE_URL?: string;

  @kafkaBrokersSetting()
  KAFKA_BROKERS?: string[];

  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes in base64 (openssl rand -base64 32)' })
  SECRETS_KEY?: string;

  /** Unset: `npm start` allows http:// endpoints (local receivers); read as the dispatcher reads it. */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  OUTBOUND_ALLOW_HTTP?: boolean;

  /** Unset: `npm start` allows loopback and private endpoints (receivers on this machine). */
  @IsOptional()
  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  OUTBOUND_ALLOW_PRIVATE?: boolean;

  @IsString()
  DATA_DIR = '.data';

  @portSetting()
  EMBEDDED_POSTGRES_PORT = 54329;

  @portSetting()
  INGEST_PORT = 3001;

  @portSetting()
  PROJECTOR_PORT = 3002;

  @portSetting()
  DISPATCHER_PORT = 3003;

  @portSetting()
  CONSOLE_PORT = 3000;
}
