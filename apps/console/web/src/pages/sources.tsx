import { useRoute } from 'preact-iso';
import { ListPage } from '../components/list-page';
import { Loading } from '../components/states';
import { useApi } from '../components/use-api';
import type { Source } from '../types';

export function Sources() {
  return (
    <ListPage<Source> title="Sources" path="/v1/sources?limit=100" emptyText="No sources yet.">
      {(rows) => (
        <ul>
          {rows.map((source) => (
            <li key={source.id}>
              <a href={`/console/sources/${source.id}`}>{source.name}</a> ({source.provider})
            </li>
          ))}
        </ul>
      )}
    </ListPage>
  );
}

export function SourceDetail() {
  const { params } = useRoute();
  const state = useApi<Source>(`/v1/sources/${encodeURIComponent(params['id'] ?? '')}`);
  return (
    <Loading state={state}>
      {(source) => (
        <section aria-labelledby="source">
          <h1 id="source">{source.name}</h1>
          <p>Ingest URL: {source.ingest_url}</p>
        </section>
      )}
    </Loading>
  );
}
