import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { post, remove, withQuery, type Page } from '../api';
import { CopyButton } from '../components/copy-button';
import { ScrollTable } from '../components/scroll-table';
import { formatTime, Loading, ProblemMessage } from '../components/states';
import { Pager, useCursors } from '../components/pager';
import { useApi } from '../components/use-api';
import {
  guideOf,
  OVER_SHARE_OPTIONS,
  PROVIDER_GUIDES,
  providerLabel,
  type ProviderGuide,
  type ProviderId,
} from '../providers';
import type { Source, SourceStats, UnmappedDelivery } from '../types';

const sourcePath = (id: string) => `/v1/sources/${encodeURIComponent(id)}`;
const sourcePage = (id: string) => `/console/sources/${encodeURIComponent(id)}`;

/** Every source of the tenant, with its counts. */
export function Sources() {
  const state = useApi<Page<Source>>('/v1/sources?limit=100');
  return (
    <section aria-labelledby="sources-title">
      <h1 id="sources-title">Sources</h1>
      <p>
        <a class="button" href="/console/sources/new">
          New source
        </a>
      </p>
      <Loading
        state={state}
        empty={(page) => page.data.length === 0}
        emptyText={
          <>
            No sources yet. <a href="/console/sources/new">Create one</a> for each provider account that sends
            you webhooks.
          </>
        }
      >
        {({ data: rows }) => (
          <ScrollTable label="Sources">
            <table>
              <caption class="visually-hidden">Sources and their deliveries</caption>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Provider</th>
                  <th scope="col">Verification</th>
                  <th scope="col">Accepted</th>
                  <th scope="col">Unmapped</th>
                  <th scope="col">Rejected</th>
                  <th scope="col">Last delivery</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((source) => (
                  <SourceRow key={source.id} source={source} />
                ))}
              </tbody>
            </table>
          </ScrollTable>
        )}
      </Loading>
    </section>
  );
}

function SourceRow({ source }: { source: Source }) {
  const stats = useApi<SourceStats>(`${sourcePath(source.id)}/stats`).data;
  return (
    <tr>
      <th scope="row">
        <a href={sourcePage(source.id)}>{source.name}</a>
      </th>
      <td>{providerLabel(source.provider)}</td>
      <td>{source.verification === 'none' ? 'none (unsigned accepted)' : 'signature'}</td>
      <td>{stats ? stats.accepted : '…'}</td>
      <td>{stats ? stats.unmapped.count : '…'}</td>
      <td>{stats ? totalRejected(stats) : '…'}</td>
      <td>{stats ? formatTime(stats.last_delivery_at) : '…'}</td>
    </tr>
  );
}

function totalRejected(stats: SourceStats): number {
  return Object.values(stats.rejected).reduce((sum, rejection) => sum + rejection.count, 0);
}

