import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  kafkaSaslMechanisms,
  kafkaSecurityProtocols,
  redactedKafkaSecurity,
} from '@fanout/messaging';
import type { KafkaSecurity, KafkaTlsSettings } from '@fanout/messaging';
import { loadConfig } from './config';

/**
 * The variables that say how a service talks to Kafka securely. Each is checked on its own
 * here; how they combine (and the files they name) is checked by `withKafkaSecurity`.
 */
export function kafkaSecurityEnv() {
  return {
    /** PLAINTEXT (default), SSL, SASL_PLAINTEXT or SASL_SSL, as Kafka's security.protocol. */
    KAFKA_SECURITY_PROTOCOL: z.enum(kafkaSecurityProtocols).default('PLAINTEXT'),
    /** scram-sha-256, scram-sha-512 (default with SASL) or plain; Kafka's upper-case names work. */
    KAFKA_SASL_MECHANISM: z
      .string()
      .transform((value) => value.toLowerCase())
      .pipe(z.enum(kafkaSaslMechanisms))
      .optional(),
    KAFKA_SASL_USERNAME: z.string().optional(),
    /** The password itself, or (preferred: not in the process environment) a file holding it. */
    KAFKA_SASL_PASSWORD: z.string().optional(),
    KAFKA_SASL_PASSWORD_FILE: z.string().optional(),
    /** PEM file of the CA(s) that signed the brokers' certificates; default Node's roots. */
    KAFKA_SSL_CA_FILE: z.string().optional(),
    /** Mutual TLS: the client's PEM certificate and key, both or neither. */
    KAFKA_SSL_CERT_FILE: z.string().optional(),
    KAFKA_SSL_KEY_FILE: z.string().optional(),
    KAFKA_SSL_KEY_PASSWORD: z.string().optional(),
    /** true (default) verifies the brokers' certificates and names; false is for debugging. */
    KAFKA_SSL_REJECT_UNAUTHORIZED: z
      .enum(['true', 'false', '1', '0'])
      .transform((value) => value === 'true' || value === '1')
      .optional(),
  };
}

type SecurityShape = ReturnType<typeof kafkaSecurityEnv>;
type SecurityKey = keyof SecurityShape;
type RawSecurity = z.output<z.ZodObject<SecurityShape>>;

const securityKeys = Object.keys(kafkaSecurityEnv()) as SecurityKey[];
const saslKeys: SecurityKey[] = [
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'KAFKA_SASL_PASSWORD_FILE',
];
const tlsKeys: SecurityKey[] = [
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SSL_CERT_FILE',
  'KAFKA_SSL_KEY_FILE',
  'KAFKA_SSL_KEY_PASSWORD',
  'KAFKA_SSL_REJECT_UNAUTHORIZED',
];

/** A service's compiled config: its own fields, plus `kafkaSecurity` instead of the raw variables. */
export type WithKafkaSecurity<T> = Omit<T, SecurityKey> & { kafkaSecurity: KafkaSecurity };

type Issue = { variable: SecurityKey; message: string };

/** Reads a file a variable names; the issue names the variable and the reason, never contents. */
function readNamedFile(
  raw: RawSecurity,
  key: SecurityKey,
  issues: Issue[],
  check?: (text: string) => string | undefined,
): string | undefined {
  const path = raw[key];
  if (typeof path !== 'string') return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    issues.push({ variable: key, message: `cannot read ${path} (${code})` });
    return undefined;
  }
  const problem = check?.(text);
  if (problem) {
    issues.push({ variable: key, message: `${path} ${problem}` });
    return undefined;
  }
  return text;
}

const pemCertificate = (text: string): string | undefined =>
  text.includes('-----BEGIN CERTIFICATE-----') ? undefined : 'holds no PEM certificate';
const pemKey = (text: string): string | undefined =>
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) ? undefined : 'holds no PEM private key';

/**
 * Turns the raw variables into a KafkaSecurity, or into one issue per inconsistent or unreadable
 * variable: SASL without credentials, SASL settings on a protocol without SASL, TLS settings on
 * a protocol without TLS, a CA file that cannot be read. Secrets are never put in a message.
 */
