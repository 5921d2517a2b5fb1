import { Loading } from '../components/states';
import { useApi } from '../components/use-api';

export function Bus() {
  const state = useApi<unknown>('/v1/bus');
  return (
    <section aria-labelledby="bus">
      <h1 id="bus">Bus</h1>
      <Loading state={state}>{(bus) => <pre>{JSON.stringify(bus, null, 2)}</pre>}</Loading>
    </section>
  );
}
