import type { DispatchableEvent } from '@hub/contracts';
import type { Decoded, LaneContext } from '@hub/runtime';
import type { NewDelivery } from '../deliveries/delivery.repository.js';

/**
 * With tracing on, each delivery keeps the trace of the change it was matched from (the W3C
 * headers of that change's `dispatcher matching` span): its attempts, sent later and perhaps
 * retried for hours, are spans of that same trace. Off, the deliveries as they are.
 */
export function withMatchedTraces(
  deliveries: NewDelivery[],
  events: Array<Decoded<DispatchableEvent>>,
  context: LaneContext,
): NewDelivery[] {
  if (!context.traced || deliveries.length === 0) return deliveries;
  const traces = new Map(
    events.map(({ value, message }) => [`${value.tenant}/${value.id}`, context.traceHeadersOf(message)]),
  );
  return deliveries.map((delivery) => ({
    ...delivery,
    traceContext: traces.get(`${delivery.tenantId}/${delivery.changeId}`) ?? null,
  }));
}