function compileKafkaSecurity(raw: RawSecurity): { security?: KafkaSecurity; issues: Issue[] } {
  const issues: Issue[] = [];
  const protocol = raw.KAFKA_SECURITY_PROTOCOL;
  const sasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const misplaced = (keys: SecurityKey[], needs: string) => {
    for (const key of keys)
      if (raw[key] !== undefined)
        issues.push({
          variable: key,
          message: `is set, but KAFKA_SECURITY_PROTOCOL=${protocol} does not use ${needs}`,
        });
  };
  if (!sasl) misplaced(saslKeys, 'SASL (use SASL_SSL or SASL_PLAINTEXT)');
  if (!tls) misplaced(tlsKeys, 'TLS (use SSL or SASL_SSL)');

  let credentials: KafkaSecurity['sasl'];
  if (sasl) {
    const username = raw.KAFKA_SASL_USERNAME;
    if (!username)
      issues.push({
        variable: 'KAFKA_SASL_USERNAME',
        message: `is required when KAFKA_SECURITY_PROTOCOL=${protocol}`,
      });
    let password = raw.KAFKA_SASL_PASSWORD;
    if (raw.KAFKA_SASL_PASSWORD !== undefined && raw.KAFKA_SASL_PASSWORD_FILE !== undefined) {
      issues.push({
        variable: 'KAFKA_SASL_PASSWORD_FILE',
        message: 'is set together with KAFKA_SASL_PASSWORD: set one of them',
      });
    } else if (raw.KAFKA_SASL_PASSWORD_FILE !== undefined) {
      password = readNamedFile(raw, 'KAFKA_SASL_PASSWORD_FILE', issues, (text) =>
        text.trim() === '' ? 'is empty' : undefined,
      )?.replace(/\r?\n$/, '');
    } else if (password === undefined) {
      issues.push({
        variable: 'KAFKA_SASL_PASSWORD',
        message: `is required when KAFKA_SECURITY_PROTOCOL=${protocol} (or set KAFKA_SASL_PASSWORD_FILE)`,
      });
    }
    if (username && password)
      credentials = {
        mechanism: raw.KAFKA_SASL_MECHANISM ?? 'scram-sha-512',
        username,
        password,
      };
  }

  let settings: KafkaTlsSettings | undefined;
  if (tls) {
    const ca = readNamedFile(raw, 'KAFKA_SSL_CA_FILE', issues, pemCertificate);
    const cert = readNamedFile(raw, 'KAFKA_SSL_CERT_FILE', issues, pemCertificate);
    const key = readNamedFile(raw, 'KAFKA_SSL_KEY_FILE', issues, pemKey);
    if ((raw.KAFKA_SSL_CERT_FILE === undefined) !== (raw.KAFKA_SSL_KEY_FILE === undefined))
      issues.push({
        variable:
          raw.KAFKA_SSL_CERT_FILE === undefined ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE',
        message: 'is required: a client certificate and its key go together',
      });
    if (raw.KAFKA_SSL_KEY_PASSWORD !== undefined && raw.KAFKA_SSL_KEY_FILE === undefined)
      issues.push({
        variable: 'KAFKA_SSL_KEY_PASSWORD',
        message: 'is set, but there is no KAFKA_SSL_KEY_FILE it would unlock',
      });
    settings = {
      rejectUnauthorized: raw.KAFKA_SSL_REJECT_UNAUTHORIZED ?? true,
      sources: {
        ...(raw.KAFKA_SSL_CA_FILE ? { caFile: raw.KAFKA_SSL_CA_FILE } : {}),
        ...(raw.KAFKA_SSL_CERT_FILE ? { certFile: raw.KAFKA_SSL_CERT_FILE } : {}),
        ...(raw.KAFKA_SSL_KEY_FILE ? { keyFile: raw.KAFKA_SSL_KEY_FILE } : {}),
      },
      ...(ca ? { ca: [ca] } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(raw.KAFKA_SSL_KEY_PASSWORD ? { passphrase: raw.KAFKA_SSL_KEY_PASSWORD } : {}),
    };
  }
  if (issues.length > 0) return { issues };
  return {
    issues,
    security: redactedKafkaSecurity({
      protocol,
      ...(credentials ? { sasl: credentials } : {}),
      ...(settings ? { tls: settings } : {}),
    }),
  };
}

/**
 * A service's schema with the Kafka security variables added and checked together. The
 * compiled config carries `kafkaSecurity` (logs as a redacted summary) instead of the raw
 * variables, so no password stays in the config object. Use it instead of `z.object(...)`:
 *
 *   const schema = withKafkaSecurity({ ...domainServiceEnv(3001), USER_EVENTS_TOPIC: ... });
 */
export function withKafkaSecurity<T extends z.ZodRawShape>(shape: T) {
  return z
    .object(shape)
    .extend(kafkaSecurityEnv())
    .transform((value, ctx) => {
      const { security: kafkaSecurity, issues } = compileKafkaSecurity(
        value as unknown as RawSecurity,
      );
      for (const issue of issues)
        ctx.addIssue({ code: 'custom', path: [issue.variable], message: issue.message });
      if (!kafkaSecurity) return z.NEVER;
      const rest: Record<string, unknown> = { ...value };
      for (const key of securityKeys) delete rest[key];
      return { ...rest, kafkaSecurity } as WithKafkaSecurity<z.output<z.ZodObject<T>>>;
    });
}

/**
 * The Kafka security settings alone, validated like a service's config (a ConfigError naming
 * each bad variable): for tools and kits that read the rest of their config elsewhere.
 */
export function loadKafkaSecurity(source: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  return loadConfig(withKafkaSecurity({}), source).kafkaSecurity;
}
