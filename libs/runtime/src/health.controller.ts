import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { EVENT_BUS, type EventBus } from '@hub/bus';
import { DATA_SOURCE, defineQuery, execute } from '@hub/persistence';
import type { DataSource } from 'typeorm';
import { withTimeout } from './platform.js';
import { ShutdownState } from './shutdown.state.js';

interface HealthReport {
  status: 'ok' | 'unavailable';
  transport: string;
  checks: { database: string; bus: string };
}

const SELECT_ONE = defineQuery('SELECT 1');

/** Ready (200) only while the database and the bus both answer, and not while shutting down. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const [database, bus] = await Promise.all([
      probe(() => execute(this.dataSource, SELECT_ONE)),
      probe(() => this.bus.ping()),
    ]);
    const ready = database === 'up' && bus === 'up' && !this.shutdown.stopping;
    response.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ok' : 'unavailable', transport: this.bus.transport, checks: { database, bus } };
  }
}

async function probe(check: () => Promise<unknown>): Promise<string> {
  try {
    await withTimeout(check(), 2_000);
    return 'up';
  } catch (error) {
    return `down: ${error instanceof Error ? error.message : String(error)}`;
  }
}
