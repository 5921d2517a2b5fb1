import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { ApiProblem, get, patch, post, type Page } from '../api';
import { Loading, ProblemMessage } from '../components/states';
import { useApi } from '../components/use-api';
import type { PreviewItem, SeenField, StateChangeMessage, Subscription } from '../types';

const SCHEMES = ['standard-webhooks', 'hmac-sha256-hex', 'shared-secret-header'] as const;
const ENTITY_TYPES = ['project', 'customer', 'monitor'] as const;
const KNOWN_EVENT_TYPES = [
  ...ENTITY_TYPES.flatMap((type) => [`${type}.created`, `${type}.updated`]),
  'subscription.disabled',
  'subscription.recovered',
  'delivery.exhausted',
];
/** The field-path grammar's shape (libs/contracts field-paths): the API has the last word. */
const SEGMENT = /^(\*|[A-Za-z0-9_-]{1,100})$/;
const PREVIEW_DELAY_MS = 400;

/** The secret of a subscription just created, handed to its page in memory only, shown there once. */
let createdSecret: { id: string; secret: string } | null = null;
export function takeCreatedSecret(id: string): string | null {
  if (createdSecret?.id !== id) return null;
  const { secret } = createdSecret;
  createdSecret = null;
  return secret;
}

interface Draft {
  endpoint: string;
  description: string;
  eventTypes: string[];
  otherEventTypes: string;
  triggerFields: string[];
  payloadFields: string[];
  headers: string;
  signatureScheme: string;
  ordering: 'none' | 'entity';
  enabled: boolean;
}

const EMPTY: Draft = {
  endpoint: '',
  description: '',
  eventTypes: [],
  otherEventTypes: '',
  triggerFields: [],
  payloadFields: [],
  headers: '',
  signatureScheme: 'standard-webhooks',
  ordering: 'none',
  enabled: true,
};

function draftOf(subscription: Subscription): Draft {
  return {
    endpoint: subscription.endpoint,
    description: subscription.description ?? '',
    eventTypes: subscription.event_types.filter((type) => KNOWN_EVENT_TYPES.includes(type)),
    otherEventTypes: subscription.event_types.filter((type) => !KNOWN_EVENT_TYPES.includes(type)).join(', '),
    triggerFields: subscription.trigger_fields ?? [],
    payloadFields: subscription.payload_fields ?? [],
    headers: Object.entries(subscription.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    signatureScheme: subscription.signature_scheme,
    ordering: subscription.ordering,
    enabled: subscription.status !== 'disabled',
  };
}

function eventTypesOf(draft: Draft): string[] {
  const others = draft.otherEventTypes
    .split(/[\s,]+/)
    .map((type) => type.trim())
    .filter(Boolean);
  return [...new Set([...draft.eventTypes, ...others])];
}

/** What matching reads: empty field lists are the defaults (null). */
function matchingOf(draft: Draft) {
  return {
    event_types: eventTypesOf(draft),
    trigger_fields: draft.triggerFields.length ? draft.triggerFields : null,
    payload_fields: draft.payloadFields.length ? draft.payloadFields : null,
  };
}

function headersOf(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`Headers: "${line.trim()}" is not "Name: value"`);
    headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}

export function patternProblem(pattern: string): string | null {
  const segments = pattern.split('.');
  if (segments.length < 2 || segments.length > 12)
    return 'a pattern has 2 to 12 dotted segments, such as project.stage';
  if (!segments.every((segment) => SEGMENT.test(segment)))
    return 'segments are letters, digits, _ or -, or a lone *';
  if (!(ENTITY_TYPES as readonly string[]).includes(segments[0]!))
    return 'a pattern starts with the entity type: project, customer or monitor';
  return null;
}

