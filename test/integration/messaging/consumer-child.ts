// A consumer service in miniature, run as a child process so tests can SIGKILL it:
// `node --import tsx consumer-child.ts` with TOPIC, GROUP_ID, DATA_DIR, LEDGER and HANDLER_MS.
import { setTimeout as sleep } from 'node:timers/promises';
import { createConsumerRuntime, installGracefulShutdown } from '@fanout/messaging';
import { EffectLedger } from './effect-ledger';
import { JsonWireCodec } from './json-codec';
import { testKafka } from './kafka-fixtures';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const ledger = new EffectLedger(env('LEDGER'));
const handlerMs = Number(process.env.HANDLER_MS ?? '2');
const runtime = createConsumerRuntime({
  kafka: testKafka(`child-${process.pid}`),
  groupId: env('GROUP_ID'),
  topics: [env('TOPIC')],
  codec: new JsonWireCodec(),
  concurrency: { perPartition: 16 },
  dedupe: { dataDir: env('DATA_DIR') },
  commitIntervalMs: 100,
  consumer: { sessionTimeout: 6_000, heartbeatInterval: 1_000, rebalanceTimeout: 10_000 },
  handler: async (event) => {
    await sleep(Math.random() * handlerMs);
    const { key, seq } = event.value as { key: string; seq: number };
    // The Idempotency-Key a real consumer derives from the event id and the action.
    ledger.call(key, `${event.eventId}:apply`, seq);
  },
});

installGracefulShutdown([runtime], { deadlineMs: 5_000 });
await runtime.start();
process.stdout.write('ready\n');
