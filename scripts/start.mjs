#!/usr/bin/env node
// `npm start`: install what is missing, provision the platform (cached per user), compile the
// services (`npm run build`, into dist/), start Kafka, the registry, Jaeger and every service that
// exists with plain node from dist/, in the background, send a little demo traffic, and print
// where to look. (`npm run stack -- up --services` without `--compiled` runs them through tsx.) Safe to run again: whatever is healthy is left as it is.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { sendDemoTraffic } from './lib/demo-traffic.mjs';
import { ensureInstalled } from './lib/ensure-installed.mjs';

const root = new URL('..', import.meta.url).pathname;
const demoApiKey = 'local-dev-key';
// FANOUT_STACK_PROFILE / FANOUT_STACK_PORT_OFFSET run a second stack beside the default one.
const offset = Number(process.env.FANOUT_STACK_PORT_OFFSET ?? 0);
const profile = process.env.FANOUT_STACK_PROFILE ?? 'default';
const port = (p) => p + offset;

function stack(args) {
  const result = spawnSync('npm', ['run', '--silent', 'stack', '--', ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error(
      `\n✘ npm start stopped: \`npm run stack -- ${args.join(' ')}\` failed (see above).`,
    );
    process.exit(result.status ?? 1);
  }
}

async function ready(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

async function post(port, path, body) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': demoApiKey,
        authorization: `Bearer ${demoApiKey}`,
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    console.log(`  POST ${path} → ${response.status} ${text.slice(0, 120)}`);
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, body: parsed };
  } catch (error) {
    console.log(`  POST ${path} failed: ${error.message}`);
    return undefined;
  }
}

/** A service of this stack for the demo traffic (scripts/lib/demo-traffic.mjs). */
const service = (p) => ({
  ready: () => ready(port(p)),
  post: (path, body) => post(port(p), path, body),
});

function whereToLook() {
  const flags = profile === 'default' ? '' : ` --profile ${profile}`;
  console.log(`
✔ Fanout is running in the background.
  Kafka            127.0.0.1:${port(9092)}
  Schema registry  http://127.0.0.1:${port(8081)}/apis/ccompat/v7
  Jaeger           query API http://127.0.0.1:${port(16686)}/api/services (OTLP ${port(4317)} gRPC / ${port(4318)} HTTP)
                   (the locally built Jaeger serves a placeholder UI; with Docker you get the real one)
  Console          http://127.0.0.1:${port(3200)}   (sign in with the API key local-dev-key: events, traces, sagas, dead letters, health)
  user-service     http://127.0.0.1:${port(3001)}   order-service http://127.0.0.1:${port(3002)}   sandbox APIs http://127.0.0.1:${port(4000)}
  Status           npm run stack -- status${flags}
  Logs             npm run stack -- logs [kafka|registry|jaeger|<service>]${flags}   (files in .fanout/stack/${profile}/logs)
  Stop             npm stop`);
}

ensureInstalled(root);
stack(['provision', '--quick']);
stack(['build']);
stack(['up', '--services', '--compiled']);
await sendDemoTraffic({ userService: service(3001), orderService: service(3002) });
whereToLook();
