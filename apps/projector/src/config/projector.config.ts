import { IsString } from 'class-validator';
import { PlatformConfig, portSetting } from '@hub/config';

export class ProjectorConfig extends PlatformConfig {
  @portSetting()
  PROJECTOR_PORT = 3002;

  @IsString()
  HOST = '0.0.0.0';
}
