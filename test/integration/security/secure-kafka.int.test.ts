import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createThrowawayCa,
  platformStatus,
  serviceCatalog,
  startPlatform,
  stopPlatform,
} from '@fanout/local-platform';
import type { RunningPlatform } from '@fanout/local-platform';
import { createKafkaClient } from '@fanout/messaging';
import type { KafkaSecurity } from '@fanout/messaging';

/**
 * `up --secure`: its own stack (profile `secure`, ports +6000, one broker with a SASL_SSL
 * listener only, its registry and Jaeger), never the shared platform. Proves that a client
 * without the right credentials and CA is refused, and that the services, started by the stack
 * as `npm start` starts them, work through SASL/SCRAM over TLS.
 */
const stack = { profile: 'secure', portOffset: 6_000, brokers: 1 };
const SERVICES = ['sandbox-apis', 'user-service', 'email-consumer'];
const API_KEY = 'local-dev-key';

const platformLog: string[] = [];
let platform: RunningPlatform;
let security: KafkaSecurity;
let brokers: string[];
const scratch = mkdtempSync(join(tmpdir(), 'secure-kafka-'));

beforeAll(async () => {
  platform = await startPlatform({
    ...stack,
    secure: true,
    services: SERVICES,
    log: (line) => void platformLog.push(line),
    timeouts: { serviceMs: 180_000 },
  });
  if (!platform.security) throw new Error(`no security in the result:\n${platformLog.join('\n')}`);
  security = platform.security.kafka;
  brokers = platform.endpoints.kafkaBrokers;
}, 300_000);

afterAll(async () => {
  await stopPlatform({ ...stack, log: () => undefined });
  rmSync(scratch, { recursive: true, force: true });
}, 120_000);

/** A client that gives up at once: a refusal must show as an error within seconds. */
function client(security?: KafkaSecurity) {
  return createKafkaClient({
    clientId: 'secure-kafka-test',
    brokers,
    security,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    authenticationTimeout: 5_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
}

/** Lists the topics; resolves with the list or with the error that stopped it. */
async function listTopics(security?: KafkaSecurity): Promise<string[] | Error> {
  const admin = client(security).admin();
  try {
    await admin.connect();
    return await admin.listTopics();
  } catch (error) {
    return error as Error;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function produce(security?: KafkaSecurity): Promise<'sent' | Error> {
  const producer = client(security).producer();
  try {
    await producer.connect();
    await producer.send({ topic: 'fanout.user.events', messages: [{ value: 'intruder' }] });
    return 'sent';
  } catch (error) {
    return error as Error;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

describe('Kafka in secure mode (npm run stack -- up --secure)', () => {
  it('the stack’s own credentials and CA get in, and status reports the stack as secure', async () => {
    const topics = await listTopics(security);
    expect(topics).toBeInstanceOf(Array);
    expect(topics).toContain('fanout.user.events');
    const status = await platformStatus(stack);
    expect(status.security).toMatchObject({
      protocol: 'SASL_SSL',
      mechanism: 'SCRAM-SHA-512',
      username: 'fanout',
    });
    expect(JSON.stringify(status)).not.toContain(security.sasl!.password);
    // client.env holds what a service needs, the password only by file.
    const env = readFileSync(platform.security!.envFile, 'utf8');
    expect(env).toContain('KAFKA_SECURITY_PROTOCOL=SASL_SSL');
    expect(env).toContain(
      `KAFKA_SASL_PASSWORD_FILE=${platform.security!.env.KAFKA_SASL_PASSWORD_FILE}`,
    );
    expect(env).not.toContain(security.sasl!.password);
  });

  it('a client without credentials (PLAINTEXT) can neither list topics nor produce', async () => {
    const listed = await listTopics();
    expect(listed).toBeInstanceOf(Error);
    expect((listed as Error).message).toMatch(/Closed connection|Connection error|ECONNRESET/);
    expect(await produce()).toBeInstanceOf(Error);
    // Right credentials, but without TLS: the listener speaks only SASL over TLS.
    const noTls: KafkaSecurity = { protocol: 'SASL_PLAINTEXT', sasl: security.sasl };
    expect(await listTopics(noTls)).toBeInstanceOf(Error);
  });

  it('SASL with a wrong password is refused with an authentication error', async () => {
    const wrong: KafkaSecurity = {
      ...security,
      sasl: { ...security.sasl!, password: 'not-the-password' },
    };
    const listed = await listTopics(wrong);
    expect(listed).toBeInstanceOf(Error);
    expect((listed as Error).name).toBe('KafkaJSSASLAuthenticationError');
    expect((listed as Error).message).toMatch(/SCRAM.*invalid credentials/i);
    const sent = await produce(wrong);
    expect(sent).toBeInstanceOf(Error);
    expect((sent as Error).name).toBe('KafkaJSSASLAuthenticationError');
    // An unknown user is refused the same way.
    const stranger = await listTopics({
      ...security,
      sasl: { ...security.sasl!, username: 'mallory' },
    });
    expect((stranger as Error).name).toBe('KafkaJSSASLAuthenticationError');
  });

  it('TLS trusting another CA (or only the system roots) is refused before any credential is sent', async () => {
    const other = await createThrowawayCa(join(scratch, 'other-ca'), 'Untrusted test CA');
    const untrusted: KafkaSecurity = {
      ...security,
      tls: { ca: [readFileSync(other.caFile, 'utf8')], rejectUnauthorized: true },
    };
    const listed = await listTopics(untrusted);
    expect(listed).toBeInstanceOf(Error);
    expect((listed as Error).message).toMatch(/self[- ]signed certificate|unable to verify/i);
    const systemRoots = await listTopics({ ...security, tls: { rejectUnauthorized: true } });
    expect((systemRoots as Error).message).toMatch(/self[- ]signed certificate|unable to verify/i);
  });

  it('the services work through SASL_SSL: POST /users reaches the email sandbox', async () => {
    const port = (name: string) =>
      serviceCatalog.find((s) => s.name === name)!.port + stack.portOffset;
    const created = await fetch(`http://127.0.0.1:${port('user-service')}/users`, {
      method: 'POST',
      headers: {
        'x-api-key': API_KEY,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify({
        email: `ada-${randomUUID()}@example.com`,
        name: 'Ada Lovelace',
        marketingConsent: true,
        locale: 'en-GB',
      }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(created.status).toBe(201);
    const { id: userId } = (await created.json()) as { id: string };

    // The relay publishes over SASL_SSL, email-consumer consumes over SASL_SSL and calls the API.
    const subject = encodeURIComponent(`welcome:${userId}`);
    const url = `http://127.0.0.1:${port('sandbox-apis')}/_admin/effects?api=email&subject=${subject}`;
    let effects = 0;
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < 120 && Date.now() < deadline && effects === 0; i++) {
      const report = (await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).json()) as {
        totals: { effects: number };
      };
      effects = report.totals.effects;
      if (effects === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(effects, `the welcome email of user ${userId}`).toBe(1);

    // Each service logged its Kafka security at start, redacted (the summary says [redacted], the
    // logger's own redaction may say [REDACTED]); no log holds the password.
    for (const name of ['user-service', 'email-consumer']) {
      const log = readFileSync(join(platform.topology.logDir, `${name}.log`), 'utf8');
      expect(log, `${name}.log`).toMatch(/"protocol":"SASL_SSL".*"password":"\[redacted\]"/i);
      expect(log, `${name}.log`).not.toContain(security.sasl!.password);
    }
  });
});
