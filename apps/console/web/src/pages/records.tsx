import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { get, withQuery, type Page } from '../api';
import { ScrollTable } from '../components/scroll-table';
import { formatTime, Loading, ProblemMessage } from '../components/states';
import { useApi } from '../components/use-api';
import { diffDocuments, showValue, type FieldDiff } from '../diff';
import { PROVIDER_GUIDES, providerLabel } from '../providers';
import type { ActivityEntry, EntityRecord, HistoryEntry } from '../types';

type EntityType = 'project' | 'customer' | 'monitor';

interface Filter {
  name: string;
  label: string;
  hint?: string;
  options?: readonly string[];
}

/** Each entity type, with the filters its list takes (read-model.query.ts). */
const TYPES: Record<EntityType, { plural: string; label: string; filters: readonly Filter[] }> = {
  project: {
    plural: 'projects',
    label: 'Projects',
    filters: [{ name: 'stage', label: 'Stage', hint: 'exact, e.g. Sold' }],
  },
  customer: {
    plural: 'customers',
    label: 'Customers',
    filters: [
      { name: 'status', label: 'Status', hint: 'exact' },
      { name: 'email', label: 'E-mail', hint: 'exact, any case' },
    ],
  },
  monitor: {
    plural: 'monitors',
    label: 'Monitors',
    filters: [
      { name: 'kind', label: 'Kind', options: ['metric', 'page', 'slo', 'agent'] },
      { name: 'status', label: 'Status', hint: 'exact' },
    ],
  },
};

const isEntityType = (value: string | undefined): value is EntityType =>
  value === 'project' || value === 'customer' || value === 'monitor';

const recordPage = (type: EntityType, id: string) => `/console/records/${type}/${encodeURIComponent(id)}`;
const recordPath = (type: EntityType, id: string) => `/v1/${TYPES[type].plural}/${encodeURIComponent(id)}`;

/** What a person calls a record: its reference, name or e-mail, else its id. */
function titleOf(record: { id: string; document: Record<string, unknown> }): string {
  const d = record.document;
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
  const person = [text(d['first_name']), text(d['last_name'])].filter(Boolean).join(' ');
  return (
    text(d['reference_number']) ?? text(d['name']) ?? (person || undefined) ?? text(d['email']) ?? record.id
  );
}