/** Create (no id) or edit a subscription, with a live preview of what it would have sent. */
export function SubscriptionEditor() {
  const { params } = useRoute();
  const id = params['id'];
  const state = useApi<Subscription>(id ? `/v1/subscriptions/${encodeURIComponent(id)}` : null);
  if (!id) return <EditorForm />;
  return <Loading state={state}>{(subscription) => <EditorForm subscription={subscription} />}</Loading>;
}

function EditorForm({ subscription }: { subscription?: Subscription }) {
  const { route } = useLocation();
  const [draft, setDraft] = useState<Draft>(() => (subscription ? draftOf(subscription) : EMPTY));
  const [error, setError] = useState<Error | undefined>();
  const [saving, setSaving] = useState(false);
  const fields = useSeenFields();
  const update = (change: Partial<Draft>) => setDraft((previous) => ({ ...previous, ...change }));
  const title = subscription ? 'Edit subscription' : 'New subscription';

  const save = async (event: Event) => {
    event.preventDefault();
    setSaving(true);
    setError(undefined);
    try {
      const body: Record<string, unknown> = {
        ...matchingOf(draft),
        description: draft.description.trim(),
        ordering: draft.ordering,
      };
      if (!subscription) {
        if (!body['description']) delete body['description'];
        body['headers'] = headersOf(draft.headers);
        body['signature_scheme'] = draft.signatureScheme;
        body['enabled'] = draft.enabled;
        const created = await post<Subscription>('/v1/subscriptions', {
          endpoint: draft.endpoint.trim(),
          ...body,
        });
        if (created.secret) createdSecret = { id: created.id, secret: created.secret };
        route(`/console/subscriptions/${created.id}`);
      } else {
        // Only what changed: an unchanged endpoint is not validated again, unchanged headers keep
        // their stored secrets, and a disabled one keeps the reason it was disabled for.
        const initial = draftOf(subscription);
        if (draft.endpoint.trim() !== subscription.endpoint) body['endpoint'] = draft.endpoint.trim();
        if (draft.headers !== initial.headers) body['headers'] = headersOf(draft.headers);
        if (draft.enabled !== initial.enabled) body['enabled'] = draft.enabled;
        await patch<Subscription>(`/v1/subscriptions/${encodeURIComponent(subscription.id)}`, body);
        route(`/console/subscriptions/${subscription.id}`);
      }
    } catch (problem) {
      setError(problem as Error);
    } finally {
      setSaving(false);
    }
  };

  return (
    <section aria-labelledby="editor">
      <h1 id="editor">{title}</h1>
      <div class="editor">
        <form onSubmit={save} class="editor-form">
          <label for="sub-endpoint">Endpoint URL</label>
          <input
            id="sub-endpoint"
            type="url"
            required
            spellcheck={false}
            value={draft.endpoint}
            placeholder="https://crm.example.com/hooks/solar"
            aria-describedby="sub-endpoint-hint"
            onInput={(event) => update({ endpoint: (event.target as HTMLInputElement).value })}
          />
          <p class="hint" id="sub-endpoint-hint">
            Sent a signed <code>webhook.validate</code> first; the subscription is active once it answers 2xx.
          </p>
          <label for="sub-description">Description</label>
          <input
            id="sub-description"
            maxLength={500}
            value={draft.description}
            onInput={(event) => update({ description: (event.target as HTMLInputElement).value })}
          />

          <fieldset>
            <legend>Event types</legend>
            <p class="hint">None chosen: every type.</p>
            <div class="options">
              {KNOWN_EVENT_TYPES.map((type) => (
                <Checkbox
                  key={type}
                  id={`event-${type}`}
                  label={type}
                  checked={draft.eventTypes.includes(type)}
                  onChange={(on) =>
                    update({
                      eventTypes: on
                        ? [...draft.eventTypes, type]
                        : draft.eventTypes.filter((t) => t !== type),
                    })
                  }
                />
              ))}
            </div>
            <label for="sub-other-types">Other event types (comma separated, * matches a part)</label>
            <input
              id="sub-other-types"
              spellcheck={false}
              value={draft.otherEventTypes}
              placeholder="activity.*, monitoring.metric.status_changed"
              onInput={(event) => update({ otherEventTypes: (event.target as HTMLInputElement).value })}
            />
          </fieldset>

          <FieldPicker
            name="trigger"
            legend="Trigger fields"
            hint="A change is sent when one of these fields changed. None chosen: any field."
            fields={fields}
            value={draft.triggerFields}
            onChange={(triggerFields) => update({ triggerFields })}
          />
          <FieldPicker
            name="payload"
            legend="Payload fields"
            hint="The fields of the new document the body carries. None chosen: the whole document."
            fields={fields}
            value={draft.payloadFields}
            onChange={(payloadFields) => update({ payloadFields })}
          />

          <label for="sub-headers">Headers (one "Name: value" a line)</label>
          <textarea
            id="sub-headers"
            rows={3}
            spellcheck={false}
            value={draft.headers}
            aria-describedby="sub-headers-hint"
            onInput={(event) => update({ headers: (event.target as HTMLTextAreaElement).value })}
          />
          <p class="hint" id="sub-headers-hint">
            Credentials are stored encrypted and shown as [redacted]; leaving [redacted] keeps the stored
            value.
          </p>

          <label for="sub-scheme">Signature scheme</label>
          <select
            id="sub-scheme"
            value={draft.signatureScheme}
            disabled={subscription !== undefined}
            aria-describedby={subscription ? 'sub-scheme-hint' : undefined}
            onChange={(event) => update({ signatureScheme: (event.target as HTMLSelectElement).value })}
          >
            {SCHEMES.map((scheme) => (
              <option key={scheme} value={scheme}>
                {scheme}
              </option>
            ))}
          </select>
          {subscription ? (
            <p class="hint" id="sub-scheme-hint">
              The scheme cannot change: create a new subscription for another one.
            </p>
          ) : null}

          <fieldset>
            <legend>Ordering</legend>
            <div class="options">
              <Radio
                id="ordering-none"
                name="ordering"
                label="None: as fast as possible"
                checked={draft.ordering === 'none'}
                onChange={() => update({ ordering: 'none' })}
              />
              <Radio
                id="ordering-entity"
                name="ordering"
                label="Entity: one entity's changes strictly in version order"
                checked={draft.ordering === 'entity'}
                onChange={() => update({ ordering: 'entity' })}
              />
            </div>
          </fieldset>

          <Checkbox
            id="sub-enabled"
            label="Enabled"
            checked={draft.enabled}
            onChange={(enabled) => update({ enabled })}
          />

          <ProblemMessage error={error} />
          <button type="submit" disabled={saving}>
            {saving ? 'Saving…' : subscription ? 'Save changes' : 'Create subscription'}
          </button>
          <a
            class="button-link"
            href={subscription ? `/console/subscriptions/${subscription.id}` : '/console/subscriptions'}
          >
            Cancel
          </a>
        </form>
        <Preview draft={draft} />
      </div>
    </section>
  );
}

