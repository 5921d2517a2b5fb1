import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { withTimeout } from '@hub/runtime';
import { SubscriptionRepository } from '../subscriptions/subscription.repository.js';
import { DeliveryRepository } from './delivery.repository.js';

/** A scrape waits this long for the counts; past it they are left out of that scrape. */
const COUNT_TIMEOUT_MS = 2_000;

type Reader = () => Promise<Record<string, number>>;
const readers: { deliveries?: Reader; subscriptions?: Reader } = {};
const logger = new Logger('DispatchGauges');

new Gauge({
  name: 'hub_dispatcher_deliveries',
  help: 'Open deliveries by state: pending (never attempted) or retrying (attempted, another attempt to come), read at scrape time.',
  labelNames: ['state'] as const,
  async collect() {
    await setFrom(this, 'state', readers.deliveries);
  },
});

new Gauge({
  name: 'hub_dispatcher_subscriptions',
  help: 'Subscriptions by status: enabled (active) or disabled (by the API, 410 Gone or failing), read at scrape time.',
  labelNames: ['status'] as const,
  async collect() {
    await setFrom(this, 'status', readers.subscriptions);
  },
});

/** Counts read from the database at each scrape, with a timeout, none if it fails. */
async function setFrom<L extends string>(gauge: Gauge<L>, label: L, read: Reader | undefined): Promise<void> {
  gauge.reset();
  if (!read) return;
  try {
    const counts = await withTimeout(read(), COUNT_TIMEOUT_MS);
    for (const [value, count] of Object.entries(counts))
      gauge.set({ [label]: value } as Record<L, string>, count);
  } catch (error) {
    logger.debug(`${label} counts left out of this scrape: ${(error as Error).message}`);
  }
}

/** Hands the scrape-time gauges their repositories while the app runs. */
@Injectable()
export class DispatchGauges implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly subscriptions: SubscriptionRepository,
  ) {}

  onModuleInit(): void {
    readers.deliveries = () => this.deliveries.countOpenByState();
    readers.subscriptions = () => this.subscriptions.countByStatus();
  }

  onApplicationShutdown(): void {
    delete readers.deliveries;
    delete readers.subscriptions;
  }
}
