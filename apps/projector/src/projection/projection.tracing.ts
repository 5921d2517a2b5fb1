import { cloudEventMessage, type CanonicalEvent } from '@hub/contracts';
import type { OutgoingMessage } from '@hub/bus';
import type { Decoded, LaneContext } from '@hub/runtime';
import type { StateChange } from './projection.service.js';

/**
 * The state changes' messages. With tracing on, each carries the trace of the event that caused
 * it (the span that applied that event, `projector apply`), so the webhook it becomes is in the
 * provider's trace; the bus opens its producer span there. Off, the messages as they always were.
 */
export function changeMessages(
  changes: StateChange[],
  events: Array<Decoded<CanonicalEvent>>,
  context: LaneContext,
): OutgoingMessage[] {
  if (!context.traced) return changes.map((change) => cloudEventMessage(change, change.json));
  const causes = new Map(events.map(({ value, message }) => [`${value.tenant}/${value.id}`, message]));
  return changes.map((change) => {
    const message = cloudEventMessage(change, change.json);
    const cause = causes.get(`${change.tenant}/${change.causedBy}`);
    return cause ? context.inTraceOf(cause, message) : message;
  });
}
