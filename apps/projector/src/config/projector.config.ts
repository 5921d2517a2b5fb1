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
   * Consumers of the group this process runs, each on a worker thread of its own; the app's thread
   * only serves the API. Applying events is CPU-bound JavaScript, so one consumer uses one core.
   * The bus splits the partitions between them, as it does between processes.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(16)
  PROJECTOR_CONSUMERS = 2;

  /**
   * Each consumer thread's young generation, in MB (V8's maxYoungGenerationSizeMb). Batches in
   * flight live there until they commit; at 192 a consumer spent 60 % less time in scavenges than
   * at V8's default. Memory: up to this much per consumer beyond its old generation.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(16)
  @Max(1_024)
  PROJECTOR_YOUNG_GENERATION_MB = 192;
}
