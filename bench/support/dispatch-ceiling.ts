import { OutboundClient } from '../../apps/dispatcher/src/outbound/outbound.client.js';
import { webhookHeaders } from '../../apps/dispatcher/src/outbound/webhook-request.js';
import type { DispatcherConfig } from '../../apps/dispatcher/src/config/dispatcher.config.js';
import type { BenchReceiver } from './dispatch-receiver.js';
import { runPhase, type BenchSubscription, type Pace, type PhaseFigures, type Unit } from './dispatch-run.js';

/** One webhook as the dispatcher sent it: its id, its subscription, its exact body. */
export interface Outbound {
  id: string;
  subscription: BenchSubscription;
  body: string;
}

export interface RequestUnit extends Unit {
  requests: Outbound[];
}

/**
 * The ceiling: the dispatcher's own OutboundClient (the same keep-alive node:http Agent, the same
 * request code), in this process with no database, posting the bodies the dispatcher built under
 * the same Standard Webhooks headers, signed per request with the subscription's secret, to the
 * same receiver. What is left between this and the dispatcher is matching, the claim, the secret,
 * and recording the outcome.
 */
export class BareLoop {
  private readonly client: OutboundClient;

  constructor(config: DispatcherConfig) {
    this.client = new OutboundClient(config);
  }

  /** Opens `sockets` keep-alive connections before the clock starts (answers are not timed). */
  async warmUp(outbound: Outbound[], sockets: number): Promise<void> {
    await Promise.all(outbound.slice(0, sockets).map((one) => this.post(one)));
  }

  /** A burst, one unit per request, `concurrency` in flight; or paced units of several requests each. */
  run(receiver: BenchReceiver, units: RequestUnit[], pace: Pace, timeoutMs: number): Promise<PhaseFigures> {
    return runPhase(
      receiver,
      units,
      async (unit) => {
        await Promise.all(unit.requests.map((one) => this.post(one)));
      },
      pace,
      timeoutMs,
    );
  }

  close(): void {
    this.client.onApplicationShutdown();
  }

  private async post(one: Outbound): Promise<void> {
    const headers = webhookHeaders(
      { headers: {}, signature_scheme: 'standard-webhooks' },
      [one.subscription.secret],
      one.id,
      one.body,
    );
    const result = await this.client.post(one.subscription.endpoint, headers, one.body);
    if (result.statusCode !== 200)
      throw new Error(`the receiver answered ${result.statusCode ?? result.error}`);
  }
}
