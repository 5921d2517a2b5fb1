import type { Subscription } from '@hub/bus';
import type { LaneSource, LaneStatus } from '../health/lane-registry.js';

/**
 * Where each lane of a BusTransport is: starting until its subscription is made, then as the
 * subscription reports itself (see Subscription.running), stopped once the transport stops.
 */
export class TransportLaneStates implements LaneSource {
  private readonly subscriptions = new Map<string, Subscription>();
  private stopped = false;

  constructor(private readonly lanes: string[]) {}

  subscribed(lane: string, subscription: Subscription): void {
    this.subscriptions.set(lane, subscription);
  }

  stop(): void {
    this.stopped = true;
  }

  laneStatuses(): LaneStatus[] {
    return this.lanes.map((lane): LaneStatus => {
      if (this.stopped) return { lane, state: 'stopped' };
      const subscription = this.subscriptions.get(lane);
      if (!subscription) return { lane, state: 'starting' };
      return { lane, state: subscription.running ? 'running' : 'down' };
    });
  }
}
