import { useState } from 'preact/hooks';
import { api, storeApiKey } from '../api';
import { ProblemMessage } from '../components/states';

export interface Tenant {
  tenant_id: string;
  name: string;
}

/** Asks for an API key and checks it against the API before keeping it for this tab. */
export function SignIn({
  reason,
  onSignedIn,
}: {
  reason: string | null;
  onSignedIn: (tenant: Tenant) => void;
}) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<Error | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const tenant = await api<Tenant>('GET', '/v1/tenant', undefined, key.trim());
      storeApiKey(key.trim());
      onSignedIn(tenant);
    } catch (problem) {
      setError(problem as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <h1>Sign in to the Solar hub console</h1>
      {reason ? (
        <p class="notice" role="status">
          {reason}
        </p>
      ) : null}
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(event) => setKey((event.target as HTMLInputElement).value)}
        />
        <p class="hint" id="api-key-hint">
          A key of your tenant (<code>npm run cli -- key:create</code>, or the development key{' '}
          <code>npm start</code> prints). It is kept in this tab only, until you sign out or close it.
        </p>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <ProblemMessage error={error} />
    </main>
  );
}
