import { useRoute } from 'preact-iso';
import { ListPage } from '../components/list-page';
import { Loading, StatusBadge } from '../components/states';
import { useApi } from '../components/use-api';

interface Delivery {
  id: string;
  status: string;
}

export function Deliveries() {
  return (
    <ListPage<Delivery> title="Deliveries" path="/v1/deliveries?limit=50" emptyText="No deliveries yet.">
      {(rows) => (
        <ul>
          {rows.map((delivery) => (
            <li key={delivery.id}>
              <a href={`/console/deliveries/${delivery.id}`}>{delivery.id}</a>{' '}
              <StatusBadge status={delivery.status} />
            </li>
          ))}
        </ul>
      )}
    </ListPage>
  );
}

export function DeliveryDetail() {
  const { params } = useRoute();
  const state = useApi<Delivery>(`/v1/deliveries/${encodeURIComponent(params['id'] ?? '')}`);
  return (
    <Loading state={state}>
      {(delivery) => (
        <section aria-labelledby="delivery">
          <h1 id="delivery">Delivery {delivery.id}</h1>
        </section>
      )}
    </Loading>
  );
}
