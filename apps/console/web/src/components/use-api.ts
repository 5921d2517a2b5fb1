import { useCallback, useEffect, useState } from 'preact/hooks';
import { get } from '../api';

export interface Loaded<T> {
  data?: T | undefined;
  error?: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** GETs `path` (again whenever it changes, or on reload); null: nothing to load yet. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({
    loading: path !== null,
  });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setState((previous) => ({ ...previous, loading: true }));
    get<T>(path).then(
      (data) => current && setState({ data, loading: false }),
      (error: Error) => current && setState({ error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [path, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}
