import { Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { PlatformConfig, portSetting, toInt } from '@hub/config';

export class ProjectorConfig extends PlatformConfig {
  @portSetting()
  PROJECTOR_PORT = 3002;

  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'must be 1-100 of [A-Za-z0-9._-]' })
  PROJECTOR_GROUP_ID = 'projector';

  /** Tries of one event before it goes to the dead-letter topic. */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(100)
  PROJECTOR_MAX_ATTEMPTS = 5;

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(5_000)
  PROJECTOR_BATCH_SIZE = 500;

  /**
   * Partitions applied at the same time, each in its own transaction: while one waits on Postgres
   * another applies. 4 applied 12-13 % more events/s than 2 in paired bench:projector runs; 8 no more.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(32)
  PROJECTOR_CONCURRENCY = 4;

  /**
   * Consumers of the group this process runs, each on a thread of its own (the first on the app's
   * thread): applying events is CPU-bound JavaScript, so one thread leaves the other cores idle.
   * The bus splits the partitions between them. 1 runs everything on the app's thread.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(16)
  PROJECTOR_CONSUMERS = 2;
}
