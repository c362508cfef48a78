// HTTPS for the replay proxy: a certificate authority made for this run, and a certificate per host
// signed by it on first use, so the proxy can answer CONNECT by terminating TLS itself and serve
// https:// requests from the archive like http:// ones. Nothing is trusted by default: a browser is
// told to accept these certificates (--ignore-certificate-errors-spki-list with the printed
// fingerprint), or the user adds the written CA file to a throw-away profile's trust store.
// node-forge builds and signs the X.509 certificates; Node's crypto makes the RSA keys (fast, native).
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import forge from 'node-forge';

export interface ReplayCa {
  /** the CA certificate, PEM: what a trust store would import */
  certificatePem: string;
  /**
   * base64 SHA-256 of the public keys (SPKI) of the CA and of every host certificate, for
   * Chromium's --ignore-certificate-errors-spki-list
   */
  spkiFingerprints: string[];
  /** the TLS context for one host name or IP address, made on first use */
  contextFor(host: string): SecureContext;
  /** the same host's key and certificate chain as PEM (for a server of its own, e.g. a test site) */
  pemsFor(host: string): { key: string; cert: string };
}

const DAY_MS = 24 * 60 * 60 * 1000;

function rsaKeys(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function spkiFingerprint(publicPem: string): string {
  return createHash('sha256').update(createPublicKey(publicPem).export({ type: 'spki', format: 'der' })).digest('base64');
}

/** A positive serial of 16 random bytes, hex (RFC 5280: positive, at most 20 bytes). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: number): void {
  // a little in the past, for clocks that disagree; short-lived: the CA exists for one run
  cert.validity.notBefore = new Date(now - DAY_MS);
  cert.validity.notAfter = new Date(now + 30 * DAY_MS);
}

export function createReplayCa(now = Date.now()): ReplayCa {
  const caKeys = rsaKeys();
  const caKey = forge.pki.privateKeyFromPem(caKeys.privatePem);
  const ca = forge.pki.createCertificate();
  ca.publicKey = forge.pki.publicKeyFromPem(caKeys.publicPem);
  ca.serialNumber = serial();
  validity(ca, now);
  const caName = [
    { name: 'commonName', value: `fanout-crawler replay CA ${new Date(now).toISOString().slice(0, 10)}` },
    { name: 'organizationName', value: 'fanout-crawler (local replay, not for trust)' },
  ];
  ca.setSubject(caName);
  ca.setIssuer(caName);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKey, forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(ca);

  // One key for every host certificate: a key per host would cost a key generation per new host
  // and give Chromium one more fingerprint to be told about.
  const hostKeys = rsaKeys();
  const hostPublic = forge.pki.publicKeyFromPem(hostKeys.publicPem);
  const contexts = new Map<string, SecureContext>();
  const chains = new Map<string, string>();

  const chainFor = (name: string): string => {
    const known = chains.get(name);
    if (known) return known;
    const cert = forge.pki.createCertificate();
    cert.publicKey = hostPublic;
    cert.serialNumber = serial();
    validity(cert, now);
    cert.setSubject([{ name: 'commonName', value: name.slice(0, 64) }]);
    cert.setIssuer(ca.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      // browsers match the name only here, never the common name; an address is an IP entry (type 7)
      { name: 'subjectAltName', altNames: [isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }] },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    const chain = `${forge.pki.certificateToPem(cert)}${certificatePem}`;
    chains.set(name, chain);
    return chain;
  };
  const nameOf = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

  const contextFor = (host: string): SecureContext => {
    const name = nameOf(host);
    const known = contexts.get(name);
    if (known) return known;
    const context = createSecureContext({ key: hostKeys.privatePem, cert: chainFor(name) });
    contexts.set(name, context);
    return context;
  };

  return {
    certificatePem,
    spkiFingerprints: [spkiFingerprint(caKeys.publicPem), spkiFingerprint(hostKeys.publicPem)],
    contextFor,
    pemsFor: (host) => ({ key: hostKeys.privatePem, cert: chainFor(nameOf(host)) }),
  };
}
