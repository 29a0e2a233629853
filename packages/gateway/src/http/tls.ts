/**
 * TLS on the gateway's own listener: the certificate, key and client CA files, read at start and
 * reloaded when they change (polled, so that a file replaced by rename, as Kubernetes does with
 * mounted secrets, is seen too). A new set of files is checked first (PEM parses, the key matches
 * the certificate, the client CA holds a certificate); a bad one is logged and the running
 * certificate stays. New connections get the new certificate; open ones keep theirs.
 *
 * Client certificates (mTLS): with `clientAuth: require` the handshake fails without a certificate
 * the client CA verifies; with `request` it is asked for, and checked only where it is needed:
 * a request that claims to come from a peer (`meshgate-peer`) must present a verified one, naming
 * the peer unless `verifyPeerName` is false ({@link peerCertificateRefusal}).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import type { SecureContextOptions, Server as TlsServer, TLSSocket } from 'node:tls';
import { ConfigError, type GatewaySettings, type Logger } from '@meshgate/core';

export type ClientAuth = 'none' | 'request' | 'require';

export interface ListenerTlsOptions {
  /** Absolute paths (the caller resolves relative ones). */
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
  clientAuth: ClientAuth;
  /** A peer's client certificate must carry the peer's id as CN or DNS SAN. */
  verifyPeerName: boolean;
  /** How often the files are checked for changes. Default 500 ms. */
  pollIntervalMs?: number;
}

/** What a set of files gave: the context options and a description for logs. */
interface LoadedFiles {
  context: SecureContextOptions;
  subject: string;
  validTo: string;
  fingerprint: string;
}

export class ListenerTls {
  private current: LoadedFiles;
  private timer: NodeJS.Timeout | undefined;
  /** The files' stat signature the current context (or the last refused attempt) was read from. */
  private applied: string;
  /** A change seen on the previous poll: reloaded once it has stayed the same for one interval. */
  private pending: string | undefined;

  /** @throws ConfigError when the files cannot be read or do not make a certificate and key. */
  constructor(
    readonly options: ListenerTlsOptions,
    private readonly logger: Logger,
  ) {
    this.applied = this.signature();
    try {
      this.current = this.read();
    } catch (err) {
      throw new ConfigError(`spec.http.tls: ${(err as Error).message}`, [
        { path: 'spec.http.tls', message: (err as Error).message },
      ]);
    }
  }

  /** Options for https.createServer: the certificate, and how client certificates are asked for. */
  serverOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
    const auth = this.options.clientAuth;
    return {
      ...this.current.context,
      requestCert: auth !== 'none',
      rejectUnauthorized: auth === 'require',
    };
  }

  /** Whether client certificates are asked for (peer requests then need a verified one). */
  get checksClientCertificates(): boolean {
    return this.options.clientAuth !== 'none';
  }

  /** The current certificate, for logs. */
  describe(): { subject: string; validTo: string; fingerprint: string; clientAuth: ClientAuth } {
    const { subject, validTo, fingerprint } = this.current;
    return { subject, validTo, fingerprint, clientAuth: this.options.clientAuth };
  }

  /** Polls the files and installs a new certificate on `server` when they change. */
  watch(server: TlsServer): void {
    this.close();
    const interval = this.options.pollIntervalMs ?? 500;
    this.timer = setInterval(() => this.poll(server), interval);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private poll(server: TlsServer): void {
    const now = this.signature();
    if (now === this.applied) {
      this.pending = undefined;
      return;
    }
    // Files written one after the other (certificate, then key) are read once both are done.
    if (now !== this.pending) {
      this.pending = now;
      return;
    }
    this.pending = undefined;
    this.applied = now;
    let next: LoadedFiles;
    try {
      next = this.read();
    } catch (err) {
      this.logger.error(
        { err: (err as Error).message, certFile: this.options.certFile, keyFile: this.options.keyFile },
        'TLS certificate files changed but cannot be used; keeping the current certificate',
      );
      return;
    }
    if (
      next.fingerprint === this.current.fingerprint &&
      next.context.key === this.current.context.key &&
      next.context.ca === this.current.context.ca
    )
      return;
    server.setSecureContext(next.context);
    this.current = next;
    this.logger.info(
      { subject: next.subject, validTo: next.validTo, fingerprint: next.fingerprint },
      'TLS certificate reloaded',
    );
  }

  /** Modification time, size and inode of each file: cheap to poll, changed by any rewrite or rename. */
  private signature(): string {
    return this.files()
      .map((file) => {
        try {
          const s = statSync(file);
          return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
        } catch {
          return 'missing';
        }
      })
      .join('|');
  }

  private files(): string[] {
    const { certFile, keyFile, clientCaFile } = this.options;
    return clientCaFile === undefined ? [certFile, keyFile] : [certFile, keyFile, clientCaFile];
  }

  private read(): LoadedFiles {
    const { certFile, keyFile, clientCaFile } = this.options;
    const cert = readText(certFile, 'certFile');
    const key = readText(keyFile, 'keyFile');
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(cert);
    } catch (err) {
      throw new Error(`certFile ${certFile} is not a PEM certificate (${(err as Error).message})`);
    }
    let privateKey: ReturnType<typeof createPrivateKey>;
    try {
      privateKey = createPrivateKey(key);
    } catch (err) {
      throw new Error(`keyFile ${keyFile} is not a PEM private key (${(err as Error).message})`);
    }
    if (!x509.checkPrivateKey(privateKey))
      throw new Error(`keyFile ${keyFile} is not the key of the certificate in ${certFile}`);
    const context: SecureContextOptions = { cert, key };
    if (clientCaFile !== undefined) {
      const ca = readText(clientCaFile, 'clientCaFile');
      try {
        new X509Certificate(ca);
      } catch (err) {
        throw new Error(`clientCaFile ${clientCaFile} is not a PEM certificate (${(err as Error).message})`);
      }
      context.ca = ca;
    }
    return {
      context,
      subject: x509.subject.replace(/\n/g, ', '),
      validTo: x509.validTo,
      fingerprint: x509.fingerprint256,
    };
  }
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(`cannot read ${what} ${path} (${code})`);
  }
}

