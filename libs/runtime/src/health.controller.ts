import { applyDecorators, Controller, Get, HttpStatus, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiServiceUnavailableResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { TransportName } from '@hub/bus';
import { ReadinessCheck, type ReadinessChecks } from './health/readiness.js';
import type { LaneState, LaneStatus } from './health/lane-registry.js';
import { PublicRoute } from './openapi.js';

const CHECK = 'up, or "down: " and why';

class LivenessView {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

class ReadinessChecksView implements ReadinessChecks {
  @ApiProperty({ description: CHECK })
  database: string;

  @ApiProperty({ description: CHECK })
  bus: string;

  @ApiProperty({ description: `every consumer lane runs: ${CHECK}` })
  lanes: string;

  @ApiProperty({ description: `the app is not shutting down: ${CHECK}` })
  serving: string;
}

class LaneStatusView implements LaneStatus {
  @ApiProperty({ example: 'projector.canonical' })
  lane: string;

  @ApiProperty({ enum: ['starting', 'running', 'down', 'restarting', 'stopped'] })
  state: LaneState;

  @ApiPropertyOptional({ description: 'why it is not running, when known' })
  detail?: string;
}

class ReadinessReport {
  @ApiProperty({ enum: ['ok', 'unavailable'] })
  status: 'ok' | 'unavailable';

  @ApiProperty({ enum: ['kafka', 'postgres-log'] })
  transport: TransportName;

  @ApiProperty({ type: ReadinessChecksView })
  checks: ReadinessChecks;

  @ApiProperty({ type: [LaneStatusView] })
  lanes: LaneStatus[];
}

/**
 * `/health/live`: the process serves HTTP (restart it when this fails). `/health/ready`, and
 * `/health` as its alias: 200 only while the database and the bus answer, every consumer lane
 * runs and the app is not shutting down, else 503 naming the check that failed (send it no work).
 * A probe has no key: these take none.
 */
@Controller('health')
@PublicRoute()
export class HealthController {
  constructor(private readonly readiness: ReadinessCheck) {}

  @Get('live')
  @ApiOkResponse({ type: LivenessView, description: 'the process serves HTTP' })
  live(): LivenessView {
    return { status: 'ok' };
  }

  @Get('ready')
  @ReadinessResponses()
  ready(@Res({ passthrough: true }) response: FastifyReply): Promise<ReadinessReport> {
    return this.report(response);
  }

  @Get()
  @ReadinessResponses()
  alias(@Res({ passthrough: true }) response: FastifyReply): Promise<ReadinessReport> {
    return this.report(response);
  }

  private async report(response: FastifyReply): Promise<ReadinessReport> {
    const { ready, transport, checks, lanes } = await this.readiness.check();
    response.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ok' : 'unavailable', transport, checks, lanes };
  }
}

/** A 503 of readiness is the same report, not a problem: a probe reads which check failed. */
function ReadinessResponses() {
  return applyDecorators(
    ApiOkResponse({ type: ReadinessReport, description: 'ready for work' }),
    ApiServiceUnavailableResponse({ type: ReadinessReport, description: 'a check failed: send no work' }),
  );
}
