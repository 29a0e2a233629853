/**
 * Certificates for TLS tests, made with the `openssl` CLI in a temporary directory: a CA, and leaf
 * certificates it signs (server: SAN 127.0.0.1 and localhost; client: CN and a DNS SAN naming a
 * gateway). Keys are P-256, valid for a day, never committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
  /** PEM contents of `cert`. */
  certPem: string;
  keyPem: string;
}

export interface TestCa extends CertFiles {
  dir: string;
  /** Signs a server certificate for 127.0.0.1, ::1 and localhost (plus `names`). */
  server(name: string, names?: string[]): CertFiles;
  /** Signs a client certificate with CN `name` and DNS SAN `name`. */
  client(name: string): CertFiles;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

let serial = 0;

/** A new CA in a new temporary directory (or in `dir`). */
export function createTestCa(
  name = 'meshgate-test-ca',
  dir = mkdtempSync(join(tmpdir(), 'meshgate-tls-')),
): TestCa {
  const base = name.replace(/[^A-Za-z0-9_-]/g, '_');
  const cert = join(dir, `${base}.pem`);
  const key = join(dir, `${base}.key`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  const sign = (leaf: string, subject: string, extensions: string): CertFiles => {
    const n = ++serial;
    const leafKey = join(dir, `${leaf}-${n}.key`);
    const csr = join(dir, `${leaf}-${n}.csr`);
    const leafCert = join(dir, `${leaf}-${n}.pem`);
    const ext = join(dir, `${leaf}-${n}.ext`);
    writeFileSync(ext, extensions);
    openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        leafKey,
        '-out',
        csr,
        '-subj',
        subject,
      ],
      dir,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        cert,
        '-CAkey',
        key,
        '-set_serial',
        String(Date.now() * 1000 + n),
        '-days',
        '1',
        '-extfile',
        ext,
        '-out',
        leafCert,
      ],
      dir,
    );
    return {
      cert: leafCert,
      key: leafKey,
      certPem: readFileSync(leafCert, 'utf8'),
      keyPem: readFileSync(leafKey, 'utf8'),
    };
  };
  return {
    dir,
    cert,
    key,
    certPem: readFileSync(cert, 'utf8'),
    keyPem: readFileSync(key, 'utf8'),
    server: (leaf, names = []) =>
      sign(
        `${leaf}-server`,
        `/CN=${leaf}`,
        [
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=serverAuth',
          `subjectAltName=${['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', ...names.map((n) => `DNS:${n}`)].join(',')}`,
          '',
        ].join('\n'),
      ),
    client: (leaf) =>
      sign(
        `${leaf}-client`,
        `/CN=${leaf}`,
        [
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature',
          'extendedKeyUsage=clientAuth',
          `subjectAltName=DNS:${leaf}`,
          '',
        ].join('\n'),
      ),
  };
}
