import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import type { IHeaders } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RegistryCodec,
  createTopicsReliably,
  frame,
  newMetadata,
  parseAvroSchema,
} from '@fanout/contracts';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';
import { freePort } from '../domain/support/service-process';

// No secret and no personal data in logs, spans or dead-letter headers. The real processes
// (user-service, order-service, email-consumer, crm-consumer, sandbox-apis) run at LOG_LEVEL=trace,
// tracing every request to the platform's Jaeger. The test sends distinctive personal data and
// uses distinctive keys, provokes the errors that tempt a leak (a 403 whose body echoes the key,
// a permanent 4xx that dead-letters, a poison record, a rejected domain key, a refused body),
// then searches every log line, every span of every trace those processes exported, and every
// header of every retry and dead-letter record for each of those strings.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const endpoints = platformEndpoints();
const runId = randomBytes(4).toString('hex');
const workDir = mkdtempSync(join(tmpdir(), 'no-secrets-'));
const kafka = new Kafka({
  clientId: 'no-secrets-test',
  brokers: endpoints.kafkaBrokers,
  logLevel: logLevel.NOTHING,
});

/** Digits that occur nowhere by chance: 12 random digits, the first not 0. */
const digits = `${randomInt(1, 10)}${String(randomInt(0, 1e11)).padStart(11, '0')}`;
const secrets = {
  domainApiKey: `dk-live-${runId}-Vq93mXb7`,
  presentedWrongDomainKey: `dk-live-${runId}-Vq93mXb8`,
  emailApiKeyPresented: `sk-email-wrong-${runId}-Jt5Rw`,
  emailApiKeyAccepted: `sk-email-right-${runId}-Lp2Ns`,
  crmApiKey: `sk-crm-${runId}-Hd8Kc`,
};
const personal = {
  adaEmail: `ada.zq${runId}@pii-example.org`,
  // .invalid (RFC 6761): the user-service takes it, the CRM refuses it (a permanent 400).
  bobEmail: `bob.zq${runId}@pii-example.invalid`,
  poisonEmail: `poison.zq${runId}@pii-example.org`,
  refusedEmail: `carol.zq${runId}@pii-example.org`,
  adaName: `Ada Quuxington${runId}`,
  bobName: `Bob Quuxington${runId}`,
  poisonName: `Poison Quuxington${runId}`,
  phone: `+49 ${digits}`,
  recipientName: `Dora Quuxington${runId}`,
  addressLine: `${digits.slice(0, 4)} Zqvbr${runId} Street`,
  postalCode: `ZQ${runId.slice(0, 6)}`,
};
/**
 * What must never appear, with fragments that survive partial redaction or encoding: the email
 * local part (in case only the domain is masked, or `@` is URL-encoded), the surname, the digits.
 */
const needles: Record<string, string> = {
  ...secrets,
  ...personal,
  emailLocalPart: `zq${runId}`,
  surname: `Quuxington${runId}`,
  phoneDigits: digits,
  street: `Zqvbr${runId}`,
};

const topics = {
  users: uniqueName('nosecret-users'),
  contacts: uniqueName('nosecret-contacts'),
  orders: uniqueName('nosecret-orders'),
  ledger: uniqueName('nosecret-ledger'),
};
const groups = {
  email: uniqueName('nosecret-email'),
  crm: uniqueName('nosecret-crm'),
  orders: uniqueName('nosecret-order-service'),
};
const RETRY_TIERS = 2;

/** A service's main.ts as a child process, every output line kept. */
class LoggedProcess {
  readonly lines: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private partial = '';

