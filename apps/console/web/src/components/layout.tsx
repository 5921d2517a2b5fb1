import type { ComponentChildren } from 'preact';
import { useLocation } from 'preact-iso';
import { signOut } from '../api';

const SECTIONS = [
  { href: '/console/', label: 'Overview' },
  { href: '/console/sources', label: 'Sources' },
  { href: '/console/records', label: 'Records' },
  { href: '/console/subscriptions', label: 'Subscriptions' },
  { href: '/console/deliveries', label: 'Deliveries' },
  { href: '/console/bus', label: 'Bus' },
] as const;

function isCurrent(href: string, path: string): boolean {
  return href === '/console/' ? path === '/console/' || path === '/console' : path.startsWith(href);
}

export function Layout({ tenant, children }: { tenant: string; children: ComponentChildren }) {
  const { path } = useLocation();
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Solar hub</span>
        <nav aria-label="Sections">
          <ul>
            {SECTIONS.map((section) => (
              <li key={section.href}>
                <a href={section.href} aria-current={isCurrent(section.href, path) ? 'page' : undefined}>
                  {section.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="tenant" title="the tenant of this API key">
          {tenant}
        </span>
        <button type="button" class="secondary" onClick={() => signOut('user')}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
