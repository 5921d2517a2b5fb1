import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/** Paths of a PEM certificate and its unencrypted private key. */
export interface Issued {
  cert: string;
  key: string;
}

const run = promisify(execFile);
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA of its own, valid for a day, made by the `openssl` CLI in `dir`. */
export async function throwawayCa(dir: string, name: string): Promise<Issued> {
  const issued = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  await run('openssl', [
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    issued.key,
    '-out',
    issued.cert,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  ]);
  return issued;
}

/** A certificate signed by `ca` for the DNS name `host` (a server), or only named `host` (a client). */
export async function issue(ca: Issued, dir: string, host: string, name: string): Promise<Issued> {
  const issued = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  const request = path.join(dir, `${name}.csr`);
  const extensions = path.join(dir, `${name}.ext`);
  await writeFile(extensions, `subjectAltName=DNS:${host}\n`);
  await run('openssl', ['req', ...EC_KEY, '-keyout', issued.key, '-out', request, '-subj', `/CN=${host}`]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    request,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    issued.cert,
    '-days',
    '1',
    '-extfile',
    extensions,
  ]);
  return issued;
}
