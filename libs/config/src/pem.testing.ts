import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Throwaway PEM files for the settings' tests, made by the `openssl` CLI in a temporary directory. */
export interface PemFiles {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  /** A key of its own, not `cert`'s. */
  otherKey: string;
  remove(): void;
}

export function makePemFiles(): PemFiles {
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-pem-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
  );
  openssl('req', ...ec, '-keyout', file('client.key'), '-out', file('client.csr'), '-subj', '/CN=client');
  openssl(
    'x509',
    '-req',
    '-in',
    file('client.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('client.pem'),
    '-days',
    '1',
  );
  openssl(
    'genpkey',
    '-algorithm',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    file('other.key'),
  );
  writeFileSync(file('not-pem.txt'), 'hello\n');
  return {
    dir,
    ca: file('ca.pem'),
    cert: file('client.pem'),
    key: file('client.key'),
    otherKey: file('other.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
