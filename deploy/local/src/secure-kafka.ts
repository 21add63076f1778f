import { randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KafkaSecurity } from '@fanout/messaging';
import { runCommand } from './command-runner';
import { PlatformError } from './platform-error';
import type { LogSink } from './progress';
import { endpointsOf, type Topology } from './topology';

/** The one SASL mechanism the secure stack enables (clients and inter-broker). */
export const secureMechanism = 'SCRAM-SHA-512';

/**
 * The throwaway TLS material and SCRAM credentials of one secure profile, all under
 * `<dataDir>/secure/` (inside `.fanout/`, gitignored). Generated once per profile; the broker
 * certificate is renewed when it is missing or expires within a day.
 */
export interface SecureKafka {
  dir: string;
  /** PEM of the profile's CA: what clients trust (KAFKA_SSL_CA_FILE). */
  caFile: string;
  /** PEM with the broker's PKCS#8 key and certificate chain (ssl.keystore.type=PEM). */
  brokerKeystoreFile: string;
  /** The brokers' own SCRAM user (inter-broker listener). */
  interBroker: { username: string; password: string };
  /** The user services and tools connect as. */
  client: { username: string; password: string; passwordFile: string };
  /** `KAFKA_*` lines for a service or a shell (`set -a; . client.env`). */
  envFile: string;
}

interface Credentials {
  interBroker: { username: string; password: string };
  client: { username: string; password: string };
}

export const secureDir = (topology: Topology): string => join(topology.dataDir, 'secure');

function paths(topology: Topology) {
  const dir = secureDir(topology);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    brokerKey: join(dir, 'broker.key'),
    brokerCsr: join(dir, 'broker.csr'),
    brokerCert: join(dir, 'broker.pem'),
    brokerExt: join(dir, 'broker-ext.cnf'),
    brokerKeystoreFile: join(dir, 'broker-keystore.pem'),
    credentials: join(dir, 'credentials.json'),
    passwordFile: join(dir, 'client.password'),
    envFile: join(dir, 'client.env'),
  };
}

/** Hex: safe inside JAAS quotes, the storage tool's `[name=..,password=..]` and env files. */
const newPassword = (): string => randomBytes(24).toString('hex');

async function openssl(args: string[], cwd: string, logFile: string): Promise<void> {
  await runCommand({
    component: 'kafka',
    command: 'openssl',
    args,
    cwd,
    logFile,
    timeoutMs: 60_000,
    hint: 'Generating the secure stack`s certificates failed; is `openssl` installed (apt-get install openssl)?',
  });
}

/**
 * A self-signed CA (`ca.pem`, `ca.key`) in `dir`. Also what a test uses as an untrusted CA.
 * Valid for 30 days: nothing here is meant to last.
 */
export async function createThrowawayCa(
  dir: string,
  commonName: string,
  logFile = join(dir, 'openssl.log'),
): Promise<{ caFile: string; caKeyFile: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.pem');
  const caKeyFile = join(dir, 'ca.key');
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      caKeyFile,
      '-out',
      caFile,
      '-days',
      '30',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
    logFile,
  );
  chmodSync(caKeyFile, 0o600);
  return { caFile, caKeyFile };
}

/** True when `certFile` exists, was issued by `caFile` and stays valid for another day. */
function certificateUsable(certFile: string, caFile: string): boolean {
  if (!existsSync(certFile) || !existsSync(caFile)) return false;
  try {
    const cert = new X509Certificate(readFileSync(certFile));
    const ca = new X509Certificate(readFileSync(caFile));
    const day = 24 * 3_600_000;
    return (
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      new Date(cert.validTo).getTime() > Date.now() + day &&
      new Date(ca.validTo).getTime() > Date.now() + day
    );
  } catch {
    return false;
  }
}

async function issueBrokerCertificate(p: ReturnType<typeof paths>, logFile: string) {
  await writeFile(
    p.brokerExt,
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'extendedKeyUsage=serverAuth,clientAuth',
      'basicConstraints=CA:FALSE',
      '',
    ].join('\n'),
  );
  // `req -newkey ... -nodes` writes an unencrypted PKCS#8 key, the form Kafka's PEM store reads.
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      p.brokerKey,
      '-out',
      p.brokerCsr,
      '-subj',
      '/CN=localhost',
    ],
    p.dir,
    logFile,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      p.brokerCsr,
      '-CA',
      p.caFile,
      '-CAkey',
      p.caKey,
      '-CAcreateserial',
      '-out',
      p.brokerCert,
      '-days',
      '30',
      '-extfile',
      p.brokerExt,
    ],
    p.dir,
    logFile,
  );
  const keystore = [p.brokerKey, p.brokerCert, p.caFile]
    .map((f) => readFileSync(f, 'utf8').trim())
    .join('\n');
  await writeFile(p.brokerKeystoreFile, `${keystore}\n`, { mode: 0o600 });
  chmodSync(p.brokerKey, 0o600);
}

