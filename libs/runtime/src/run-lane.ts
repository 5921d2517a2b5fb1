import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parentPort, workerData } from 'node:worker_threads';
import type { PlatformConfig } from '@hub/config';
import { labelThreadMetrics } from '@hub/telemetry';
import { prepareRoot, type RootDefinition } from './root-module.js';
import { answerMetricsRequests } from './lane-metrics.js';
import { STOP_LANE } from './worker-lanes.js';
import { reportLaneReadiness } from './health/lane-reports.js';

/**
 * The body of a lane's thread (see WorkerLanes): the app's settings, its own database pool and
 * bus, and the consumer module with its lanes (see BusTransport), without HTTP. Stops when
 * the app's thread says so, once its consumers have committed; a start-up failure ends the thread
 * with exit code 1.
 */
export async function runLane<C extends PlatformConfig>(definition: RootDefinition<C>): Promise<void> {
  const lane = (workerData as { lane?: number } | null)?.lane ?? 0;
  const name = `${definition.name} lane ${lane}`;
  const starting = start(definition);
  // Listening before the start finishes: a stop that arrives meanwhile waits for it, then closes.
  // The port also carries metrics requests, so the listener stays and takes the first stop only.
  let stopping = false;
  parentPort?.on('message', (message) => {
    if (message !== STOP_LANE || stopping) return;
    stopping = true;
    starting
      .then((app) => app.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`${name}: shutdown failed: ${(error as Error)?.message ?? String(error)}\n`);
          process.exit(1);
        },
      );
  });
  if (parentPort) answerMetricsRequests(parentPort);
  try {
    await starting;
  } catch (error) {
    process.stderr.write(`${name}: cannot start: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  }
}

async function start<C extends PlatformConfig>(
  definition: RootDefinition<C>,
): Promise<INestApplicationContext> {
  const { root, transport: strategy, logger } = await prepareRoot(definition);
  labelThreadMetrics(definition.name);
  if (!strategy) {
    const context = await NestFactory.createApplicationContext(root, { logger });
    if (parentPort) reportLaneReadiness(parentPort, undefined);
    return context;
  }
  // Its close runs the shutdown hooks: the platform's stops the lanes, then closes the bus.
  const app = await NestFactory.createMicroservice(root, { strategy, logger });
  await app.listen();
  // Only now do its consumers run: until this, the app's readiness counts the lane as starting.
  if (parentPort) reportLaneReadiness(parentPort, strategy);
  return app;
}