/** How to set the provider up: what to paste where in its own UI. */
function ProviderInstructions({ guide, source }: { guide: ProviderGuide; source?: Source | undefined }) {
  return (
    <aside class="guide" aria-labelledby="guide-title">
      <h2 id="guide-title">Setting up {guide.label}</h2>
      <ol>
        {guide.steps.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      {source ? (
        <p>
          Ingest URL: <code class="wrap">{source.ingest_url}</code>
        </p>
      ) : (
        <p>The ingest URL and the secret are shown once the source is created.</p>
      )}
      <h3>How requests are checked</h3>
      <p>{guide.verification}</p>
      <h3>What it makes</h3>
      <p>{guide.makes}</p>
    </aside>
  );
}

/** A new source, the provider's own instructions beside the form; its secret shown once. */
export function NewSource() {
  const [provider, setProvider] = useState<ProviderId>('pylon-observer');
  const [name, setName] = useState('');
  const [settings, setSettings] = useState<Record<string, string>>({});
  const [overShare, setOverShare] = useState<string>('slow-lane');
  const [ownSecret, setOwnSecret] = useState('');
  const [unsigned, setUnsigned] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const [created, setCreated] = useState<Source | undefined>();
  const guide = guideOf(provider) ?? PROVIDER_GUIDES[0]!;

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const given: Record<string, string> = { over_share: overShare };
    for (const setting of guide.settings) given[setting.name] = settings[setting.name] || setting.default;
    try {
      const source = await post<Source>('/v1/sources', {
        provider,
        name: name.trim(),
        settings: given,
        ...(unsigned ? { verification: 'none' } : ownSecret ? { secret: ownSecret } : {}),
      });
      setOwnSecret('');
      setCreated(source);
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };

  if (created) return <CreatedSource source={created} />;
  return (
    <section aria-labelledby="new-source">
      <p>
        <a href="/console/sources">← Sources</a>
      </p>
      <h1 id="new-source">New source</h1>
      <div class="split">
        <form onSubmit={submit} aria-labelledby="new-source">
          <label for="source-provider">Provider</label>
          <select
            id="source-provider"
            value={provider}
            onChange={(e) => {
              setProvider(e.currentTarget.value as ProviderId);
              setSettings({});
            }}
          >
            {PROVIDER_GUIDES.map((g) => (
              <option key={g.id} value={g.id}>
                {g.label}
              </option>
            ))}
          </select>
          <label for="source-name">Name</label>
          <input
            id="source-name"
            required
            maxLength={200}
            value={name}
            aria-describedby="source-name-hint"
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <p id="source-name-hint" class="hint">
            For you: the provider account it stands for, e.g. “Pylon: My Solar Co”.
          </p>
          {guide.settings.map((setting) => (
            <div key={setting.name}>
              <label for={`setting-${setting.name}`}>{setting.label}</label>
              {setting.options ? (
                <select
                  id={`setting-${setting.name}`}
                  value={settings[setting.name] ?? setting.default}
                  onChange={(e) => setSettings({ ...settings, [setting.name]: e.currentTarget.value })}
                >
                  {setting.options.map((option) => (
                    <option key={option}>{option}</option>
                  ))}
                </select>
              ) : (
                <input
                  id={`setting-${setting.name}`}
                  value={settings[setting.name] ?? ''}
                  placeholder={setting.default}
                  aria-describedby={`setting-${setting.name}-hint`}
                  onInput={(e) => setSettings({ ...settings, [setting.name]: e.currentTarget.value })}
                />
              )}
              <p id={`setting-${setting.name}-hint`} class="hint">
                {setting.hint} (default {setting.default})
              </p>
            </div>
          ))}
          <label for="source-over-share">Over the tenant&apos;s fair share</label>
          <select
            id="source-over-share"
            value={overShare}
            aria-describedby="source-over-share-hint"
            onChange={(e) => setOverShare(e.currentTarget.value)}
          >
            {OVER_SHARE_OPTIONS.map((option) => (
              <option key={option}>{option}</option>
            ))}
          </select>
          <p id="source-over-share-hint" class="hint">
            slow-lane accepts every request and delivers the surplus later; retry-later answers 429 and suits
            only a provider that retries ({guide.label}{' '}
            {guide.retries ? 'does' : 'documents no retries: keep slow-lane'}).
          </p>
          <details>
            <summary>Secret and verification</summary>
            <label for="source-secret-input">Your own secret (optional)</label>
            <input
              id="source-secret-input"
              type="password"
              autoComplete="off"
              minLength={8}
              maxLength={512}
              value={ownSecret}
              disabled={unsigned}
              aria-describedby="source-secret-hint"
              onInput={(e) => setOwnSecret(e.currentTarget.value)}
            />
            <p id="source-secret-hint" class="hint">
              Leave empty to have one generated and shown once. {guide.label} takes {guide.secretHint}.
            </p>
            <div class="check">
              <input
                id="source-unsigned"
                type="checkbox"
                checked={unsigned}
                onChange={(e) => setUnsigned(e.currentTarget.checked)}
              />
              <label for="source-unsigned">Accept unsigned requests (no verification, no secret)</label>
            </div>
          </details>
          <ProblemMessage error={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create source'}
          </button>
        </form>
        <ProviderInstructions guide={guide} />
      </div>
    </section>
  );
}

/** The answer to a create: the ingest URL and, only here, the secret. */
function CreatedSource({ source }: { source: Source }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  const guide = guideOf(source.provider);
  return (
    <section aria-labelledby="created-source">
      <h1 id="created-source" tabIndex={-1} ref={heading}>
        Source created: {source.name}
      </h1>
      <div class="split">
        <div>
          <SecretPanel source={source} />
          <p>
            <a href={sourcePage(source.id)}>Open the source&apos;s page</a> to watch its deliveries.
          </p>
        </div>
        {guide ? <ProviderInstructions guide={guide} source={source} /> : null}
      </div>
    </section>
  );
}

/** The ingest URL to give the provider, and a secret shown this once (never stored by the page). */
function SecretPanel({ source }: { source: Source }) {
  return (
    <div class="secret" aria-labelledby="secret-title" role="region">
      <h2 id="secret-title">Give these to {providerLabel(source.provider)}</h2>
      <p>
        <span id="ingest-url-label">Ingest URL</span>:{' '}
        <code id="ingest-url" class="wrap" aria-labelledby="ingest-url-label">
          {source.ingest_url}
        </code>{' '}
        <CopyButton value={source.ingest_url} label="Copy the ingest URL" />
      </p>
      {source.secret ? (
        <>
          <p>
            <span id="source-secret-label">Secret</span>:{' '}
            <code id="source-secret" class="wrap" aria-labelledby="source-secret-label">
              {source.secret}
            </code>{' '}
            <CopyButton value={source.secret} label="Copy the secret" />
          </p>
          <p class="notice">
            <strong>Shown only this once.</strong> Copy it into {providerLabel(source.provider)} now: the
            console cannot show it again (rotate the secret to get a new one).
          </p>
        </>
      ) : source.verification === 'none' ? (
        <p class="notice">This source accepts unsigned requests: it has no secret.</p>
      ) : (
        <p class="hint">The secret is the one you entered; it is not shown back.</p>
      )}
    </div>
  );
}

/** A count that goes up every `ms` while the page is shown, and on `bump`: the sections reload on it. */
function useTicks(ms: number): [number, () => void] {
  const [tick, setTick] = useState(0);
  const bump = useCallback(() => setTick((n) => n + 1), []);
  useEffect(() => {
    const timer = setInterval(bump, ms);
    return () => clearInterval(timer);
  }, [ms, bump]);
  return [tick, bump];
}

/** Reloads whenever `tick` moves on (not on the first render: that loaded already). */
function useReloadOn(tick: number, reload: () => void): void {
  useEffect(() => {
    if (tick > 0) reload();
  }, [tick, reload]);
}

export function SourceDetail() {
  const { params } = useRoute();
  const id = params['id'] ?? '';
  const state = useApi<Source>(sourcePath(id));
  const [rotated, setRotated] = useState<Source | undefined>();
  const [tick, refresh] = useTicks(5_000);
  return (
    <>
      <p>
        <a href="/console/sources">← Sources</a>
      </p>
      <Loading state={state}>
        {(loaded) => {
          const source = rotated ?? loaded;
          return (
            <section aria-labelledby="source-title">
              <h1 id="source-title">{source.name}</h1>
              {rotated ? <SecretPanel source={rotated} /> : null}
              <dl class="facts">
                <dt>Provider</dt>
                <dd>{providerLabel(source.provider)}</dd>
                <dt>Id</dt>
                <dd>
                  <code>{source.id}</code>
                </dd>
                <dt>Ingest URL</dt>
                <dd>
                  <code class="wrap">{source.ingest_url}</code>{' '}
                  <CopyButton value={source.ingest_url} label="Copy the ingest URL" />
                </dd>
                <dt>Verification</dt>
                <dd>{source.verification === 'none' ? 'none: unsigned requests accepted' : 'signature'}</dd>
                <dt>Validated</dt>
                <dd>{source.validated_at ? formatTime(source.validated_at) : 'not validated'}</dd>
                <dt>Settings</dt>
                <dd>
                  {Object.entries(source.settings)
                    .map(([key, value]) => `${key}: ${value}`)
                    .join(', ') || '—'}
                </dd>
                <dt>Created</dt>
                <dd>{formatTime(source.created_at)}</dd>
              </dl>
              <SourceStatsSection id={source.id} tick={tick} onRefresh={refresh} />
              <UnmappedSection id={source.id} tick={tick} />
              <SourceActions source={source} onRotated={setRotated} />
            </section>
          );
        }}
      </Loading>
    </>
  );
}

function SourceStatsSection({ id, tick, onRefresh }: { id: string; tick: number; onRefresh: () => void }) {
  const stats = useApi<SourceStats>(`${sourcePath(id)}/stats`);
  useReloadOn(tick, stats.reload);
  return (
    <section aria-labelledby="stats-title">
      <h2 id="stats-title">Deliveries</h2>
      <button type="button" class="secondary" onClick={onRefresh}>
        Refresh
      </button>
      <Loading state={stats}>
        {(s) => (
          <>
            <dl class="counts">
              <div>
                <dt>Accepted</dt>
                <dd data-count="accepted">{s.accepted}</dd>
              </div>
              <div>
                <dt>Unmapped</dt>
                <dd data-count="unmapped">{s.unmapped.count}</dd>
              </div>
              <div>
                <dt>Rejected</dt>
                <dd data-count="rejected">{totalRejected(s)}</dd>
              </div>
              <div>
                <dt>Last delivery</dt>
                <dd class="time">{formatTime(s.last_delivery_at)}</dd>
              </div>
              <div>
                <dt>Last accepted</dt>
                <dd class="time">{formatTime(s.last_accepted_at)}</dd>
              </div>
            </dl>
            {s.last_hour && s.last_day ? (
              <ScrollTable label="Recent deliveries">
                <table>
                  <caption>Recent deliveries</caption>
                  <thead>
                    <tr>
                      <th scope="col">Window</th>
                      <th scope="col">Accepted</th>
                      <th scope="col">Unmapped</th>
                      <th scope="col">Rejected</th>
                    </tr>
                  </thead>
                  <tbody>
                    {(
                      [
                        ['Last hour', s.last_hour],
                        ['Last 24 hours', s.last_day],
                      ] as const
                    ).map(([label, counts]) => (
                      <tr key={label}>
                        <th scope="row">{label}</th>
                        <td>{counts.accepted}</td>
                        <td>{counts.unmapped}</td>
                        <td>{counts.rejected}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </ScrollTable>
            ) : null}
            {s.unmapped.last_reason ? (
              <p>
                Last unmapped ({formatTime(s.unmapped.last_at)}): {s.unmapped.last_reason}
              </p>
            ) : null}
            <h3>Rejections</h3>
            {Object.keys(s.rejected).length === 0 ? (
              <p class="empty">No request was rejected.</p>
            ) : (
              <ScrollTable label="Rejections by reason">
                <table>
                  <caption class="visually-hidden">Rejections by reason</caption>
                  <thead>
                    <tr>
                      <th scope="col">Reason</th>
                      <th scope="col">Count</th>
                      <th scope="col">Last</th>
                      <th scope="col">Last detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(s.rejected).map(([reason, rejection]) => (
                      <tr key={reason}>
                        <th scope="row">{reason}</th>
                        <td>{rejection.count}</td>
                        <td>{formatTime(rejection.last_at)}</td>
                        <td>{rejection.last_detail}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </ScrollTable>
            )}
            <p class="hint">Counters are written about once a second; this page refreshes every 5 s.</p>
          </>
        )}
      </Loading>
    </section>
  );
}

function UnmappedSection({ id, tick }: { id: string; tick: number }) {
  const cursors = useCursors();
  const { cursor } = cursors;
  const state = useApi<Page<UnmappedDelivery>>(
    withQuery(`${sourcePath(id)}/unmapped`, { limit: 20, cursor }),
  );
  useReloadOn(tick, state.reload);
  return (
    <section aria-labelledby="unmapped-title">
      <h2 id="unmapped-title">Unmapped deliveries</h2>
      <p class="hint">
        Verified requests the provider&apos;s mapping could not read, oldest first; they are kept and can be
        remapped (npm run cli -- ingest:remap --source {id}).
      </p>
      <Loading
        state={state}
        empty={(page) => page.data.length === 0 && !cursor}
        emptyText="No unmapped deliveries."
      >
        {(page) => (
          <>
            <ScrollTable label="Unmapped deliveries">
              <table>
                <caption class="visually-hidden">Unmapped deliveries</caption>
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Remapped</th>
                    <th scope="col">Body</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.map((delivery) => (
                    <tr key={delivery.id}>
                      <th scope="row">{formatTime(delivery.received_at)}</th>
                      <td>{delivery.reason}</td>
                      <td>
                        {delivery.remapped_at
                          ? `${formatTime(delivery.remapped_at)} (${delivery.event_ids.length} events)`
                          : 'no'}
                      </td>
                      <td>
                        <details>
                          <summary>
                            {delivery.body_bytes} bytes{delivery.body_truncated ? ', beginning shown' : ''}
                          </summary>
                          <pre class="wrap">{delivery.body}</pre>
                        </details>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
            <Pager label="Unmapped delivery pages" cursors={cursors} nextCursor={page.next_cursor} />
          </>
        )}
      </Loading>
    </section>
  );
}

type Pending = 'rotate' | 'delete' | null;

/** Rotating the secret and deleting the source, each confirmed first. */
function SourceActions({ source, onRotated }: { source: Source; onRotated: (source: Source) => void }) {
  const { route } = useLocation();
  const [pending, setPending] = useState<Pending>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const confirmRef = useRef<HTMLDivElement>(null);
  const actionsRef = useRef<HTMLDivElement>(null);
  const asked = useRef<Pending>(null);
  useEffect(() => {
    // Focus goes to the question, and back to the button that asked it once it is cancelled.
    if (pending) confirmRef.current?.focus();
    else if (asked.current)
      actionsRef.current?.querySelector<HTMLElement>(`[data-action="${asked.current}"]`)?.focus();
    asked.current = pending;
  }, [pending]);

  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      if (pending === 'rotate') {
        onRotated(await post<Source>(`${sourcePath(source.id)}/rotate-secret`));
        setPending(null);
        window.scrollTo(0, 0);
      } else if (pending === 'delete') {
        await remove(sourcePath(source.id));
        route('/console/sources');
      }
    } catch (caught) {
      setError(caught as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="actions-title">
      <h2 id="actions-title">Secret and removal</h2>
      {pending === null ? (
        <div ref={actionsRef}>
          {source.verification !== 'none' ? (
            <button type="button" class="secondary" data-action="rotate" onClick={() => setPending('rotate')}>
              Rotate secret
            </button>
          ) : null}
          <button type="button" class="danger" data-action="delete" onClick={() => setPending('delete')}>
            Delete source
          </button>
        </div>
      ) : (
        <div
          class="confirm"
          role="group"
          aria-labelledby="confirm-title"
          aria-describedby="confirm-text"
          tabIndex={-1}
          ref={confirmRef}
        >
          <h3 id="confirm-title">
            {pending === 'rotate' ? `Rotate the secret of ${source.name}?` : `Delete ${source.name}?`}
          </h3>
          <p id="confirm-text">
            {pending === 'rotate'
              ? `A new secret is generated and shown once. Requests signed with the current one are refused as soon as ingest sees the change (within a second): paste the new one into ${providerLabel(source.provider)} at once.`
              : 'Its ingest URL stops accepting requests (404) within a second. This cannot be undone: to receive from this provider again, create a new source and give the provider its URL and secret.'}
          </p>
          <ProblemMessage error={error} />
          <button type="button" class={pending === 'delete' ? 'danger' : ''} disabled={busy} onClick={run}>
            {pending === 'rotate' ? 'Yes, rotate the secret' : 'Yes, delete the source'}
          </button>
          <button type="button" class="secondary" disabled={busy} onClick={() => setPending(null)}>
            Cancel
          </button>
        </div>
      )}
    </section>
  );
}
