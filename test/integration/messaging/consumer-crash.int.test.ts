import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { EventPublisher } from '@fanout/messaging';
import { uniqueName } from '@fanout/test-platform';
import { EffectLedger } from './effect-ledger';
import { JsonWireCodec } from './json-codec';
import { createTopic, deleteTopics, testEvent, testKafka } from './kafka-fixtures';

const here = fileURLToPath(new URL('.', import.meta.url));
const prefix = uniqueName('msgcrash');
const kafka = testKafka('messaging-crash-test');
const dir = mkdtempSync(join(tmpdir(), 'msgcrash-'));
const children: ChildProcess[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await deleteTopics(kafka, prefix);
  rmSync(dir, { recursive: true, force: true });
});

function startChild(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'consumer-child.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return child;
}

/** Resolves once the child printed `ready` (its SIGTERM handler is installed and it has started). */
function readyLine(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = '';
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('ready\n')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return true;
    await sleep(25);
  }
  return check();
}

describe('a consumer SIGKILLed mid-stream', () => {
  it('handles every event after several kills, each side effect once, in per-key order', async () => {
    const topic = `${prefix}-events`;
    const groupId = `${prefix}-group`;
    await createTopic(kafka, topic, 3);
    const keys = 40;
    const perKey = 60;
    const total = keys * perKey;
    const publisher = new EventPublisher({ kafka, codec: new JsonWireCodec() });
    await publisher.connect();
    const ids: string[] = [];
    for (let seq = 0; seq < perKey; seq += 1) {
      const batch = Array.from({ length: keys }, (_, k) => {
        const value = testEvent(`k${k}`, seq);
        ids.push(value.metadata.eventId);
        return { topic, key: `k${k}`, eventType: 'fanout.test.Thing', value };
      });
      await publisher.publishBatch(batch);
    }
    await publisher.disconnect();

    const ledgerFile = join(dir, 'ledger.sqlite');
    const ledger = new EffectLedger(ledgerFile);
    const env = {
      TOPIC: topic,
      GROUP_ID: groupId,
      DATA_DIR: join(dir, 'data'),
      LEDGER: ledgerFile,
      // Slow enough that the whole stream takes far longer than the pause before each kill, so
      // every kill lands mid-stream (with 6 ms, a child could finish the rest within the pause
      // and the last one was signalled before it had even started).
      HANDLER_MS: '20',
    };
    const killAt = [total * 0.15, total * 0.4, total * 0.65];
    let kills = 0;
    const effectsAtKill: number[] = [];
    for (const threshold of killAt) {
      const child = startChild(env);
      const reached = await waitUntil(() => ledger.summary().effects >= threshold, 60_000);
      expect(reached).toBe(true);
      // Mid-stream: let a little more run so the kill lands among in-flight handlers.
      await sleep(Math.random() * 30);
      effectsAtKill.push(ledger.summary().effects);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      kills += 1;
    }

    const last = startChild(env);
    const lastReady = readyLine(last, 60_000);
    expect(await waitUntil(() => ledger.summary().effects >= total, 90_000)).toBe(true);
    // Graceful shutdown: SIGTERM finishes, commits and leaves the group with exit code 0. The
    // signal waits for `ready`: before it, the handler is not installed and Node's default
    // SIGTERM would kill the child (exit code null), which says nothing about the runtime.
    expect(await lastReady).toBe(true);
    last.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => last.once('exit', resolve));

    const summary = ledger.summary();
    const effectKeys = new Set(ledger.effectKeys());
    ledger.close();
    expect(kills).toBe(3);
    // Each kill landed with work still to do.
    expect(effectsAtKill.every((effects) => effects < total)).toBe(true);
    expect(code).toBe(0);
    expect(summary.effects).toBe(total);
    expect(ids.every((id) => effectKeys.has(`${id}:apply`))).toBe(true);
    expect(summary.violations).toBe(0);
    // Redeliveries happened (the kills were mid-stream), and none produced a second effect.
    expect(summary.calls).toBeGreaterThanOrEqual(total);
    console.log(
      `crash test: ${total} events, ${summary.calls} calls, ${summary.effects} effects, effects at kills ${effectsAtKill.join('/')}`,
    );
  });
});