  constructor(
    readonly service: string,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 180_000): Promise<void> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', `services/${this.service}/src/main.ts`],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/tmp',
          PORT: String(this.port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'trace',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoints.otlpHttpUrl,
          OTEL_SERVICE_NAME: `${this.service}-${runId}`,
          OTEL_BSP_SCHEDULE_DELAY: '500',
          ...this.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    const collect = (chunk: Buffer) => {
      const text = this.partial + chunk.toString('utf8');
      const parts = text.split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (this.partial) this.lines.push(this.partial);
        this.partial = '';
        resolve();
      }),
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `${this.service} exited during start:\n${this.lines.slice(-40).join('\n')}`,
        );
      try {
        if ((await fetch(`${this.baseUrl}/readyz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.service} not ready in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  /** SIGTERM (flushes spans and logs), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(killed);
  }
}

/** Every record of `topic` from the beginning, raw (poison records do not decode). */
async function readRaw(
  topic: string,
  expected: number,
  timeoutMs = 120_000,
): Promise<{ key: string | null; value: string; headers: Record<string, string> }[]> {
  const records: { key: string | null; value: string; headers: Record<string, string> }[] = [];
  const consumer = kafka.consumer({
    groupId: uniqueName('nosecret-reader'),
    sessionTimeout: 10_000,
  });
  const headersOf = (headers: IHeaders | undefined) => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers ?? {})) {
      const values = Array.isArray(value) ? value : [value];
      out[name] = values
        .filter((v) => v !== undefined)
        .map(String)
        .join(' | ');
    }
    return out;
  };
  let last = Date.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        records.push({
          key: message.key?.toString() ?? null,
          value: message.value?.toString('latin1') ?? '',
          headers: headersOf(message.headers),
        });
        last = Date.now();
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !(records.length >= expected && Date.now() - last > 3_000))
      await new Promise((r) => setTimeout(r, 200));
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Polls until `probe` returns a value (bounded). */
async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Which needles occur in `text`, in any letter case, plain or URL-encoded. */
function leaksIn(text: string): string[] {
  const haystack = text.toLowerCase();
  return Object.entries(needles)
    .filter(([, needle]) =>
      [needle, encodeURIComponent(needle)].some((form) => haystack.includes(form.toLowerCase())),
    )
    .map(([name]) => name);
}

interface JaegerTrace {
  traceID: string;
  spans: {
    spanID: string;
    operationName: string;
    processID: string;
    tags: { key: string; value: unknown }[];
  }[];
  processes: Record<string, { serviceName: string }>;
}

async function jaeger<T>(path: string): Promise<T> {
  const response = await fetch(`${endpoints.jaegerQueryUrl}${path}`, {
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`Jaeger answered ${response.status} for ${path}`);
  return (await response.json()) as T;
}

function traceparent(): { traceId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, header: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

let sandbox: LoggedProcess;
let userService: LoggedProcess;
let orderService: LoggedProcess;
let emailConsumer: LoggedProcess;
let crmConsumer: LoggedProcess;
let processes: LoggedProcess[] = [];
const startedAtUs = Date.now() * 1000;

const consumerEnv = (api: 'email' | 'crm', group: string, key: string): Record<string, string> => ({
  KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
  SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
  DATA_DIR: mkdtempSync(join(workDir, `${api}-`)),
  CONSUMER_GROUP_ID: group,
  USER_EVENTS_TOPIC: topics.users,
  USER_CONTACTS_TOPIC: topics.contacts,
  ORDER_EVENTS_TOPIC: topics.orders,
  CALL_LEDGER_TOPIC: topics.ledger,
  [`${api.toUpperCase()}_API_URL`]: `${sandbox.baseUrl}/${api}`,
  [`${api.toUpperCase()}_API_KEY`]: key,
  RETRY_IMMEDIATE_ATTEMPTS: '2',
  RETRY_TIERS_MS: '500,1000',
  API_RETRY_MAX_ELAPSED_MS: '3000',
  CIRCUIT_OPEN_MS: '1000',
  SHUTDOWN_DEADLINE_MS: '5000',
});

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsReliably(
      admin,
      Object.values(topics).map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })),
    );
  } finally {
    await admin.disconnect();
  }
  sandbox = new LoggedProcess('sandbox-apis', await freePort(), {
    SANDBOX_API_KEYS: `email=${secrets.emailApiKeyAccepted},crm=${secrets.crmApiKey}`,
  });
  await sandbox.start();
  const dataDir = mkdtempSync(join(workDir, 'domain-'));
  const domainEnv = {
    KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    API_KEYS: secrets.domainApiKey,
    OUTBOX_POLL_INTERVAL_MS: '200',
  };
  mkdirSync(join(dataDir, 'users'));
  mkdirSync(join(dataDir, 'orders'));
  userService = new LoggedProcess('user-service', await freePort(), {
    ...domainEnv,
    DATA_DIR: join(dataDir, 'users'),
    USER_EVENTS_TOPIC: topics.users,
    USER_CONTACTS_TOPIC: topics.contacts,
  });
  orderService = new LoggedProcess('order-service', await freePort(), {
    ...domainEnv,
    DATA_DIR: join(dataDir, 'orders'),
    ORDER_EVENTS_TOPIC: topics.orders,
    ORDER_CONSUMER_GROUP: groups.orders,
    USER_CONTACTS_TOPIC: topics.contacts,
  });
  emailConsumer = new LoggedProcess(
    'email-consumer',
    await freePort(),
    consumerEnv('email', groups.email, secrets.emailApiKeyPresented),
  );
  crmConsumer = new LoggedProcess(
    'crm-consumer',
    await freePort(),
    consumerEnv('crm', groups.crm, secrets.crmApiKey),
  );
  processes = [sandbox, userService, orderService, emailConsumer, crmConsumer];
  await Promise.all(processes.slice(1).map((p) => p.start()));
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  // The evidence, for reading after a failure.
  for (const p of processes) writeFileSync(join(workDir, `${p.service}.log`), p.lines.join('\n'));
});

describe('no secret or personal data leaves in logs, spans or dead-letter headers', () => {
  const traces: { name: string; traceId: string }[] = [];
  const userIds: Record<string, string> = {};

  async function post(
    service: LoggedProcess,
    path: string,
    body: unknown,
    apiKey: string | null,
    name: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
    const { traceId, header } = traceparent();
    traces.push({ name, traceId });
    const response = await fetch(`${service.baseUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: header,
        ...(apiKey === null ? {} : { 'x-api-key': apiKey }),
        ...headers,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
  }

  it('provokes every tempting failure: refused keys and bodies, an echoed downstream key, a permanent 4xx, a poison record', async () => {
    // The downstream API echoes a refused key in its 403 body: the temptation is real.
    const echoed = await fetch(`${sandbox.baseUrl}/email/v1/messages`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secrets.emailApiKeyPresented}`,
        'content-type': 'application/json',
        'idempotency-key': `probe-${runId}`,
      },
      body: JSON.stringify({ to: 'probe@example.com', template: 'welcome' }),
    });
    expect(echoed.status).toBe(403);
    expect(await echoed.text()).toContain(secrets.emailApiKeyPresented);

    // Ada: stored and published; CRM takes her, the email API refuses our key (403) until she is
    // dead-lettered after the retry tiers.
    const ada = await post(
      userService,
      '/users',
      { email: personal.adaEmail, name: personal.adaName, marketingConsent: true, locale: 'en-GB' },
      secrets.domainApiKey,
      'ada',
    );
    expect(ada.status).toBe(201);
    userIds.ada = ada.body.id as string;
    // Bob: an address the user-service accepts and the CRM refuses (400: a .invalid domain never
    // receives mail): a permanent 4xx, dead-lettered at once.
    const bob = await post(
      userService,
      '/users',
      {
        email: personal.bobEmail,
        name: personal.bobName,
        marketingConsent: false,
        locale: 'de-CH',
      },
      secrets.domainApiKey,
      'bob',
      // Clients build idempotency keys from what they have; the header is traced on purpose.
      { 'idempotency-key': `signup:${personal.bobEmail}` },
    );
    expect(bob.status).toBe(201);
    userIds.bob = bob.body.id as string;
    // Bob again, his email in other letter case: 409, and the answer does not quote it.
    const duplicate = await post(
      userService,
      '/users',
      { email: personal.bobEmail.toUpperCase(), name: personal.bobName },
      secrets.domainApiKey,
      'duplicate',
    );
    expect(duplicate.status).toBe(409);
    expect(leaksIn(duplicate.text)).toEqual([]);

    // A near-miss domain key (403), no key (401), a body with an unknown personal field (400).
    const wrongKey = await post(
      userService,
      '/users',
      { email: personal.refusedEmail, name: personal.adaName },
      secrets.presentedWrongDomainKey,
      'wrong domain key',
    );
    expect(wrongKey.status).toBe(403);
    const noKey = await post(
      userService,
      '/users',
      { email: personal.refusedEmail, name: personal.adaName },
      null,
      'no key',
    );
    expect(noKey.status).toBe(401);
    const refused = await post(
      userService,
      '/users',
      { email: personal.refusedEmail, name: personal.adaName, phone: personal.phone },
      secrets.domainApiKey,
      'refused body',
    );
    expect(refused.status).toBe(400);
    for (const r of [wrongKey, noKey, refused]) expect(leaksIn(r.text)).toEqual([]);

    // Secrets and personal data in the URL, where clients put them by mistake: the path and
    // query are logged and traced (url.full, url.query, http.target).
    const query = new URLSearchParams({
      'x-api-key': secrets.domainApiKey,
      client_secret: secrets.crmApiKey,
      phone: personal.phone,
      contact_email: personal.refusedEmail,
      full_name: personal.adaName,
    });
    const inUrl = await post(
      userService,
      `/users?${query}`,
      { email: personal.refusedEmail, name: personal.adaName },
      null,
      'secrets in the URL',
    );
    expect(inUrl.status).toBe(401);
    const inPath = await fetch(
      `${userService.baseUrl}/users/${encodeURIComponent(personal.refusedEmail)}?${query}`,
      { headers: { 'x-api-key': secrets.domainApiKey, traceparent: traceparent().header } },
    );
    expect(inPath.status).toBe(400);

    // An order with a personal shipping address (the order-service publishes it; no saga runs).
    const order = await post(
      orderService,
      '/orders',
      {
        customerId: userIds.ada,
        currency: 'EUR',
        items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 12.5 }],
        shippingAddress: {
          recipientName: personal.recipientName,
          line1: personal.addressLine,
          city: 'Dublin',
          postalCode: personal.postalCode,
          country: 'IE',
        },
      },
      secrets.domainApiKey,
      'order',
    );
    expect(order.status).toBe(202);

    // Poison records full of personal data: one JSON, not the Avro wire format; one in the wire
    // format under UserRegistered's registered schema id, but with the email where the eventId
    // (a uuid) belongs, written by a producer that did not check it.
    const codec = new RegistryCodec({ registry: { url: endpoints.schemaRegistryUrl } });
    const schemaId = await codec.schemaIdFor('fanout.user.UserRegistered', topics.users);
    await codec.close();
    const sloppyWriter = parseAvroSchema(
      JSON.parse(
        readFileSync(join(root, 'schemas/user/UserRegistered.avsc'), 'utf8').replace(
          /"logicalType":\s*"uuid"/g,
          '"logicalType": "none"',
        ),
      ),
      'a producer that does not check uuids',
    );
    const sloppy = frame(
      schemaId,
      sloppyWriter.toBuffer({
        metadata: {
          ...newMetadata({ producer: 'sloppy-producer' }),
          eventId: personal.poisonEmail,
        },
        userId: `poison-avro-${runId}`,
        email: personal.poisonEmail,
        name: personal.poisonName,
        marketingConsent: true,
        locale: 'en-GB',
      }),
    );
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: topics.users,
        acks: -1,
        messages: [
          {
            key: `poison-${runId}`,
            value: JSON.stringify({ email: personal.poisonEmail, name: personal.poisonName }),
          },
          { key: `poison-avro-${runId}`, value: sloppy },
        ],
      });
    } finally {
      await producer.disconnect();
    }
  });

  it('dead-letters what it must and carries no secret or personal data in any retry or dead-letter header', async () => {
    // email: Ada and Bob after both retry tiers (403), the two poison records at once.
    // crm: Bob at once (400), the two poison records at once; Ada succeeded.
    const emailDlq = await readRaw(`${groups.email}.dlq`, 4);
    const crmDlq = await readRaw(`${groups.crm}.dlq`, 3);
    const reasonOf = (records: typeof emailDlq) =>
      Object.fromEntries(
        records.map((r) => [
          r.key === userIds.ada ? 'ada' : r.key === userIds.bob ? 'bob' : r.key,
          `${r.headers['fanout.dead_letter.reason']} ${r.headers['fanout.error.code']}`,
        ]),
      );
    expect(reasonOf(emailDlq)).toEqual({
      ada: 'retries-exhausted FANOUT_API_UNAUTHORIZED',
      bob: 'retries-exhausted FANOUT_API_UNAUTHORIZED',
      [`poison-${runId}`]: 'poison FANOUT_DECODE_FAILED',
      [`poison-avro-${runId}`]: 'poison FANOUT_DECODE_FAILED',
    });
    expect(reasonOf(crmDlq)).toEqual({
      bob: 'non-retriable FANOUT_API_CLIENT_ERROR',
      [`poison-${runId}`]: 'poison FANOUT_DECODE_FAILED',
      [`poison-avro-${runId}`]: 'poison FANOUT_DECODE_FAILED',
    });
    expect(emailDlq).toHaveLength(4);
    expect(crmDlq).toHaveLength(3);

    const retries: { topic: string; records: typeof emailDlq }[] = [];
    for (let tier = 1; tier <= RETRY_TIERS; tier += 1) {
      retries.push({
        topic: `${groups.email}.retry.${tier}`,
        records: await readRaw(`${groups.email}.retry.${tier}`, 2, 60_000),
      });
      retries.push({
        topic: `${groups.crm}.retry.${tier}`,
        records: await readRaw(`${groups.crm}.retry.${tier}`, 0, 10_000),
      });
    }
    expect(retries.map((r) => `${r.topic}: ${r.records.length}`)).toEqual([
      `${groups.email}.retry.1: 2`,
      `${groups.crm}.retry.1: 0`,
      `${groups.email}.retry.2: 2`,
      `${groups.crm}.retry.2: 0`,
    ]);

    // The records themselves are the events, personal data included (that is what replay needs);
    // their headers must hold none, nor any key.
    const poison = emailDlq.find((r) => r.key === `poison-${runId}`);
    expect(poison?.value).toContain(personal.poisonEmail);
    const leaks: string[] = [];
    for (const { topic, records } of [
      { topic: `${groups.email}.dlq`, records: emailDlq },
      { topic: `${groups.crm}.dlq`, records: crmDlq },
      ...retries,
    ]) {
      for (const record of records) {
        for (const [name, value] of Object.entries(record.headers)) {
          for (const leak of leaksIn(`${name}: ${value}`))
            leaks.push(`${topic} ${record.key} header ${name} holds ${leak}`);
        }
      }
    }
    expect(leaks).toEqual([]);
  });

  it('logs none of it, in any line of any process, even at trace level', async () => {
    // Stopping flushes every buffered line and span.
    await Promise.all(processes.map((p) => p.stop()));
    const leaks: string[] = [];
    for (const p of processes) {
      expect(p.lines.length, `${p.service} wrote no log lines`).toBeGreaterThan(3);
      for (const line of p.lines) {
        const found = leaksIn(line);
        if (found.length > 0)
          leaks.push(`${p.service}: ${found.join(', ')} in ${line.slice(0, 600)}`);
      }
    }
    // Lines that prove the failures happened and were logged (so the search above saw them).
    const all = (p: LoggedProcess) => p.lines.join('\n');
    expect(all(emailConsumer)).toContain('refuses our credential');
    expect(all(emailConsumer)).toContain('event dead-lettered');
    expect(all(crmConsumer)).toContain('event dead-lettered');
    expect(all(userService)).toMatch(/"statusCode":403/);
    // trace level is on (few lines are below info; kafkajs's are).
    expect(processes.map(all).join('\n')).toMatch(/"level":"(debug|trace)"/);
    expect(leaks).toEqual([]);
  });

  it('exports none of it in any span: names, attributes, events, links or status of every trace', async () => {
    const services = processes.map((p) => `${p.service}-${runId}`);
    // The registration of Ada: one trace from the HTTP request through both consumers to the APIs.
    const ada = traces.find((t) => t.name === 'ada')!;
    const adaTrace = await eventually(
      'the trace of the registration with spans of four services',
      async () => {
        const body = await jaeger<{ data: JaegerTrace[] }>(`/api/traces/${ada.traceId}`);
        const trace = body.data?.[0];
        if (!trace) return undefined;
        const seen = new Set(trace.spans.map((s) => trace.processes[s.processID]?.serviceName));
        const wanted = [userService, emailConsumer, crmConsumer, sandbox].map(
          (p) => `${p.service}-${runId}`,
        );
        return wanted.every((s) => seen.has(s)) ? trace : undefined;
      },
    );
    expect(JSON.stringify(adaTrace)).toContain(userIds.ada);

    // Every trace any of the five processes exported during the run.
    const all = new Map<string, JaegerTrace>();
    const endUs = Date.now() * 1000 + 60_000_000;
    for (const service of services) {
      const query = new URLSearchParams({
        service,
        start: String(startedAtUs),
        end: String(endUs),
        limit: '2000',
      });
      const body = await jaeger<{ data: JaegerTrace[] | null }>(`/api/traces?${query}`);
      for (const trace of body.data ?? []) all.set(trace.traceID, trace);
    }
    for (const { name, traceId } of traces) {
      // Requests refused before any handler still have their server span.
      expect(all.has(traceId), `trace of ${name}`).toBe(true);
    }
    const spanCount = [...all.values()].reduce((n, t) => n + t.spans.length, 0);
    expect(spanCount).toBeGreaterThan(50);
    const leaks: string[] = [];
    for (const trace of all.values()) {
      for (const span of trace.spans) {
        const found = leaksIn(JSON.stringify(span));
        if (found.length > 0)
          leaks.push(
            `${trace.processes[span.processID]?.serviceName} span "${span.operationName}": ${found.join(', ')} in ${JSON.stringify(span).slice(0, 800)}`,
          );
      }
    }
    expect(leaks).toEqual([]);
  });
});