function readCredentials(file: string): Credentials | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Credentials;
    return parsed.client?.password && parsed.interBroker?.password ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function material(p: ReturnType<typeof paths>, credentials: Credentials): SecureKafka {
  return {
    dir: p.dir,
    caFile: p.caFile,
    brokerKeystoreFile: p.brokerKeystoreFile,
    interBroker: credentials.interBroker,
    client: { ...credentials.client, passwordFile: p.passwordFile },
    envFile: p.envFile,
  };
}

/**
 * Creates what is missing of a profile's secure material (CA, broker certificate for
 * 127.0.0.1 and localhost, SCRAM credentials, client.env) and returns it.
 */
export async function ensureSecureKafka(topology: Topology, log: LogSink): Promise<SecureKafka> {
  const p = paths(topology);
  const logFile = join(topology.logDir, 'secure-setup.log');
  await mkdir(p.dir, { recursive: true, mode: 0o700 });
  const renewCa = !certificateUsable(p.caFile, p.caFile);
  if (renewCa) {
    log(`  · generating a throwaway CA for stack "${topology.profile}" in ${p.dir}`);
    await createThrowawayCa(p.dir, `Fanout local CA (stack ${topology.profile})`, logFile);
  }
  if (renewCa || !existsSync(p.brokerKeystoreFile) || !certificateUsable(p.brokerCert, p.caFile))
    await issueBrokerCertificate(p, logFile);
  let credentials = readCredentials(p.credentials);
  if (!credentials) {
    credentials = {
      interBroker: { username: 'fanout-broker', password: newPassword() },
      client: { username: 'fanout', password: newPassword() },
    };
    await writeFile(p.credentials, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  }
  await writeFile(p.passwordFile, `${credentials.client.password}\n`, { mode: 0o600 });
  const secure = material(p, credentials);
  const env = { KAFKA_BROKERS: endpointsOf(topology).kafkaBrokers.join(','), ...clientEnv(secure) };
  await writeFile(
    p.envFile,
    [
      `# Kafka client settings of the secure local stack "${topology.profile}" (generated by`,
      '# `npm run stack -- up --secure`; throwaway, never commit). Use: set -a; . <this file>',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return secure;
}

/** The profile's secure material if it was generated, without creating anything (status). */
export function loadSecureKafka(topology: Topology): SecureKafka | undefined {
  const p = paths(topology);
  const credentials = readCredentials(p.credentials);
  if (!credentials || !existsSync(p.caFile)) return undefined;
  return material(p, credentials);
}

/** Same as `loadSecureKafka`, but a missing file is an error that says what to run. */
export function requireSecureKafka(topology: Topology): SecureKafka {
  const secure = loadSecureKafka(topology);
  if (!secure)
    throw new PlatformError(
      'FANOUT_PLATFORM_UNHEALTHY',
      'kafka',
      `stack "${topology.profile}" is secure, but its credentials are missing from ${secureDir(topology)}`,
      `Run \`npm run stack -- down --profile ${topology.profile}\` and \`up --secure\` again.`,
    );
  return secure;
}

/** How a client of this stack connects: SASL_SSL, SCRAM-SHA-512, trusting the profile's CA. */
export function clientSecurity(secure: SecureKafka): KafkaSecurity {
  return {
    protocol: 'SASL_SSL',
    sasl: {
      mechanism: 'scram-sha-512',
      username: secure.client.username,
      password: secure.client.password,
    },
    tls: {
      ca: [readFileSync(secure.caFile, 'utf8')],
      rejectUnauthorized: true,
      sources: { caFile: secure.caFile },
    },
  };
}

/** The `KAFKA_*` variables a service needs (the password by file, never in the environment). */
export function clientEnv(secure: SecureKafka): Record<string, string> {
  return {
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: secureMechanism.toLowerCase(),
    KAFKA_SASL_USERNAME: secure.client.username,
    KAFKA_SASL_PASSWORD_FILE: secure.client.passwordFile,
    KAFKA_SSL_CA_FILE: secure.caFile,
  };
}

/** `--add-scram` arguments for the storage format, and the same with the passwords masked. */
export function scramFormatArgs(secure: SecureKafka): { args: string[]; shown: string[] } {
  const users = [secure.interBroker, secure.client];
  return {
    args: users.flatMap((u) => [
      '--add-scram',
      `${secureMechanism}=[name=${u.username},password=${u.password}]`,
    ]),
    shown: users.flatMap((u) => [
      '--add-scram',
      `${secureMechanism}=[name=${u.username},password=***]`,
    ]),
  };
}
