import { useEffect, useState } from 'preact/hooks';
import { ErrorBoundary, LocationProvider, Route, Router } from 'preact-iso';
import { get, SIGNED_OUT_EVENT, storedApiKey } from './api';
import { Layout } from './components/layout';
import { Bus } from './pages/bus';
import { Deliveries, DeliveryDetail } from './pages/deliveries';
import { NotFound } from './pages/not-found';
import { Overview } from './pages/overview';
import { RecordDetail, Records } from './pages/records';
import { SignIn, type Tenant } from './pages/sign-in';
import { NewSource, SourceDetail, Sources } from './pages/sources';
import { SubscriptionDetail, SubscriptionEditor, Subscriptions } from './pages/subscriptions';

type Session =
  { state: 'checking' } | { state: 'signed-out'; reason: string | null } | { state: 'in'; tenant: Tenant };

const REFUSED = 'Your API key was refused (revoked or expired). Sign in again.';

export function App() {
  const [session, setSession] = useState<Session>(() =>
    storedApiKey() ? { state: 'checking' } : { state: 'signed-out', reason: null },
  );
  useEffect(() => {
    const onSignedOut = (event: Event) => {
      const reason = (event as CustomEvent<string>).detail === 'refused' ? REFUSED : 'You signed out.';
      setSession({ state: 'signed-out', reason });
    };
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
  }, []);
  useEffect(() => {
    if (session.state !== 'checking') return;
    get<Tenant>('/v1/tenant').then(
      (tenant) => setSession({ state: 'in', tenant }),
      () => setSession({ state: 'signed-out', reason: storedApiKey() ? null : REFUSED }),
    );
  }, [session.state]);
  if (session.state === 'checking')
    return (
      <p class="muted" role="status">
        Loading…
      </p>
    );
  if (session.state === 'signed-out')
    return <SignIn reason={session.reason} onSignedIn={(tenant) => setSession({ state: 'in', tenant })} />;
  return (
    <LocationProvider>
      <ErrorBoundary>
        <Layout tenant={session.tenant.name}>
          <Router>
            <Route path="/console" component={Overview} />
            <Route path="/console/" component={Overview} />
            <Route path="/console/sources" component={Sources} />
            <Route path="/console/sources/new" component={NewSource} />
            <Route path="/console/sources/:id" component={SourceDetail} />
            <Route path="/console/records" component={Records} />
            <Route path="/console/records/:type/:id" component={RecordDetail} />
            <Route path="/console/subscriptions" component={Subscriptions} />
            <Route path="/console/subscriptions/new" component={SubscriptionEditor} />
            <Route path="/console/subscriptions/:id/edit" component={SubscriptionEditor} />
            <Route path="/console/subscriptions/:id" component={SubscriptionDetail} />
            <Route path="/console/deliveries" component={Deliveries} />
            <Route path="/console/deliveries/:id" component={DeliveryDetail} />
            <Route path="/console/bus" component={Bus} />
            <Route default component={NotFound} />
          </Router>
        </Layout>
      </ErrorBoundary>
    </LocationProvider>
  );
}
