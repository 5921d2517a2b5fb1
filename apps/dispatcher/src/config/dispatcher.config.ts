import { PlatformConfig, portSetting } from '@hub/config';

export class DispatcherConfig extends PlatformConfig {
  @portSetting()
  DISPATCHER_PORT = 3003;
}
