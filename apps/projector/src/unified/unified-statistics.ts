import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE, defineQuery, execute, rowsOf } from '@hub/persistence';
import { ProjectorConfig } from '../config/projector.config.js';

/** How often the tables' growth is looked at. */
const CHECK_INTERVAL_MS = 5_000;

/** The tables the engine looks records up in, with the indexes the planner must pick right. */
const TABLES = ['unified_link_keys', 'unified_links', 'unified_decisions', 'unified_records'];

/**
 * Keeps the planner's statistics of the unified tables current while they grow fast. Every lookup
 * of the engine filters on (tenant_id, kind, …) and each table has two indexes with that prefix;
 * on a table never analysed the planner believes every condition picks one row, cannot tell the
 * indexes apart, and took the one that scans a whole tenant: 50 times slower per batch in a fresh
 * database until autovacuum's first analyse, a minute or more later. This analyses a table (outside
 * any batch's transaction) once it changed by more than half since its last analyse.
 */
@Injectable()
export class UnifiedStatistics implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('UnifiedStatistics');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly config: ProjectorConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.UNIFIED_RECORDS === 'off') return;
    this.timer = setInterval(() => {
      this.running ??= this.analyseGrown()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn(`analyse skipped: ${(error as Error).message}`))
        .finally(() => (this.running = undefined));
    }, CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Analyses the tables that changed by more than half (and 1,000 rows) since their last analyse. */
  async analyseGrown(): Promise<string[]> {
    const grown = await rowsOf(
      this.dataSource,
      defineQuery<{ relname: string }>(`SELECT relname FROM pg_stat_user_tables
        WHERE relname = ANY($1::text[]) AND n_mod_since_analyze > greatest(1000, n_live_tup / 2)`),
      [TABLES],
    );
    for (const { relname } of grown) {
      // Table names come from TABLES above, never from input.
      await execute(this.dataSource, defineQuery(`ANALYZE ${relname}`));
    }
    return grown.map((row) => row.relname);
  }
}
