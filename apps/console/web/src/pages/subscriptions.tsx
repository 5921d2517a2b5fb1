import { useRoute } from 'preact-iso';
import { ListPage } from '../components/list-page';
import { Loading, StatusBadge } from '../components/states';
import { useApi } from '../components/use-api';
import type { Subscription } from '../types';

export function Subscriptions() {
  return (
    <ListPage<Subscription>
      title="Subscriptions"
      path="/v1/subscriptions?limit=100"
      emptyText="No subscriptions yet."
    >
      {(rows) => (
        <ul>
          {rows.map((subscription) => (
            <li key={subscription.id}>
              <a href={`/console/subscriptions/${subscription.id}`}>{subscription.endpoint}</a>{' '}
              <StatusBadge status={subscription.status} />
            </li>
          ))}
        </ul>
      )}
    </ListPage>
  );
}

export function SubscriptionDetail() {
  const { params } = useRoute();
  const state = useApi<Subscription>(`/v1/subscriptions/${encodeURIComponent(params['id'] ?? '')}`);
  return (
    <Loading state={state}>
      {(subscription) => (
        <section aria-labelledby="subscription">
          <h1 id="subscription">{subscription.endpoint}</h1>
        </section>
      )}
    </Loading>
  );
}

export function SubscriptionEditor() {
  return (
    <section aria-labelledby="editor">
      <h1 id="editor">New subscription</h1>
    </section>
  );
}
