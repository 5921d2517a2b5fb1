/** What the projector publishes when an entity really changed (topic state changes). */
export interface StateChangeData {
  entity_type: 'project' | 'customer' | 'monitor';
  entity_id: string;
  version: number;
  changed_fields: string[];
  /** The whole new document. */
  document: Record<string, unknown>;
  /** Id of the canonical event that caused the change. */
  caused_by: string;
}
