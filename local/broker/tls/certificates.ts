/**
 * The broker's TLS identity: a local certificate authority and a server certificate it signs, generated
 * into the data directory on first start and reused afterwards, so clients can keep trusting `ca.pem`.
 * node:crypto makes keys but not X.509 certificates; @peculiar/x509 writes them (over WebCrypto).
 */
import { webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import 'reflect-metadata'; // @peculiar/x509 resolves its algorithms through tsyringe, which needs it
import * as x509 from '@peculiar/x509';

export interface TlsIdentity {
  /** PEM of the CA clients must trust. */
  readonly ca: string;
  /** PEM of the server certificate, then the CA (the chain the broker presents). */
  readonly cert: string;
  /** PEM (PKCS #8) of the server key. */
  readonly key: string;
}

export interface TlsFiles {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Where a generated identity lives inside a data directory. */
export function tlsFilesIn(directory: string): TlsFiles {
  return {
    caFile: join(directory, 'ca.pem'),
    certFile: join(directory, 'server.pem'),
    keyFile: join(directory, 'server-key.pem'),
  };
}

const ALGORITHM: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};
const DAY_MS = 86_400_000;
/** Certificates outlive any development setup; a deleted data directory gets new ones. */
const VALIDITY_MS = 825 * DAY_MS;

x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

/** A CA and a server certificate for `hosts` (DNS names or IP addresses), in memory. */
export async function generateTlsIdentity(hosts: readonly string[]): Promise<TlsIdentity> {
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + VALIDITY_MS);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Local Kafka broker CA',
    keys: caKeys,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const serverCert = await x509.X509CertificateGenerator.create({
    subject: `CN=${hosts[0] ?? 'localhost'}`,
    issuer: caCert.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((host) => (isIP(host) ? { type: 'ip', value: host } : { type: 'dns', value: host })),
      ),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  const ca = caCert.toString('pem');
  return {
    ca,
    cert: `${serverCert.toString('pem')}\n${ca}`,
    key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'),
  };
}

/**
 * The identity stored in `directory`, generated there on first use for `hosts`. A directory with only some
 * of the files is refused rather than half-overwritten.
 */
export async function loadOrCreateTlsIdentity(
  directory: string,
  hosts: readonly string[],
): Promise<TlsIdentity & TlsFiles> {
  const files = tlsFilesIn(directory);
  const existing = await Promise.all(
    [files.caFile, files.certFile, files.keyFile].map((file) =>
      readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      }),
    ),
  );
  const [ca, cert, key] = existing;
  if (ca !== undefined && cert !== undefined && key !== undefined) return { ca, cert, key, ...files };
  if (existing.some((content) => content !== undefined)) {
    throw new Error(
      `${directory} holds only some of ca.pem, server.pem and server-key.pem; delete them to generate a new set`,
    );
  }
  const identity = await generateTlsIdentity(hosts);
  await mkdir(directory, { recursive: true });
  await writeFile(files.keyFile, identity.key, { mode: 0o600 });
  await writeFile(files.certFile, identity.cert);
  await writeFile(files.caFile, identity.ca);
  return { ...identity, ...files };
}
