import { inspect } from 'node:util';
import { Kafka } from 'kafkajs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { NonRetriableError } from '@fanout/errors';
import { patchRequestQueueIdleLoop } from './request-queue-idle';
import { patchRunnerLifecycle } from './runner-lifecycle';

/** Kafka's `security.protocol` names. */
export const kafkaSecurityProtocols = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type KafkaSecurityProtocol = (typeof kafkaSecurityProtocols)[number];

/** The SASL mechanisms kafkajs implements that take a username and a password. */
export const kafkaSaslMechanisms = ['scram-sha-256', 'scram-sha-512', 'plain'] as const;
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];

export interface KafkaSaslCredentials {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

export interface KafkaTlsSettings {
  /** PEM CA certificates to trust instead of Node's default roots. */
  ca?: string[];
  /** PEM client certificate and key (mutual TLS); both or neither. */
  cert?: string;
  key?: string;
  /** Passphrase of an encrypted client key. */
  passphrase?: string;
  /** false accepts any server certificate: for debugging only. */
  rejectUnauthorized: boolean;
  /** Where the PEM material came from, for the start-up summary (never the contents). */
  sources?: { caFile?: string; certFile?: string; keyFile?: string };
}

/**
 * How a client talks to the brokers. PLAINTEXT (the default) needs nothing else; SSL needs
 * `tls`; SASL_PLAINTEXT needs `sasl`; SASL_SSL needs both.
 */
export interface KafkaSecurity {
  protocol: KafkaSecurityProtocol;
  sasl?: KafkaSaslCredentials;
  tls?: KafkaTlsSettings;
}

export const plaintextKafka: KafkaSecurity = Object.freeze({ protocol: 'PLAINTEXT' });

/** Everything of kafkajs's config except `ssl`/`sasl`, which come from `security`. */
export interface KafkaClientOptions extends Omit<KafkaConfig, 'ssl' | 'sasl'> {
  security?: KafkaSecurity;
}

const usesTls = (p: KafkaSecurityProtocol): boolean => p === 'SSL' || p === 'SASL_SSL';
const usesSasl = (p: KafkaSecurityProtocol): boolean => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

function invalid(message: string): NonRetriableError {
  return new NonRetriableError('FANOUT_KAFKA_SECURITY_INVALID', message);
}

/**
 * Refuses a security setting that would connect differently from what it says: SASL
 * credentials on a protocol without SASL, a missing username, half a client key pair.
 */
export function assertKafkaSecurity(security: KafkaSecurity): void {
  const { protocol, sasl, tls } = security;
  if (!kafkaSecurityProtocols.includes(protocol))
    throw invalid(`unknown Kafka security protocol "${String(protocol)}"`);
  if (usesSasl(protocol)) {
    if (!sasl) throw invalid(`${protocol} needs SASL credentials (mechanism, username, password)`);
    if (!kafkaSaslMechanisms.includes(sasl.mechanism))
      throw invalid(`unknown SASL mechanism "${String(sasl.mechanism)}"`);
    if (!sasl.username) throw invalid(`${protocol} needs a SASL username`);
    if (!sasl.password) throw invalid(`${protocol} needs a SASL password`);
  } else if (sasl) {
    throw invalid(`SASL credentials were given but the protocol ${protocol} does not use SASL`);
  }
  if (!usesTls(protocol) && tls)
    throw invalid(`TLS settings were given but the protocol ${protocol} does not use TLS`);
  if (tls && Boolean(tls.cert) !== Boolean(tls.key))
    throw invalid('a TLS client certificate needs its key, and a key its certificate');
}

/** The `ssl` and `sasl` options of kafkajs for a security setting (undefined: not used). */
export function kafkaSecurityOptions(security: KafkaSecurity = plaintextKafka): {
  ssl?: ConnectionOptions | boolean;
  sasl?: SASLOptions;
} {
  assertKafkaSecurity(security);
  const out: { ssl?: ConnectionOptions; sasl?: SASLOptions } = {};
  if (usesTls(security.protocol)) {
    const tls = security.tls ?? { rejectUnauthorized: true };
    const ssl: ConnectionOptions = { rejectUnauthorized: tls.rejectUnauthorized };
    if (tls.ca && tls.ca.length > 0) ssl.ca = [...tls.ca];
    if (tls.cert) ssl.cert = tls.cert;
    if (tls.key) ssl.key = tls.key;
    if (tls.passphrase) ssl.passphrase = tls.passphrase;
    out.ssl = ssl;
  }
  if (usesSasl(security.protocol) && security.sasl) {
    const { mechanism, username, password } = security.sasl;
    // A fresh object: kafkajs gets exactly these three fields.
    out.sasl = { mechanism, username, password } as SASLOptions;
  }
  return out;
}

/** kafkajs's config for these options: the options as given, plus `ssl`/`sasl` from `security`. */
export function kafkaClientConfig(options: KafkaClientOptions): KafkaConfig {
  const { security, ...rest } = options;
  return { ...rest, ...kafkaSecurityOptions(security) };
}

/**
 * The one way Fanout builds a kafkajs client: services, the CLI and the local platform's
 * health checks all pass their security setting here, so TLS and SASL work everywhere alike.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  // Every consumer of this process: stopped while joining, rejoining after a crash (see there).
  patchRunnerLifecycle();
  // …and none of its connections wakes every millisecond while idle (see there).
  patchRequestQueueIdleLoop();
  return new Kafka(kafkaClientConfig(options));
}

/** A loggable summary of a security setting: what is used and from where, never a secret. */
export function describeKafkaSecurity(security: KafkaSecurity = plaintextKafka): {
  protocol: KafkaSecurityProtocol;
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: '[redacted]' };
  tls?: {
    ca: string;
    clientCertificate: string;
    rejectUnauthorized: boolean;
  };
} {
  const summary: ReturnType<typeof describeKafkaSecurity> = { protocol: security.protocol };
  if (security.sasl)
    summary.sasl = {
      mechanism: security.sasl.mechanism,
      username: security.sasl.username,
      password: '[redacted]',
    };
  if (security.tls)
    summary.tls = {
      ca:
        security.tls.sources?.caFile ??
        (security.tls.ca?.length ? `${security.tls.ca.length} PEM` : 'system roots'),
      clientCertificate: security.tls.cert ? (security.tls.sources?.certFile ?? 'PEM') : 'none',
      rejectUnauthorized: security.tls.rejectUnauthorized,
    };
  return summary;
}

/**
 * Marks a security setting so that logging it (JSON, pino, `util.inspect`) shows the redacted
 * summary instead of the password and key: a config object can be logged whole at start.
 * The marker is non-enumerable, so spreading or reading the fields is unchanged.
 */
export function redactedKafkaSecurity(security: KafkaSecurity): KafkaSecurity {
  const summary = () => describeKafkaSecurity(security);
  const parts: Array<[object | undefined, () => unknown]> = [
    [security, summary],
    [security.sasl, () => summary().sasl],
    [security.tls, () => summary().tls],
  ];
  for (const [target, show] of parts) {
    if (!target) continue;
    Object.defineProperty(target, 'toJSON', { value: show, enumerable: false });
    Object.defineProperty(target, inspect.custom, { value: show, enumerable: false });
  }
  return security;
}
