import { IsString } from 'class-validator';
import { PlatformConfig, portSetting } from '@hub/config';

export class IngestConfig extends PlatformConfig {
  @portSetting()
  INGEST_PORT = 3001;

  @IsString()
  HOST = '0.0.0.0';
}
