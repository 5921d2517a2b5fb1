import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { post, withQuery, type Page } from '../api';
import { formatTime, Loading, ProblemMessage, StatusBadge } from '../components/states';
import { Pager, useCursors } from '../components/pager';
import { useApi } from '../components/use-api';
import type { Attempt, Delivery, DeliveryStatus, ReplayResult, Subscription } from '../types';

const STATUSES: DeliveryStatus[] = ['pending', 'sending', 'succeeded', 'failed'];
const PAGE_SIZE = 25;

/**
 * The tenant's delivery log; the filters live in the URL's query, so a filtered view can be shared.
 * They apply with the button, not on each change of a select (WCAG 3.2.2).
 */
export function Deliveries() {
  const { query, route } = useLocation();
  const status = STATUSES.includes(query['status'] as DeliveryStatus) ? (query['status'] ?? '') : '';
  const subscriptionId = query['subscription_id'] ?? '';
  const [draft, setDraft] = useState({ status, subscriptionId });
  useEffect(() => setDraft({ status, subscriptionId }), [status, subscriptionId]);
  const subscriptions = useApi<Page<Subscription>>('/v1/subscriptions?limit=100');
  const known = subscriptions.data?.data ?? [];
  return (
    <section aria-labelledby="deliveries">
      <h1 id="deliveries">Deliveries</h1>
      <form
        class="filters"
        role="search"
        aria-label="Filter deliveries"
        onSubmit={(event) => {
          event.preventDefault();
          route(
            withQuery('/console/deliveries', { status: draft.status, subscription_id: draft.subscriptionId }),
          );
        }}
      >
        <div>
          <label for="delivery-status">Status</label>
          <select
            id="delivery-status"
            value={draft.status}
            onChange={(event) => setDraft({ ...draft, status: (event.target as HTMLSelectElement).value })}
          >
            <option value="">Any status</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="delivery-subscription">Subscription</label>
          <select
            id="delivery-subscription"
            value={draft.subscriptionId}
            onChange={(event) =>
              setDraft({ ...draft, subscriptionId: (event.target as HTMLSelectElement).value })
            }
          >
            <option value="">Any subscription</option>
            {subscriptionId && !known.some((s) => s.id === subscriptionId) ? (
              <option value={subscriptionId}>{subscriptionId}</option>
            ) : null}
            {known.map((subscription) => (
              <option key={subscription.id} value={subscription.id}>
                {subscription.description
                  ? `${subscription.description} (${subscription.endpoint})`
                  : subscription.endpoint}
              </option>
            ))}
          </select>
        </div>
        <div>
          <button type="submit">Apply filters</button>
        </div>
      </form>
      <DeliveryLog
        status={status}
        subscriptionId={subscriptionId}
        showSubscription={!subscriptionId}
        subscriptionNames={Object.fromEntries(known.map((s) => [s.id, s.description || s.endpoint]))}
      />
    </section>
  );
}

/**
 * One filtered view of the delivery log, newest first, a page at a time (next_cursor); earlier
 * pages are kept so Previous goes back.
 */
export function DeliveryLog(props: {
  status?: string | undefined;
  subscriptionId?: string | undefined;
  showSubscription?: boolean;
  /** A name (description or endpoint) for each subscription id, where known. */
  subscriptionNames?: Record<string, string>;
  /** Changes whenever the caller knows the log changed (a replay, a test sent). */
  refresh?: number;
}) {
  const cursors = useCursors();
  const { cursor, reset } = cursors;
  // A new filter starts again at the first page.
  useEffect(() => reset(), [props.status, props.subscriptionId]);
  const state = useApi<Page<Delivery>>(
    withQuery('/v1/deliveries', {
      status: props.status,
      subscription_id: props.subscriptionId,
      limit: PAGE_SIZE,
      cursor,
    }),
  );
  const { reload } = state;
  useEffect(() => {
    if (props.refresh) reload();
  }, [props.refresh, reload]);
  return (
    <div class="delivery-log">
      <p>
        <button type="button" class="secondary" onClick={reload} disabled={state.loading}>
          Refresh
        </button>
      </p>
      <Loading
        state={state}
        empty={(page) => page.data.length === 0}
        emptyText={
          props.status ? `No ${props.status} deliveries.` : 'No deliveries yet: nothing has matched so far.'
        }
      >
        {(page) => (
          <>
            <DeliveryTable
              rows={page.data}
              showSubscription={props.showSubscription ?? false}
              names={props.subscriptionNames ?? {}}
            />
            <Pager label="Delivery log pages" cursors={cursors} nextCursor={page.next_cursor} />
          </>
        )}
      </Loading>
    </div>
  );
}

