import { IsIn, IsString, Matches } from 'class-validator';
import { portSetting } from '@hub/config';
import { defaultLogFormat, LOG_LEVEL_NAMES, type LogFormat, type LogLevelName } from '@hub/telemetry';

const APP_URL = /^https?:\/\/[^\s/?#]+$/;
const APP_URL_MESSAGE = 'must be an http(s) URL with no path, such as http://127.0.0.1:3001';

/**
 * The console's server: its own port, and where the three apps answer. It holds no data and no
 * database: the page talks to the apps through it, with the user's own API key.
 */
export class ConsoleConfig {
  @portSetting()
  CONSOLE_PORT = 3000;

  /** Interface the console listens on. */
  @IsString()
  HOST = '0.0.0.0';

  @Matches(APP_URL, { message: APP_URL_MESSAGE })
  CONSOLE_INGEST_URL = 'http://127.0.0.1:3001';

  @Matches(APP_URL, { message: APP_URL_MESSAGE })
  CONSOLE_PROJECTOR_URL = 'http://127.0.0.1:3002';

  @Matches(APP_URL, { message: APP_URL_MESSAGE })
  CONSOLE_DISPATCHER_URL = 'http://127.0.0.1:3003';

  @IsIn(LOG_LEVEL_NAMES, { message: `must be one of ${LOG_LEVEL_NAMES.join(', ')}` })
  LOG_LEVEL: LogLevelName = 'info';

  @IsIn(['json', 'text'], { message: 'must be json or text' })
  LOG_FORMAT: LogFormat = defaultLogFormat();
}