function Checkbox(props: {
  id: string;
  label: string;
  checked: boolean;
  describedBy?: string;
  onChange: (checked: boolean) => void;
}) {
  return (
    <div class="check">
      <input
        type="checkbox"
        id={props.id}
        checked={props.checked}
        aria-describedby={props.describedBy}
        onChange={(event) => props.onChange((event.target as HTMLInputElement).checked)}
      />
      <label for={props.id}>{props.label}</label>
    </div>
  );
}

function Radio(props: { id: string; name: string; label: string; checked: boolean; onChange: () => void }) {
  return (
    <div class="check">
      <input type="radio" id={props.id} name={props.name} checked={props.checked} onChange={props.onChange} />
      <label for={props.id}>{props.label}</label>
    </div>
  );
}

interface SeenFields {
  fields: SeenField[];
  error?: Error | undefined;
  loading: boolean;
}

/** Every field path the projector has seen in this tenant's documents (a few pages at most). */
function useSeenFields(): SeenFields {
  const [state, setState] = useState<SeenFields>({ fields: [], loading: true });
  useEffect(() => {
    let current = true;
    (async () => {
      const fields: SeenField[] = [];
      let cursor: string | null = null;
      for (let round = 0; round < 5; round++) {
        const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page: Page<SeenField> = await get<Page<SeenField>>(`/v1/fields?limit=100${query}`);
        fields.push(...page.data);
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      return fields;
    })().then(
      (fields) => current && setState({ fields, loading: false }),
      (error: Error) => current && setState({ fields: [], error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, []);
  return state;
}

function safeId(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}

/**
 * Checkboxes for the field paths seen, by entity type (each with its `<type>.*`), and a pattern of
 * the grammar typed in for anything else (`project.*`, `project.systems.*`).
 */
function FieldPicker(props: {
  name: string;
  legend: string;
  hint: string;
  fields: SeenFields;
  value: string[];
  onChange: (value: string[]) => void;
}) {
  const [pattern, setPattern] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const seen = props.fields.fields;
  const byType = ENTITY_TYPES.map((type) => ({
    type,
    paths: seen.filter((field) => field.entity_type === type),
  })).filter((group) => group.paths.length > 0);
  const known = new Set([...seen.map((field) => field.path), ...byType.map((group) => `${group.type}.*`)]);
  const typed = props.value.filter((path) => !known.has(path));
  const toggle = (path: string, on: boolean) =>
    props.onChange(on ? [...props.value, path] : props.value.filter((p) => p !== path));
  const add = () => {
    const wanted = pattern.trim();
    const why = patternProblem(wanted);
    setProblem(why);
    if (why) return;
    if (!props.value.includes(wanted)) props.onChange([...props.value, wanted]);
    setPattern('');
  };
  const id = (path: string) => `${props.name}-${safeId(path)}`;
  return (
    <fieldset class="field-picker">
      <legend>{props.legend}</legend>
      <p class="hint">{props.hint}</p>
      {props.fields.loading ? (
        <p class="muted">Loading the fields seen…</p>
      ) : props.fields.error ? (
        <p class="notice">
          The fields seen in your records could not be loaded ({props.fields.error.message}); type patterns
          below.
        </p>
      ) : byType.length === 0 ? (
        <p class="muted">No fields seen yet: type patterns below.</p>
      ) : null}
      {typed.length > 0 ? (
        <fieldset class="options">
          <legend>Typed patterns</legend>
          {typed.map((path) => (
            <Checkbox key={path} id={id(path)} label={path} checked onChange={(on) => toggle(path, on)} />
          ))}
        </fieldset>
      ) : null}
      {byType.map((group) => (
        <fieldset class="options scroll" key={group.type}>
          <legend>
            {group.type} fields ({group.paths.length})
          </legend>
          <Checkbox
            id={id(`${group.type}.*`)}
            label={`${group.type}.*`}
            checked={props.value.includes(`${group.type}.*`)}
            onChange={(on) => toggle(`${group.type}.*`, on)}
          />
          {group.paths.map((field) => (
            <div class="check" key={field.path}>
              <input
                type="checkbox"
                id={id(field.path)}
                checked={props.value.includes(field.path)}
                aria-describedby={`${id(field.path)}-meta`}
                onChange={(event) => toggle(field.path, (event.target as HTMLInputElement).checked)}
              />
              <label for={id(field.path)}>{field.path}</label>{' '}
              <span class="muted small" id={`${id(field.path)}-meta`}>
                {field.types.join(', ')} · in {field.documents}{' '}
                {field.documents === 1 ? 'document' : 'documents'}
              </span>
            </div>
          ))}
        </fieldset>
      ))}
      <label for={`${props.name}-pattern`}>
        Add a {props.legend.toLowerCase().replace(/s$/, '')} pattern
      </label>
      <div class="inline">
        <input
          id={`${props.name}-pattern`}
          spellcheck={false}
          placeholder="project.stage or project.*"
          value={pattern}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${props.name}-pattern-problem` : undefined}
          onInput={(event) => setPattern((event.target as HTMLInputElement).value)}
          onKeyDown={(event) => {
            if (event.key === 'Enter') {
              event.preventDefault();
              add();
            }
          }}
        />
        <button type="button" class="secondary" onClick={add}>
          Add
        </button>
      </div>
      {problem ? (
        <p class="field-problem" id={`${props.name}-pattern-problem`} role="alert">
          {problem}
        </p>
      ) : null}
    </fieldset>
  );
}

type PreviewState =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'done'; items: PreviewItem[] }
  | { state: 'failed'; error: Error };

/** Which of the latest changes the draft would have sent, and the body each would carry. */
function Preview({ draft }: { draft: Draft }) {
  const changes = useApi<Page<StateChangeMessage>>('/v1/changes?limit=20');
  const matching = useMemo(() => JSON.stringify(matchingOf(draft)), [draft]);
  const [result, setResult] = useState<PreviewState>({ state: 'idle' });
  const recent = changes.data?.data;
  useEffect(() => {
    if (!recent || recent.length === 0) return;
    let current = true;
    setResult((previous) => (previous.state === 'done' ? previous : { state: 'loading' }));
    const timer = setTimeout(() => {
      post<{ data: PreviewItem[] }>('/v1/subscriptions/preview', {
        subscription: JSON.parse(matching) as unknown,
        changes: recent,
      }).then(
        (answer) => current && setResult({ state: 'done', items: answer.data }),
        (error: Error) => current && setResult({ state: 'failed', error }),
      );
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [matching, recent]);
  const matched = result.state === 'done' ? result.items.filter((item) => item.matched).length : 0;
  return (
    <section aria-labelledby="preview" class="preview panel">
      <h2 id="preview">Preview</h2>
      <p class="hint">
        The latest changes of your records, and what this subscription would have sent for each.
      </p>
      {changes.error ? (
        <p class="notice">Recent changes could not be loaded ({changes.error.message}): no preview.</p>
      ) : recent === undefined ? (
        <p class="muted">Loading recent changes…</p>
      ) : recent.length === 0 ? (
        <p class="empty">No changes yet: send a webhook to a source, then come back.</p>
      ) : (
        <>
          <p role="status" class="preview-summary">
            {result.state === 'done'
              ? `${matched} of ${result.items.length} recent changes would be sent.`
              : result.state === 'failed'
                ? result.error instanceof ApiProblem && result.error.status === 403
                  ? 'No preview: it needs a key that may write (this one is read-only).'
                  : 'No preview: the draft has a problem.'
                : 'Checking the recent changes…'}
          </p>
          {result.state === 'failed' ? <ProblemMessage error={result.error} /> : null}
          {result.state === 'done' ? (
            <ol class="preview-list">
              {result.items.map((item) => (
                <PreviewRow key={item.index} item={item} change={recent[item.index]} />
              ))}
            </ol>
          ) : null}
        </>
      )}
    </section>
  );
}

function PreviewRow({ item, change }: { item: PreviewItem; change: StateChangeMessage | undefined }) {
  const changed = change?.data['changed_fields'];
  return (
    <li class={item.matched ? 'matched' : 'skipped'}>
      <strong>{item.matched ? 'Would be sent' : 'Not sent'}</strong>: {item.event_type}{' '}
      <span class="wrap">{item.entity_id}</span>
      {item.reason ? <span class="muted"> ({item.reason})</span> : null}
      {Array.isArray(changed) && changed.length > 0 ? (
        <p class="small muted wrap">changed: {changed.join(', ')}</p>
      ) : null}
      {item.body ? (
        <details>
          <summary>Body it would carry</summary>
          <pre>{JSON.stringify(item.body, null, 2)}</pre>
        </details>
      ) : null}
    </li>
  );
}
