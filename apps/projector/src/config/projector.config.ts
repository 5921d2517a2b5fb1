import { Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { PlatformConfig, portSetting, toInt } from '@hub/config';

export class ProjectorConfig extends PlatformConfig {
  @portSetting()
  PROJECTOR_PORT = 3002;

  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'must be 1-100 of [A-Za-z0-9._-]' })
  PROJECTOR_GROUP_ID = 'projector';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(5_000)
  PROJECTOR_BATCH_SIZE = 500;

  /**
   * Partitions each consumer applies at the same time, each in its own transaction: while one
   * waits on Postgres another applies. With one consumer, 4 applied 12-13 % more events/s than 2;
   * with two consumers (PROJECTOR_CONSUMERS), 2 each applied 9 and 14 % more than 4 each in paired
   * bench:projector runs, with less CPU per event: the machine was already busy.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(32)
  PROJECTOR_CONCURRENCY = 2;

  /**
   * The share of its time the slow lane may spend applying: after a batch that took t, it rests
   * t × (1 / share − 1). On a small machine a slow lane busy all the time takes the CPU the other
   * tenants' requests and batches need; at 50 % it still drains a backlog at about half speed.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number of percent' })
  @Min(1)
  @Max(100)
  PROJECTOR_SLOW_LANE_PERCENT = 50;

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
   * flight live there until they commit: at 192 a consumer spent 550 ms in scavenges where one at
   * V8's default spent 1,294 ms on about as many events. Memory: up to this much per consumer.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(16)
  @Max(1_024)
  PROJECTOR_YOUNG_GENERATION_MB = 192;
}
