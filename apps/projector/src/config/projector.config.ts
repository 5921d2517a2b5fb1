import { Transform } from 'class-transformer';
import { IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { PlatformConfig, portSetting, retentionDaysSetting, toInt } from '@hub/config';

export class ProjectorConfig extends PlatformConfig {
  @portSetting()
  PROJECTOR_PORT = 3002;

  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'must be 1-100 of [A-Za-z0-9._-]' })
  PROJECTOR_GROUP_ID = 'projector';

  /** The dispatcher's consumer group, as the dispatcher has it: GET /v1/bus reports its lag too. */
  @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'must be 1-100 of [A-Za-z0-9._-]' })
  DISPATCHER_GROUP_ID = 'dispatcher';

  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(5_000)
  PROJECTOR_BATCH_SIZE = 500;

  /**
   * Batches each consumer applies at the same time, each in its own transaction and each over its
   * share of the partitions that have events (on Kafka, of those one fetch brought). Since a batch
   * takes every ready partition (ADR 0019), 1 gave lower latency at 500 req/s on a 2-core machine
   * (Postgres log: e2e p50 113 and 122 ms against 158 and 302 with 2, alternating) and applied a
   * burst as fast (bench:projector, 1,192 and 1,272 events/s against 1,070 and 1,124); 2 lets one
   * batch apply while the other waits on Postgres, which a machine with idle cores can use.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(32)
  PROJECTOR_CONCURRENCY = 1;

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
   * Consumers of the group this process runs, each on a worker thread of its own, the app's thread
   * then only serving the API; 0: the app's thread consumes itself, no worker thread. Applying
   * events is CPU-bound JavaScript, so one consumer uses one core; the bus splits the partitions
   * between them, as it does between processes. Memory: each thread is a V8 isolate with the whole
   * app loaded, 80 MiB idle and more under load. At 0 the projector applied a 30,000-event burst as
   * fast as with 2 (3,593 and 3,618 events/s, bench:projector on 2 shared cores) in 276 MiB instead
   * of 503, and peaked at 173-175 MiB under the system benchmark's sustained load instead of 327
   * (docs/performance.md, Memory). More consumers buy throughput on idle cores at ~80 MiB or more
   * each: on a quiet machine two threads applied a burst 7-15 % faster than one.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(0)
  @Max(16)
  PROJECTOR_CONSUMERS = 0;

  /**
   * Each consumer thread's young generation, in MB (V8's maxYoungGenerationSizeMb); unused at
   * PROJECTOR_CONSUMERS=0, where the app's thread has Node's own. Batches in flight live there
   * until they commit. bench:projector with 2 consumers, 30,000 events: 192 MB applied 2,768
   * events/s with 686 MiB resident at most, 64 MB 3,605 (567 MiB), 16 MB 3,618 (503 MiB): the
   * scavenges a larger one saves did not show in events/s on this machine, its memory did.
   */
  @Transform(toInt)
  @IsInt({ message: 'must be a whole number' })
  @Min(16)
  @Max(1_024)
  PROJECTOR_YOUNG_GENERATION_MB = 16;

  /**
   * Days the state-changes topic keeps a message on the Postgres log (the dispatcher has matched it
   * within seconds; a dispatcher stopped for longer misses what was pruned). 0 keeps them for ever.
   */
  @retentionDaysSetting()
  RETENTION_STATE_CHANGES_DAYS = 7;

  /**
   * Days an entity's history keeps a version; the current version is always kept. 0 (default)
   * keeps the whole history. A rebuild writes the whole history again from the canonical topics.
   */
  @retentionDaysSetting()
  RETENTION_HISTORY_DAYS = 0;

  /**
   * Unified records (docs/adr/0017): each batch links the customers and projects it changed to
   * the other providers' records of the same person or project, in its transaction. 'off' links
   * nothing (the unified tables keep what they had until a rebuild with it on).
   */
  @IsIn(['on', 'off'], { message: 'must be on or off' })
  UNIFIED_RECORDS: 'on' | 'off' = 'on';
}