/**
 * Why a request claiming to come from peer `peerId` is refused for its client certificate, or
 * undefined when it presents a verified one (naming the peer, when `verifyName`: its CN or a DNS
 * SAN is the peer id).
 */
export function peerCertificateRefusal(
  req: IncomingMessage,
  peerId: string,
  verifyName: boolean,
): string | undefined {
  const socket = req.socket as TLSSocket;
  if (socket.encrypted !== true) return 'not over TLS';
  const cert = socket.getPeerCertificate();
  // Checked first: node reports a TLS 1.3 session resumed without a certificate as authorized.
  if (cert === null || Object.keys(cert).length === 0) return 'no client certificate';
  if (!socket.authorized) return `client certificate not verified (${String(socket.authorizationError)})`;
  if (!verifyName) return undefined;
  const cn = cert.subject?.CN as string | string[] | undefined;
  const names = [
    ...(cn === undefined ? [] : Array.isArray(cn) ? cn : [cn]),
    ...(cert.subjectaltname ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('DNS:'))
      .map((s) => s.slice(4)),
  ];
  return names.includes(peerId)
    ? undefined
    : `client certificate names ${[...new Set(names)].join(', ') || 'nobody'}, not peer ${peerId}`;
}

/** A path from the Gateway document: relative ones are against that document's directory. */
function configPath(path: string, gateway: GatewaySettings): string {
  if (isAbsolute(path)) return path;
  return gateway.origin ? resolvePath(dirname(resolvePath(gateway.origin.file)), path) : resolvePath(path);
}

/** The listener's TLS settings (`spec.http.tls`), paths resolved; undefined for plain http. */
export function listenerTlsOptions(gateway: GatewaySettings): ListenerTlsOptions | undefined {
  const tls = gateway.http.tls;
  if (!tls) return undefined;
  return {
    certFile: configPath(tls.certFile, gateway),
    keyFile: configPath(tls.keyFile, gateway),
    ...(tls.clientCaFile !== undefined && { clientCaFile: configPath(tls.clientCaFile, gateway) }),
    clientAuth: tls.clientAuth ?? (tls.clientCaFile === undefined ? 'none' : 'require'),
    verifyPeerName: tls.verifyPeerName,
  };
}

/**
 * The CA bundle `spec.security.egress.caFile` names, read once at start, for https deliveries
 * (besides node's default CAs). @throws ConfigError when it cannot be read or holds no certificate.
 */
export function egressCas(gateway: GatewaySettings): string[] | undefined {
  const file = gateway.security?.egress?.caFile;
  if (file === undefined) return undefined;
  const path = configPath(file, gateway);
  try {
    const pem = readText(path, 'caFile');
    new X509Certificate(pem);
    return [pem];
  } catch (err) {
    const message = (err as Error).message.startsWith('cannot read')
      ? (err as Error).message
      : `caFile ${path} is not a PEM certificate (${(err as Error).message})`;
    throw new ConfigError(`spec.security.egress.caFile: ${message}`, [
      { path: 'spec.security.egress.caFile', message },
    ]);
  }
}
