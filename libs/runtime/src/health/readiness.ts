import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { isMainThread } from 'node:worker_threads';
import { EVENT_BUS, type EventBus, type TransportName } from '@hub/bus';
import { DATA_SOURCE, defineQuery, execute } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import { withTimeout } from '../platform.js';
import { ShutdownState } from '../shutdown.state.js';
import { describeLanes, LaneRegistry, type LaneStatus } from './lane-registry.js';
import { exposeReadiness } from './readiness.metric.js';

/** Each check is "up" or "down: " and why. */
export interface ReadinessChecks {
  database: string;
  bus: string;
  /** Every consumer lane of the app runs (see LaneRegistry). */
  lanes: string;
  /** The app is not shutting down. */
  serving: string;
}

export interface Readiness {
  ready: boolean;
  transport: TransportName;
  checks: ReadinessChecks;
  lanes: LaneStatus[];
}

const SELECT_ONE = defineQuery('SELECT 1');
const PROBE_TIMEOUT_MS = 2_000;

/**
 * Whether the app should get work: the database and the bus answer, every consumer lane runs,
 * and it is not shutting down. /health/ready serves it, and `hub_ready` (0/1) at every scrape.
 */
@Injectable()
export class ReadinessCheck implements OnModuleInit {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly shutdown: ShutdownState,
    private readonly lanes: LaneRegistry,
  ) {}

  /** Lane threads have no HTTP and are counted by their app's thread: the gauge is the app's own. */
  onModuleInit(): void {
    if (isMainThread) exposeReadiness(() => this.check());
  }

  async check(): Promise<Readiness> {
    const [database, bus] = await Promise.all([
      probe(() => execute(this.dataSource, SELECT_ONE)),
      probe(() => this.bus.ping()),
    ]);
    const lanes = this.lanes.statuses();
    const checks: ReadinessChecks = {
      database,
      bus,
      lanes: describeLanes(lanes),
      serving: this.shutdown.stopping ? 'down: shutting down' : 'up',
    };
    const ready = Object.values(checks).every((check) => check === 'up');
    return { ready, transport: this.bus.transport, checks, lanes };
  }
}

async function probe(check: () => Promise<unknown>): Promise<string> {
  try {
    await withTimeout(check(), PROBE_TIMEOUT_MS);
    return 'up';
  } catch (error) {
    return `down: ${error instanceof Error ? error.message : String(error)}`;
  }
}