/** The search, kept in the URL's query so a link to it can be shared. */
export function Records() {
  const { query, route } = useLocation();
  const type: EntityType = isEntityType(query['type']) ? query['type'] : 'project';
  const spec = TYPES[type];
  const [form, setForm] = useState<Record<string, string>>(query);
  useEffect(() => setForm(query), [query]);

  const search = (event: Event) => {
    event.preventDefault();
    const next: Record<string, string> = { type: form['type'] || 'project' };
    const nextType = isEntityType(next['type']) ? next['type'] : 'project';
    for (const name of ['q', 'provider', ...TYPES[nextType].filters.map((f) => f.name)]) {
      const value = form[name]?.trim();
      if (value) next[name] = value;
    }
    route(withQuery('/console/records', next));
  };

  const filters: Record<string, string | undefined> = {
    q: query['q'],
    provider: query['provider'],
    cursor: query['cursor'],
    limit: '50',
  };
  for (const filter of spec.filters) filters[filter.name] = query[filter.name];
  const state = useApi<Page<EntityRecord>>(withQuery(`/v1/${spec.plural}`, filters));
  const field = (name: string) => ({
    id: `filter-${name}`,
    value: form[name] ?? '',
    onInput: (e: Event) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value }),
  });
  const searched = Object.entries(query).some(([name, value]) => name !== 'type' && value);

  return (
    <section aria-labelledby="records-title">
      <h1 id="records-title">Records</h1>
      <form role="search" aria-label="Search records" class="search" onSubmit={search}>
        <div>
          <label for="filter-type">Type</label>
          <select
            id="filter-type"
            value={form['type'] || 'project'}
            onChange={(e) => setForm({ ...form, type: e.currentTarget.value })}
          >
            {(Object.keys(TYPES) as EntityType[]).map((t) => (
              <option key={t} value={t}>
                {TYPES[t].label}
              </option>
            ))}
          </select>
        </div>
        <div class="grow">
          <label for="filter-q">Id, reference, name or e-mail</label>
          <input type="search" {...field('q')} />
        </div>
        <div>
          <label for="filter-provider">Provider</label>
          <select {...field('provider')} onChange={field('provider').onInput}>
            <option value="">Any</option>
            {PROVIDER_GUIDES.map((guide) => (
              <option key={guide.id} value={guide.id}>
                {guide.label}
              </option>
            ))}
          </select>
        </div>
        {TYPES[isEntityType(form['type']) ? form['type'] : 'project'].filters.map((filter) => (
          <div key={filter.name}>
            <label for={`filter-${filter.name}`}>
              {filter.label}
              {filter.hint ? <span class="hint"> ({filter.hint})</span> : null}
            </label>
            {filter.options ? (
              <select {...field(filter.name)} onChange={field(filter.name).onInput}>
                <option value="">Any</option>
                {filter.options.map((option) => (
                  <option key={option}>{option}</option>
                ))}
              </select>
            ) : (
              <input {...field(filter.name)} />
            )}
          </div>
        ))}
        <div>
          <button type="submit">Search</button>
        </div>
      </form>
      <h2 id="results-title">{spec.label}</h2>
      <Loading
        state={state}
        empty={(page) => page.data.length === 0}
        emptyText={
          searched
            ? `No ${spec.plural} match this search.`
            : `No ${spec.plural} yet: they appear once a source receives them.`
        }
      >
        {(page) => (
          <>
            <ScrollTable label="Search results">
              <table aria-labelledby="results-title">
                <thead>
                  <tr>
                    <th scope="col">Record</th>
                    <th scope="col">Id</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Version</th>
                    <th scope="col">Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((record) => (
                    <tr key={record.id}>
                      <th scope="row">
                        <a href={recordPage(type, record.id)}>{titleOf(record)}</a>
                      </th>
                      <td>
                        <code class="wrap">{record.id}</code>
                      </td>
                      <td>{providerLabel(record.provider)}</td>
                      <td>{record.version}</td>
                      <td>{formatTime(record.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
            <nav aria-label="Result pages" class="pager">
              {query['cursor'] ? (
                <a href={withQuery('/console/records', { ...query, cursor: undefined })}>First page</a>
              ) : null}
              {page.next_cursor ? (
                <a href={withQuery('/console/records', { ...query, cursor: page.next_cursor })}>Next page</a>
              ) : null}
            </nav>
          </>
        )}
      </Loading>
    </section>
  );
}

/** Every page of a paged list (up to `max` items), oldest first. */
function useAllPages<T>(path: string): { data?: T[]; error?: Error; more: boolean } {
  const [state, setState] = useState<{ data?: T[]; error?: Error; more: boolean }>({ more: false });
  useEffect(() => {
    let current = true;
    (async () => {
      const items: T[] = [];
      let cursor: string | null | undefined;
      for (let round = 0; round < 10; round++) {
        const page = await get<Page<T>>(withQuery(path, { limit: 100, cursor }));
        items.push(...page.data);
        cursor = page.next_cursor;
        if (!cursor) break;
      }
      return { data: items, more: Boolean(cursor) };
    })().then(
      (loaded) => current && setState(loaded),
      (error: Error) => current && setState({ error, more: false }),
    );
    return () => {
      current = false;
    };
  }, [path]);
  return state;
}

/** One record: its document, its history as field-level diffs, its activity. */
export function RecordDetail() {
  const { params } = useRoute();
  const type = params['type'];
  const id = params['id'] ?? '';
  if (!isEntityType(type))
    return (
      <section aria-labelledby="record-title">
        <h1 id="record-title">No such record type</h1>
        <p class="empty">
          Records are projects, customers or monitors. <a href="/console/records">Search records</a>.
        </p>
      </section>
    );
  return <RecordOf type={type} id={id} />;
}

function RecordOf({ type, id }: { type: EntityType; id: string }) {
  const state = useApi<EntityRecord>(recordPath(type, id));
  return (
    <>
      <p>
        <a href={withQuery('/console/records', { type })}>← {TYPES[type].label}</a>
      </p>
      <Loading state={state}>
        {(record) => (
          <article aria-labelledby="record-title">
            <h1 id="record-title">{titleOf(record)}</h1>
            <dl class="facts">
              <dt>Type</dt>
              <dd>{type}</dd>
              <dt>Id</dt>
              <dd>
                <code class="wrap">{record.id}</code>
              </dd>
              <dt>Provider</dt>
              <dd>{providerLabel(record.provider)}</dd>
              <dt>Version</dt>
              <dd>{record.version}</dd>
              <dt>Sources</dt>
              <dd>
                {record.sources.length === 0
                  ? '—'
                  : record.sources.map((source, i) => (
                      <span key={source}>
                        {i > 0 ? ', ' : ''}
                        <a href={`/console/sources/${encodeURIComponent(source)}`}>{source}</a>
                      </span>
                    ))}
              </dd>
              <dt>Created</dt>
              <dd>{formatTime(record.created_at)}</dd>
              <dt>Updated</dt>
              <dd>{formatTime(record.updated_at)}</dd>
            </dl>
            <section aria-labelledby="document-title">
              <h2 id="document-title">Document</h2>
              <JsonTree value={record.document} label="document" open />
            </section>
            <History path={`${recordPath(type, id)}/history`} />
            <Activity path={`${recordPath(type, id)}/activity`} />
          </article>
        )}
      </Loading>
    </>
  );
}

/** A JSON value as nested, collapsible lists. */
function JsonTree({ value, label, open }: { value: unknown; label: string; open?: boolean }) {
  if (typeof value !== 'object' || value === null)
    return (
      <span>
        <span class="json-key">{label}</span>: <code class="wrap">{showValue(value)}</code>
      </span>
    );
  const entries = Array.isArray(value)
    ? value.map((item, i) => [String(i), item] as const)
    : Object.entries(value as Record<string, unknown>);
  const size = `${entries.length} ${Array.isArray(value) ? 'item' : 'field'}${entries.length === 1 ? '' : 's'}`;
  if (entries.length === 0)
    return (
      <span>
        <span class="json-key">{label}</span>: <code>{Array.isArray(value) ? '[]' : '{}'}</code>
      </span>
    );
  return (
    <details class="json" open={open ?? entries.length <= 12}>
      <summary>
        <span class="json-key">{label}</span> <span class="muted">({size})</span>
      </summary>
      <ul>
        {entries.map(([key, item]) => (
          <li key={key}>
            <JsonTree value={item} label={Array.isArray(value) ? `[${key}]` : key} />
          </li>
        ))}
      </ul>
    </details>
  );
}

function History({ path }: { path: string }) {
  const state = useAllPages<HistoryEntry>(path);
  const versions = state.data;
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ProblemMessage error={state.error} />
      {versions === undefined ? (
        state.error ? null : (
          <p class="muted" role="status">
            Loading…
          </p>
        )
      ) : versions.length === 0 ? (
        <p class="empty">No versions recorded.</p>
      ) : (
        <>
          {state.more ? <p class="notice">Only the first {versions.length} versions are shown.</p> : null}
          <ol class="history">
            {versions
              .map((entry, i) => ({
                entry,
                diffs: diffDocuments(versions[i - 1]?.document ?? {}, entry.document),
                first: i === 0,
              }))
              .reverse()
              .map(({ entry, diffs, first }) => (
                <li key={entry.version}>
                  <Version entry={entry} diffs={diffs} first={first} />
                </li>
              ))}
          </ol>
        </>
      )}
    </section>
  );
}

function Version({ entry, diffs, first }: { entry: HistoryEntry; diffs: FieldDiff[]; first: boolean }) {
  const id = `version-${entry.version}`;
  const table = <DiffTable diffs={diffs} caption={`Changes in version ${entry.version}`} />;
  return (
    <section aria-labelledby={id} class="version">
      <h3 id={id}>
        Version {entry.version}: {entry.event_type}{' '}
        <span class="muted">({formatTime(entry.applied_at)})</span>
      </h3>
      {first ? (
        <details>
          <summary>
            Created with {diffs.length} field{diffs.length === 1 ? '' : 's'}
          </summary>
          {table}
        </details>
      ) : diffs.length === 0 ? (
        <p class="muted">
          No field changed
          {entry.changed_fields.length ? ` (reported: ${entry.changed_fields.join(', ')})` : ''}.
        </p>
      ) : (
        table
      )}
    </section>
  );
}

function DiffTable({ diffs, caption }: { diffs: FieldDiff[]; caption: string }) {
  return (
    <ScrollTable label={caption}>
      <table class="diff">
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Change</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {diffs.map((diff) => (
            <tr key={diff.path} data-field={diff.path}>
              <th scope="row">
                <code class="wrap">{diff.path}</code>
              </th>
              <td>
                <span class={`badge badge-${diff.kind}`}>{diff.kind}</span>
              </td>
              <td>
                <Cell present={diff.kind !== 'added'}>{showValue(diff.before)}</Cell>
              </td>
              <td>
                <Cell present={diff.kind !== 'removed'}>{showValue(diff.after)}</Cell>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );
}

function Cell({ present, children }: { present: boolean; children: ComponentChildren }) {
  return present ? <code class="wrap">{children}</code> : <span class="muted">(none)</span>;
}

function Activity({ path }: { path: string }) {
  const state = useAllPages<ActivityEntry>(path);
  const entries = state.data;
  return (
    <section aria-labelledby="activity-title">
      <h2 id="activity-title">Activity</h2>
      <ProblemMessage error={state.error} />
      {entries === undefined ? (
        state.error ? null : (
          <p class="muted" role="status">
            Loading…
          </p>
        )
      ) : entries.length === 0 ? (
        <p class="empty">No activity recorded (e-mails, SMS, proposal links, drafts, site plan changes).</p>
      ) : (
        <ol class="timeline">
          {entries.map((entry) => (
            <li key={entry.event_id}>
              <strong>{entry.type}</strong> <span class="muted">{formatTime(entry.occurred_at)}</span>
              <JsonTree value={entry.data} label="details" open={false} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