function DeliveryTable(props: {
  rows: Delivery[];
  showSubscription: boolean;
  names: Record<string, string>;
}) {
  const { rows, showSubscription, names } = props;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Event</th>
            <th scope="col">Subject</th>
            {showSubscription ? <th scope="col">Subscription</th> : null}
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((delivery) => (
            <tr key={delivery.id}>
              <th scope="row">
                <a href={`/console/deliveries/${delivery.id}`}>{formatTime(delivery.created_at)}</a>
              </th>
              <td>{delivery.event_type}</td>
              <td class="wrap">{delivery.subject}</td>
              {showSubscription ? (
                <td class="wrap">
                  <a href={`/console/subscriptions/${delivery.subscription_id}`}>
                    {names[delivery.subscription_id] ?? delivery.subscription_id}
                  </a>
                </td>
              ) : null}
              <td>
                <StatusBadge status={delivery.status} />
                {delivery.status === 'pending' && delivery.next_attempt_at && delivery.attempt_count > 0 ? (
                  <span class="muted small block">next try {formatTime(delivery.next_attempt_at)}</span>
                ) : null}
              </td>
              <td>{delivery.attempt_count}</td>
              <td>{lastAnswer(delivery)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function lastAnswer(delivery: Delivery): string {
  if (delivery.last_status_code !== null) return `HTTP ${delivery.last_status_code}`;
  if (delivery.last_error) return delivery.last_error;
  return '—';
}

/** One delivery with every attempt; refreshed while it is still on its way. */
export function DeliveryDetail() {
  const { params } = useRoute();
  const id = params['id'] ?? '';
  const state = useApi<Delivery>(`/v1/deliveries/${encodeURIComponent(id)}`);
  const [retrying, setRetrying] = useState(false);
  /** How many attempts the delivery had when it was retried: the retry's outcome is the next one. */
  const [retriedAfter, setRetriedAfter] = useState<number | null>(null);
  const [error, setError] = useState<Error | undefined>();
  const { data, reload } = state;
  const retryAttempt = retriedAfter === null ? undefined : data?.attempts[retriedAfter];
  const inFlight = data?.status === 'sending' || (retriedAfter !== null && retryAttempt === undefined);
  useEffect(() => {
    if (!inFlight) return;
    const timer = setTimeout(reload, 1_000);
    return () => clearTimeout(timer);
  }, [inFlight, data, reload]);
  const retry = async () => {
    setRetrying(true);
    setError(undefined);
    try {
      const before = data?.attempts.length ?? 0;
      await post<Delivery>(`/v1/deliveries/${encodeURIComponent(id)}/retry`);
      setRetriedAfter(before);
      reload();
    } catch (problem) {
      setError(problem as Error);
    } finally {
      setRetrying(false);
    }
  };
  return (
    <section aria-labelledby="delivery">
      <h1 id="delivery">Delivery</h1>
      <Loading state={state}>
        {(delivery) => (
          <>
            <dl class="facts">
              <dt>Id</dt>
              <dd>
                <code>{delivery.id}</code>
              </dd>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={delivery.status} />
                {delivery.next_attempt_at && delivery.status === 'pending'
                  ? ` next attempt ${formatTime(delivery.next_attempt_at)}`
                  : ''}
              </dd>
              <dt>Event</dt>
              <dd>{delivery.event_type}</dd>
              <dt>Subject</dt>
              <dd class="wrap">{delivery.subject}</dd>
              <dt>Subscription</dt>
              <dd>
                <a href={`/console/subscriptions/${delivery.subscription_id}`}>{delivery.subscription_id}</a>
              </dd>
              <dt>Created</dt>
              <dd>{formatTime(delivery.created_at)}</dd>
              <dt>Completed</dt>
              <dd>{formatTime(delivery.completed_at)}</dd>
            </dl>
            <button type="button" onClick={retry} disabled={retrying || delivery.status === 'sending'}>
              {retrying ? 'Retrying…' : 'Retry now'}
            </button>
            <button type="button" class="secondary" onClick={reload}>
              Refresh
            </button>
            <p class="hint">
              Sends this delivery again now, with the same id and body, and a fresh retry schedule.
            </p>
            <ProblemMessage error={error} />
            {retriedAfter !== null ? (
              <p role="status">
                {retryAttempt === undefined || delivery.status === 'sending'
                  ? 'Retry queued…'
                  : isSuccess(retryAttempt)
                    ? 'Retried: the endpoint accepted it.'
                    : `Retried: the endpoint refused it again (${retryAttempt.status_code ?? retryAttempt.error ?? 'no answer'}).`}
              </p>
            ) : null}
            <h2 id="attempts">Attempts</h2>
            <AttemptTable delivery={delivery} />
          </>
        )}
      </Loading>
    </section>
  );
}

function AttemptTable({ delivery }: { delivery: Delivery }) {
  if (delivery.attempts.length === 0) return <p class="empty">No attempt yet.</p>;
  return (
    <div class="table-wrap">
      <table aria-labelledby="attempts">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Attempted</th>
            <th scope="col">Outcome</th>
            <th scope="col">Status code</th>
            <th scope="col">Round trip</th>
            <th scope="col">Response excerpt</th>
          </tr>
        </thead>
        <tbody>
          {delivery.attempts.map((attempt, i) => {
            const ok = isSuccess(attempt);
            return (
              <tr key={attempt.id}>
                <th scope="row">{i + 1}</th>
                <td>{formatTime(attempt.attempted_at)}</td>
                <td>
                  <StatusBadge status={ok ? 'succeeded' : 'failed'} />
                </td>
                <td>{attempt.status_code ?? 'no answer'}</td>
                <td>{attempt.duration_ms} ms</td>
                <td>
                  {attempt.error ? <p class="attempt-error">{attempt.error}</p> : null}
                  {attempt.response_body ? <pre class="excerpt">{attempt.response_body}</pre> : null}
                  {!attempt.error && !attempt.response_body ? '—' : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function isSuccess(attempt: Attempt): boolean {
  return attempt.status_code !== null && attempt.status_code >= 200 && attempt.status_code < 300;
}

/** `<input type="datetime-local">`'s value for a time, in the browser's time zone. */
function localInputValue(at: Date): string {
  const local = new Date(at.getTime() - at.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

type ReplayStep =
  | { step: 'form' }
  | { step: 'confirm'; since: string; until: string; count: number }
  | { step: 'done'; count: number };

/**
 * Replays a subscription's deliveries of a time window: a dry run first says how many would be
 * sent, and only the confirmation sends them.
 */
export function ReplayForm(props: { subscriptionId: string; endpoint: string; onReplayed: () => void }) {
  const [since, setSince] = useState(() => localInputValue(new Date(Date.now() - 3_600_000)));
  const [until, setUntil] = useState('');
  const [step, setStep] = useState<ReplayStep>({ step: 'form' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const question = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (step.step === 'confirm') question.current?.focus();
  }, [step.step]);
  const path = `/v1/subscriptions/${encodeURIComponent(props.subscriptionId)}/replay`;
  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
    } catch (problem) {
      setError(problem as Error);
    } finally {
      setBusy(false);
    }
  };
  const check = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const window = {
        since: new Date(since).toISOString(),
        until: until ? new Date(until).toISOString() : new Date().toISOString(),
      };
      const answer = await post<ReplayResult>(path, { ...window, dry_run: true });
      setStep({ step: 'confirm', ...window, count: answer.replayed });
    });
  };
  const confirm = (since: string, until: string) =>
    run(async () => {
      const answer = await post<ReplayResult>(path, { since, until });
      setStep({ step: 'done', count: answer.replayed });
      props.onReplayed();
    });
  return (
    <section aria-labelledby="replay" class="panel">
      <h2 id="replay">Replay a time window</h2>
      {step.step === 'confirm' ? (
        <div class="confirm">
          <p id="replay-question" tabIndex={-1} ref={question}>
            {step.count === 0
              ? 'No finished delivery falls in this window: nothing would be sent.'
              : `${step.count} ${step.count === 1 ? 'delivery' : 'deliveries'} will be sent again to ${props.endpoint}`}{' '}
            ({formatTime(step.since)} to {formatTime(step.until)}).
          </p>
          {step.count > 0 ? (
            <button type="button" disabled={busy} onClick={() => void confirm(step.since, step.until)}>
              {busy ? 'Replaying…' : `Replay ${step.count}`}
            </button>
          ) : null}
          <button type="button" class="secondary" onClick={() => setStep({ step: 'form' })}>
            Cancel
          </button>
        </div>
      ) : (
        <form onSubmit={check}>
          <p class="hint">
            Sends again every finished delivery created in the window, with the same id and body. You are
            asked to confirm with the count first.
          </p>
          <div class="row">
            <div>
              <label for="replay-since">From</label>
              <input
                id="replay-since"
                type="datetime-local"
                required
                value={since}
                onInput={(event) => setSince((event.target as HTMLInputElement).value)}
              />
            </div>
            <div>
              <label for="replay-until">Until (empty: now)</label>
              <input
                id="replay-until"
                type="datetime-local"
                value={until}
                onInput={(event) => setUntil((event.target as HTMLInputElement).value)}
              />
            </div>
          </div>
          <button type="submit" disabled={busy}>
            {busy ? 'Counting…' : 'Count deliveries to replay'}
          </button>
          {step.step === 'done' ? (
            <p role="status">
              {step.count} {step.count === 1 ? 'delivery' : 'deliveries'} queued to be sent again.
            </p>
          ) : null}
        </form>
      )}
      <ProblemMessage error={error} />
    </section>
  );
}
