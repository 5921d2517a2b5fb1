import { IsString } from 'class-validator';
import { PlatformConfig, portSetting } from '@hub/config';

export class DispatcherConfig extends PlatformConfig {
  @portSetting()
  DISPATCHER_PORT = 3003;

  @IsString()
  HOST = '0.0.0.0';
}
