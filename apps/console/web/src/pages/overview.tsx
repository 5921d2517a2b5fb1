import { useEffect, useState } from 'preact/hooks';
import { get, type Page } from '../api';
import { formatTime, ProblemMessage, StatusBadge } from '../components/states';
import {
  lastRejection,
  type Source,
  type SourceStats,
  type Subscription,
  type SubscriptionStats,
} from '../types';

interface SourceRow {
  source: Source;
  stats: SourceStats | null;
}
interface SubscriptionRow {
  subscription: Subscription;
  stats: SubscriptionStats | null;
}

/** Each source's and subscription's health at a glance; whatever is failing now comes first. */
export function Overview() {
  const [sources, setSources] = useState<SourceRow[] | undefined>();
  const [subscriptions, setSubscriptions] = useState<SubscriptionRow[] | undefined>();
  const [error, setError] = useState<Error | undefined>();
  useEffect(() => {
    loadSources().then(setSources, setError);
    loadSubscriptions().then(setSubscriptions, setError);
  }, []);
  const failing = [
    ...(sources ?? []).filter(({ stats }) => (stats?.last_hour?.rejected ?? 0) > 0).map(sourceAlert),
    ...(subscriptions ?? []).filter(isFailing).map(subscriptionAlert),
  ];
  return (
    <section aria-labelledby="overview">
      <h1 id="overview">Overview</h1>
      <ProblemMessage error={error} />
      {sources && subscriptions ? (
        <section aria-labelledby="failing" class={failing.length ? 'alerts' : 'all-good'}>
          <h2 id="failing">Failing now</h2>
          {failing.length === 0 ? (
            <p>Nothing is failing: no rejections and no failed attempts in the last hour.</p>
          ) : (
            <ul>{failing}</ul>
          )}
        </section>
      ) : null}
      <h2>Sources</h2>
      {sources === undefined ? (
        <p role="status">Loading…</p>
      ) : sources.length === 0 ? (
        <p class="empty">
          No sources yet. <a href="/console/sources">Create one</a> to start receiving webhooks.
        </p>
      ) : (
        <SourceTable rows={sources} />
      )}
      <h2>Subscriptions</h2>
      {subscriptions === undefined ? (
        <p role="status">Loading…</p>
      ) : subscriptions.length === 0 ? (
        <p class="empty">
          No subscriptions yet. <a href="/console/subscriptions/new">Create one</a> to send changes
          downstream.
        </p>
      ) : (
        <SubscriptionTable rows={subscriptions} />
      )}
    </section>
  );
}

async function loadSources(): Promise<SourceRow[]> {
  const page = await get<Page<Source>>('/v1/sources?limit=100');
  return Promise.all(
    page.data.map(async (source) => ({
      source,
      stats: await get<SourceStats>(`/v1/sources/${encodeURIComponent(source.id)}/stats`).catch(() => null),
    })),
  );
}

async function loadSubscriptions(): Promise<SubscriptionRow[]> {
  const page = await get<Page<Subscription>>('/v1/subscriptions?limit=100');
  return Promise.all(
    page.data.map(async (subscription) => ({
      subscription,
      stats: await get<SubscriptionStats>(
        `/v1/subscriptions/${encodeURIComponent(subscription.id)}/stats?window=24h`,
      ).catch(() => null),
    })),
  );
}

const HOUR_MS = 3_600_000;

/** Disabled, or an attempt failed within the last hour: what an operator should look at first. */
function isFailing({ subscription, stats }: SubscriptionRow): boolean {
  const failedAt = stats?.last_failure ? Date.parse(stats.last_failure.at) : NaN;
  return subscription.status === 'disabled' || Date.now() - failedAt < HOUR_MS;
}

function sourceAlert({ source, stats }: SourceRow) {
  const last = stats ? lastRejection(stats) : null;
  return (
    <li key={source.id}>
      Source <a href={`/console/sources/${source.id}`}>{source.name}</a> rejected{' '}
      {count(stats?.last_hour?.rejected ?? 0, 'request')} in the last hour
      {last ? `, last: ${last.reason} (${last.detail})` : ''}.
    </li>
  );
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function subscriptionAlert({ subscription, stats }: SubscriptionRow) {
  const failure = stats?.last_failure;
  return (
    <li key={subscription.id}>
      Subscription <a href={`/console/subscriptions/${subscription.id}`}>{subscription.endpoint}</a> is{' '}
      {subscription.status === 'disabled'
        ? `disabled (${subscription.status_reason ?? 'no reason given'})`
        : 'failing'}
      {failure
        ? `; last failure ${formatTime(failure.at)}: ${failure.error ?? `HTTP ${failure.status_code}`}`
        : ''}
      .
    </li>
  );
}

function SourceTable({ rows }: { rows: SourceRow[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Source</th>
            <th scope="col">Provider</th>
            <th scope="col">Accepted (hour / day)</th>
            <th scope="col">Rejected (hour / day)</th>
            <th scope="col">Last rejection</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ source, stats }) => {
            const last = stats ? lastRejection(stats) : null;
            return (
              <tr key={source.id}>
                <th scope="row">
                  <a href={`/console/sources/${source.id}`}>{source.name}</a>
                </th>
                <td>{source.provider}</td>
                <td>{windows(stats, 'accepted')}</td>
                <td>{windows(stats, 'rejected')}</td>
                <td>{last ? `${formatTime(last.at)}: ${last.reason} (${last.detail})` : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function windows(stats: SourceStats | null, kind: 'accepted' | 'rejected'): string {
  if (!stats?.last_hour || !stats.last_day) return '—';
  return `${stats.last_hour[kind]} / ${stats.last_day[kind]}`;
}

function SubscriptionTable({ rows }: { rows: SubscriptionRow[] }) {
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Subscription</th>
            <th scope="col">Status</th>
            <th scope="col">Success rate (24 h)</th>
            <th scope="col">p95 latency (24 h)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ subscription, stats }) => (
            <tr key={subscription.id}>
              <th scope="row">
                <a href={`/console/subscriptions/${subscription.id}`}>{subscription.endpoint}</a>
              </th>
              <td>
                <StatusBadge status={subscription.status} />
              </td>
              <td>{stats?.success_rate == null ? '—' : `${(stats.success_rate * 100).toFixed(1)} %`}</td>
              <td>{stats?.latency_ms?.p95 == null ? '—' : `${Math.round(stats.latency_ms.p95)} ms`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
