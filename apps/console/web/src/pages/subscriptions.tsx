import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { patch, post, remove } from '../api';
import { CopyButton } from '../components/copy-button';
import { ListPage } from '../components/list-page';
import { formatTime, Loading, ProblemMessage, StatusBadge } from '../components/states';
import { useApi } from '../components/use-api';
import type { Delivery, RotatedSecret, Subscription, SubscriptionStats } from '../types';
import { DeliveryLog, ReplayForm } from './deliveries';
import { takeCreatedSecret } from './subscription-editor';

export { SubscriptionEditor } from './subscription-editor';

const listOf = (values: string[] | null, none: string) =>
  values && values.length ? values.join(', ') : none;

export function Subscriptions() {
  return (
    <>
      <p class="page-actions">
        <a class="button-link primary" href="/console/subscriptions/new">
          New subscription
        </a>
      </p>
      <ListPage<Subscription>
        title="Subscriptions"
        path="/v1/subscriptions?limit=100"
        emptyText={
          <>
            No subscriptions yet. <a href="/console/subscriptions/new">Create one</a> to send changes
            downstream.
          </>
        }
      >
        {(rows) => (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Status</th>
                  <th scope="col">Event types</th>
                  <th scope="col">Trigger fields</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((subscription) => (
                  <tr key={subscription.id}>
                    <th scope="row" class="wrap">
                      <a href={`/console/subscriptions/${subscription.id}`}>{subscription.endpoint}</a>
                      {subscription.description ? (
                        <span class="muted small block">{subscription.description}</span>
                      ) : null}
                    </th>
                    <td>
                      <StatusBadge status={subscription.status} />
                      {subscription.status_reason ? (
                        <span class="muted small block">{subscription.status_reason}</span>
                      ) : null}
                    </td>
                    <td>{listOf(subscription.event_types, 'every type')}</td>
                    <td class="wrap">{listOf(subscription.trigger_fields, 'any field (defaults)')}</td>
                    <td>{formatTime(subscription.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListPage>
    </>
  );
}

export function SubscriptionDetail() {
  const { params } = useRoute();
  const id = params['id'] ?? '';
  const state = useApi<Subscription>(`/v1/subscriptions/${encodeURIComponent(id)}`);
  const [secret] = useState(() => takeCreatedSecret(id));
  return (
    <section aria-labelledby="subscription">
      <h1 id="subscription">Subscription</h1>
      {secret ? <SecretOnce secret={secret} what="Signing secret" /> : null}
      <Loading state={state}>
        {(subscription) => <SubscriptionBody subscription={subscription} reload={state.reload} />}
      </Loading>
    </section>
  );
}

function SecretOnce({ secret, what }: { secret: string; what: string }) {
  return (
    <div class="secret" role="status">
      <p>
        <strong>{what}, shown once.</strong> Copy it now into the receiving system: it cannot be shown again.
      </p>
      <p class="secret-value">
        <code id="secret-value">{secret}</code>{' '}
        <CopyButton value={secret} label={`Copy the ${what.toLowerCase()}`} />
      </p>
    </div>
  );
}

function SubscriptionBody({ subscription, reload }: { subscription: Subscription; reload: () => void }) {
  const { route } = useLocation();
  const path = `/v1/subscriptions/${encodeURIComponent(subscription.id)}`;
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | undefined>();
  const [message, setMessage] = useState<ComponentChildren>(null);
  const [rotated, setRotated] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [refresh, setRefresh] = useState(0);
  const act = async (name: string, action: () => Promise<void>) => {
    setBusy(name);
    setError(undefined);
    setMessage(null);
    try {
      await action();
    } catch (problem) {
      setError(problem as Error);
    } finally {
      setBusy(null);
    }
  };
  const enabled = subscription.status !== 'disabled';
  return (
    <>
      <p class="wrap lead">
        <strong>{subscription.endpoint}</strong> <StatusBadge status={subscription.status} />
      </p>
      {subscription.status_reason ? <p class="notice">Status reason: {subscription.status_reason}</p> : null}
      {subscription.description ? <p>{subscription.description}</p> : null}
      {rotated ? <SecretOnce secret={rotated} what="New signing secret" /> : null}

      <div class="actions" role="group" aria-label="Subscription actions">
        <a class="button-link" href={`/console/subscriptions/${subscription.id}/edit`}>
          Edit
        </a>
        <button
          type="button"
          class="secondary"
          disabled={busy !== null}
          onClick={() =>
            act('test', async () => {
              const delivery = await post<Delivery>(`${path}/test`);
              setMessage(
                <>
                  Test message queued: <a href={`/console/deliveries/${delivery.id}`}>see the delivery</a>.
                </>,
              );
              setRefresh((n) => n + 1);
            })
          }
        >
          Send a test
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy !== null || !enabled}
          onClick={() =>
            act('validate', async () => {
              const after = await post<Subscription>(`${path}/validate`);
              setMessage(
                after.status === 'active'
                  ? 'Validated: the endpoint answered the handshake.'
                  : `Not validated: ${after.status_reason ?? after.status}.`,
              );
              reload();
            })
          }
        >
          Validate
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy !== null}
          onClick={() =>
            act('rotate', async () => {
              const answer = await post<RotatedSecret>(`${path}/rotate-secret`);
              setRotated(answer.secret);
              setMessage(
                `The old secret keeps signing beside the new one until ${formatTime(answer.previous_secret_expires_at)}.`,
              );
            })
          }
        >
          Rotate secret
        </button>
        <button
          type="button"
          class="secondary"
          disabled={busy !== null}
          onClick={() =>
            act('enable', async () => {
              await patch<Subscription>(path, { enabled: !enabled });
              setMessage(enabled ? 'Disabled: nothing is sent until it is enabled.' : 'Enabled.');
              reload();
            })
          }
        >
          {enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" class="danger" disabled={busy !== null} onClick={() => setConfirmDelete(true)}>
          Delete
        </button>
      </div>
      {confirmDelete ? (
        <div class="confirm">
          <p>
            Delete this subscription? Nothing more is sent to {subscription.endpoint}; this cannot be undone.
          </p>
          <button
            type="button"
            class="danger"
            disabled={busy !== null}
            onClick={() =>
              act('delete', async () => {
                await remove(path);
                route('/console/subscriptions');
              })
            }
          >
            Delete for good
          </button>
          <button type="button" class="secondary" onClick={() => setConfirmDelete(false)}>
            Keep it
          </button>
        </div>
      ) : null}
      <ProblemMessage error={error} />
      {message ? <p role="status">{message}</p> : null}

      <h2>Settings</h2>
      <dl class="facts">
        <dt>Id</dt>
        <dd>
          <code>{subscription.id}</code>
        </dd>
        <dt>Event types</dt>
        <dd>{listOf(subscription.event_types, 'every type')}</dd>
        <dt>Trigger fields</dt>
        <dd class="wrap">{listOf(subscription.trigger_fields, 'any field (the defaults)')}</dd>
        <dt>Payload fields</dt>
        <dd class="wrap">{listOf(subscription.payload_fields, 'the whole document (the defaults)')}</dd>
        <dt>Headers</dt>
        <dd class="wrap">
          {Object.keys(subscription.headers).length
            ? Object.entries(subscription.headers)
                .map(([name, value]) => `${name}: ${value}`)
                .join('; ')
            : 'none'}
        </dd>
        <dt>Signature scheme</dt>
        <dd>{subscription.signature_scheme}</dd>
        <dt>Ordering</dt>
        <dd>{subscription.ordering}</dd>
        <dt>Validated</dt>
        <dd>{formatTime(subscription.validated_at)}</dd>
        <dt>Created</dt>
        <dd>{formatTime(subscription.created_at)}</dd>
      </dl>

      <Stats subscriptionId={subscription.id} refresh={refresh} />

      <h2 id="log">Deliveries</h2>
      <p>
        <a href={`/console/deliveries?subscription_id=${encodeURIComponent(subscription.id)}`}>
          Open in the delivery log
        </a>
      </p>
      <DeliveryLog subscriptionId={subscription.id} refresh={refresh} />

      <ReplayForm
        subscriptionId={subscription.id}
        endpoint={subscription.endpoint}
        onReplayed={() => setRefresh((n) => n + 1)}
      />
    </>
  );
}

function Stats({ subscriptionId, refresh }: { subscriptionId: string; refresh: number }) {
  const [window, setWindow] = useState('24h');
  const state = useApi<SubscriptionStats>(
    `/v1/subscriptions/${encodeURIComponent(subscriptionId)}/stats?window=${window}`,
  );
  const { reload } = state;
  useEffect(() => {
    if (refresh) reload();
  }, [refresh, reload]);
  return (
    <section aria-labelledby="stats">
      <h2 id="stats">Delivery stats</h2>
      <label for="stats-window">Window</label>
      <select
        id="stats-window"
        value={window}
        onChange={(event) => setWindow((event.target as HTMLSelectElement).value)}
      >
        <option value="1h">Last hour</option>
        <option value="24h">Last 24 hours</option>
        <option value="7d">Last 7 days</option>
      </select>
      <Loading state={state}>
        {(stats) => (
          <dl class="facts stats">
            <dt>Success rate</dt>
            <dd>
              {stats.success_rate === null
                ? '— (none finished)'
                : `${Math.round(stats.success_rate * 1000) / 10} %`}
            </dd>
            <dt>Latency p50 / p95</dt>
            <dd>
              {stats.latency_ms?.p50 ?? '—'} ms / {stats.latency_ms?.p95 ?? '—'} ms
            </dd>
            <dt>Succeeded</dt>
            <dd>{stats.deliveries.succeeded}</dd>
            <dt>Failed</dt>
            <dd>{stats.deliveries.failed}</dd>
            <dt>Pending</dt>
            <dd>{stats.deliveries.pending}</dd>
            <dt>Last failure</dt>
            <dd>
              {stats.last_failure
                ? `${formatTime(stats.last_failure.at)}: ${
                    stats.last_failure.status_code !== null
                      ? `HTTP ${stats.last_failure.status_code}`
                      : (stats.last_failure.error ?? 'no answer')
                  }`
                : 'none'}
            </dd>
          </dl>
        )}
      </Loading>
    </section>
  );
}
