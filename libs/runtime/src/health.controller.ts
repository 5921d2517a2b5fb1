import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { TransportName } from '@hub/bus';
import { ReadinessCheck, type ReadinessChecks } from './health/readiness.js';
import type { LaneStatus } from './health/lane-registry.js';

interface ReadinessReport {
  status: 'ok' | 'unavailable';
  transport: TransportName;
  checks: ReadinessChecks;
  lanes: LaneStatus[];
}

/**
 * `/health/live`: the process serves HTTP (restart it when this fails). `/health/ready`, and
 * `/health` as its alias: 200 only while the database and the bus answer, every consumer lane
 * runs and the app is not shutting down, else 503 naming the check that failed (send it no work).
 */
@Controller('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessCheck) {}

  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  ready(@Res({ passthrough: true }) response: FastifyReply): Promise<ReadinessReport> {
    return this.report(response);
  }

  @Get()
  alias(@Res({ passthrough: true }) response: FastifyReply): Promise<ReadinessReport> {
    return this.report(response);
  }

  private async report(response: FastifyReply): Promise<ReadinessReport> {
    const { ready, transport, checks, lanes } = await this.readiness.check();
    response.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ok' : 'unavailable', transport, checks, lanes };
  }
}
