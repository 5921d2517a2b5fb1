import { Global, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_BUS } from '@hub/bus';
import { DATA_SOURCE } from '@hub/persistence';
import { PlatformConfig } from '@hub/config';
import type { Tracing } from '@hub/telemetry';
import { HealthController } from './health.controller.js';
import { MetricsController } from './observability/metrics.controller.js';
import { ShutdownState } from './shutdown.state.js';
import { LaneRegistry } from './health/lane-registry.js';
import { ReadinessCheck } from './health/readiness.js';
import { closePlatform, type Platform } from './platform.js';
import type { BusTransport } from './bus-transport/bus.transport.js';

export interface PlatformOptions {
  /** The app's own settings class, injectable by that class. */
  configSchema?: new () => PlatformConfig;
  /** The app's consumer lanes, stopped right before the bus closes. */
  consumers?: BusTransport;
  /** Flushed last, after the bus and database have closed. */
  tracing?: Tracing;
}

/**
 * Makes the app's DataSource, bus, settings and lane registry injectable, serves /health and /metrics, closes them last on
 * shutdown: first the consumer lanes (each commits its batch in flight), then the bus and database.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(platform: Platform, options: PlatformOptions = {}): DynamicModule {
    const { configSchema = PlatformConfig, consumers, tracing } = options;
    // Readiness counts the transport's lanes; an app adds the lane threads it starts itself.
    const lanes = new LaneRegistry();
    if (consumers) lanes.track(consumers);
    class PlatformLifecycle implements OnApplicationShutdown {
      // Runs after the HTTP server has stopped taking requests and finished those in flight, and
      // after every other shutdown hook: the lanes consume until now, as subscriptions always did.
      async onApplicationShutdown(): Promise<void> {
        try {
          await consumers?.stop();
        } finally {
          await closePlatform(platform);
          // Last: the spans of the final batches are exported before the process exits.
          await tracing?.shutdown();
        }
      }
    }
    return {
      module: PlatformModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: DATA_SOURCE, useValue: platform.dataSource },
        { provide: EVENT_BUS, useValue: platform.bus },
        { provide: PlatformConfig, useValue: platform.config },
        ...(configSchema === PlatformConfig ? [] : [{ provide: configSchema, useValue: platform.config }]),
        ShutdownState,
        { provide: LaneRegistry, useValue: lanes },
        ReadinessCheck,
        PlatformLifecycle,
      ],
      exports: [DATA_SOURCE, EVENT_BUS, PlatformConfig, configSchema, ShutdownState, LaneRegistry],
    };
  }
}
