// Bench-only process for B1 (a) and (b): POST /users stores the user, then tells the four
// sandbox APIs inside the request, one after another (`--mode sequential`) or at once
// (`--mode parallel`, Promise.all), with the same client and requests as the consumers
// (@fanout/downstream's EmailApi, CrmApi, AnalyticsApi, SearchApi; one call each, no batching).
// Reads EMAIL_API_URL / EMAIL_API_KEY etc. like the consumers.
//
//   node --import tsx test/bench/report/inline-fanout-main.ts --port 0 --db /tmp/x.db --mode parallel
import { parseArgs } from 'node:util';
import {
  AnalyticsApi,
  CrmApi,
  DownstreamClient,
  EmailApi,
  SearchApi,
  Secret,
  idempotencyKey,
} from '@fanout/downstream';
import { startSyncBaseline } from '../domain/sync-baseline-server';
import type { BaselineApiCall } from '../domain/sync-baseline-server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    db: { type: 'string' },
    mode: { type: 'string', default: 'sequential' },
    'max-concurrent': { type: 'string', default: '1024' },
  },
});
const mode = values.mode === 'parallel' ? 'parallel' : 'sequential';
if (!values.db) {
  console.error('usage: inline-fanout-main.ts --db <file> [--port N] [--mode sequential|parallel]');
  process.exit(2);
}

function client(api: string): DownstreamClient {
  const prefix = api.toUpperCase();
  const baseUrl = process.env[`${prefix}_API_URL`];
  const key = process.env[`${prefix}_API_KEY`];
  if (!baseUrl || !key) {
    console.error(`${prefix}_API_URL and ${prefix}_API_KEY must be set`);
    process.exit(2);
  }
  return new DownstreamClient({
    api,
    baseUrl,
    credential: new Secret(key),
    bulkhead: { maxConcurrent: Number(values['max-concurrent']) },
  });
}

const email = new EmailApi(client('email'));
const crm = new CrmApi(client('crm'));
const analytics = new AnalyticsApi(client('analytics'));
const search = new SearchApi(client('search'));

// In the order of the issue: email, CRM, analytics, search.
const calls: BaselineApiCall[] = [
  async (user) => {
    await email.sendMessage(
      { to: user.email, template: 'welcome', reference: user.id, tags: ['welcome'] },
      idempotencyKey(user.id, 'email.welcome'),
    );
  },
  async (user) => {
    await crm.upsertContact(
      user.id,
      { email: user.email, name: user.name, properties: { source: 'inline-baseline' } },
      idempotencyKey(user.id, 'crm.upsertContact'),
    );
  },
  async (user) => {
    await analytics.track(
      { event: 'User Registered', user_id: user.id, timestamp: user.createdAt },
      idempotencyKey(user.id, 'analytics.userRegistered'),
    );
  },
  async (user) => {
    await search.upsertDocument(
      `user:${user.id}`,
      { user_id: user.id, name: user.name, registered_at: user.createdAt },
      idempotencyKey(user.id, 'search.upsertUser'),
      'users',
    );
  },
];

const baseline = await startSyncBaseline({
  dbFile: values.db,
  port: Number(values.port),
  mode,
  calls,
});
console.log(`inline-fanout ${mode} listening ${baseline.url}`);
process.once('SIGTERM', () => {
  setTimeout(() => process.exit(0), 2_000).unref();
  void baseline.app.close().then(() => process.exit(0));
});
