import { useRoute } from 'preact-iso';
import type { Page } from '../api';
import { Loading } from '../components/states';
import { useApi } from '../components/use-api';

interface RecordItem {
  id: string;
}

export function Records() {
  const state = useApi<Page<RecordItem>>('/v1/projects?limit=50');
  return (
    <section aria-labelledby="records">
      <h1 id="records">Records</h1>
      <Loading state={state} empty={(page) => page.data.length === 0} emptyText="No projects yet.">
        {(page) => (
          <ul>
            {page.data.map((record) => (
              <li key={record.id}>
                <a href={`/console/records/project/${encodeURIComponent(record.id)}`}>{record.id}</a>
              </li>
            ))}
          </ul>
        )}
      </Loading>
    </section>
  );
}

export function RecordDetail() {
  const { params } = useRoute();
  const state = useApi<unknown>(`/v1/${params['type']}s/${encodeURIComponent(params['id'] ?? '')}`);
  return (
    <Loading state={state}>
      {(record) => (
        <section aria-labelledby="record">
          <h1 id="record">{params['id']}</h1>
          <pre>{JSON.stringify(record, null, 2)}</pre>
        </section>
      )}
    </Loading>
  );
}
