/** A state change ready to publish: what its message's key and headers name, and its JSON text. */
export interface StateChange {
  id: string;
  type: string;
  tenant: string;
  subject: string;
  json: string;
  /** The id of the event that caused it: its message goes on in that event's trace. */
  causedBy: string;
}
