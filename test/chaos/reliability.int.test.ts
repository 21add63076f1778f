import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { killBroker, restartBroker } from '@fanout/local-platform';
import { CHAOS_STACK, chaosServiceEnv, startChaosSystem } from './chaos-system';
import type { ChaosSystem } from './chaos-system';
import { readDeadLetters } from './dead-letters';
import { chaosEvidence, deadLetterId } from './evidence';
import { describeCheck } from './invariants';
import { electPreferredLeaders } from './leader-election';
import { DECLINE_RULE } from './load';
import { OwnService } from './own-service';
import { producePoison } from './poison';
import { busiestLeader, produceAgain, rewindGroup, topicEnds } from './record-replay';
import { RegistryGate } from './registry-gate';
import { SandboxAdmin } from './sandbox-admin';
import { ScenarioRunner } from './scenario-runner';
import type { ScenarioOutcome } from './scenario-runner';

/**
 * The reliability suite (issue 8): six faults, each under a bounded load of real POST /users
 * and POST /orders against the whole system (every catalog service as a process, a three-broker
 * Kafka cluster, the registry), each followed by the same four checks (./invariants.ts).
 * One file, so its stack starts once and stops once; the scenarios run in order.
 * Results: docs/reliability.md; figures of each run: .fanout/chaos/results.jsonl.
 */

const log = (line: string) => console.log(`[chaos] ${line}`);
const FAULT_APIS = ['email', 'crm', 'analytics', 'search', 'inventory', 'payment', 'shipping'];
const SETTLE_MS = 120_000;
const SCENARIO_MS = 300_000;

let system: ChaosSystem;
let runner: ScenarioRunner;
let sandbox: SandboxAdmin;

/** Every check of a scenario as its own soft assertion, so one report shows all four. */
function expectInvariants(outcome: ScenarioOutcome): void {
  expect(
    outcome.figures.usersAccepted,
    `${outcome.scenario}: no registration was accepted`,
  ).toBeGreaterThan(0);
  expect(
    outcome.figures.ordersAccepted,
    `${outcome.scenario}: no order was accepted`,
  ).toBeGreaterThan(0);
  for (const check of outcome.checks)
    expect.soft(check.violations, describeCheck(outcome.scenario, check)).toEqual([]);
}

beforeAll(async () => {
  const started = Date.now();
  system = await startChaosSystem(log);
  sandbox = new SandboxAdmin(system.url('sandbox-apis', ''));
  await sandbox.clearFaults(FAULT_APIS);
  await sandbox.setDeclineRules([DECLINE_RULE]);
  // A reused stack may hold dead letters of an earlier run: they are not this run's to explain.
  const baseline = new Set(
    system.started.length > 0
      ? []
      : (await readDeadLetters(system.kafka('chaos-baseline'))).map(deadLetterId),
  );
  if (baseline.size > 0) log(`${baseline.size} dead letter(s) from an earlier run left aside`);
  runner = new ScenarioRunner(system, chaosEvidence(system, baseline), log);
  log(`chaos stack ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}, 420_000);

beforeEach(async () => {
  // Whatever an earlier scenario left (a failed test, a service it replaced) is repaired first.
  await system.heal();
  await sandbox.clearFaults(FAULT_APIS);
}, 240_000);

afterAll(async () => {
  for (const o of runner?.outcomes ?? [])
    log(
      `| ${o.scenario} | ${o.figures.usersAccepted + o.figures.ordersAccepted} | ${o.figures.effectsPresent}/${o.figures.effectsExpected} | ${o.figures.duplicateKeys} | ${o.figures.deadLettersFound}/${o.figures.deadLettersExpected} | ${o.figures.sagasTerminal}/${o.figures.ordersAccepted} | ${o.figures.durationS} s |`,
    );
  await system?.shutdown();
}, 180_000);

describe('reliability under faults (chaos stack: 3 brokers, every service a process)', () => {
  it(
    'consumers SIGKILLed four times under load lose no event, repeat no effect, end every saga, dead-letter nothing',
    async () => {
      const victims = [
        'email-consumer',
        'inventory-consumer',
        'analytics-consumer',
        'saga-coordinator',
      ];
      const outcome = await runner.run(
        'consumers SIGKILLed',
        async ({ load, system }) => {
          const running = load({ rate: 20, durationMs: 15_000 });
          const killed: string[] = [];
          // One every 2 s while the load runs. A restarted consumer's group rebalances only once
          // Kafka expired the killed member's session (30 s), so the four restart together
          // rather than one after another (which would take two minutes).
          for (const victim of victims) {
            await sleep(2_000);
            killed.push(`${victim} (pid ${await system.sigkill(victim)})`);
          }
          const restartedAt = Date.now();
          await system.start(victims);
          const notes = [
            `SIGKILLed 2 s apart: ${killed.join(', ')}; all four ready ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after their restart`,
          ];
          return { load: await running.done, notes };
        },
        { settleTimeoutMs: SETTLE_MS },
      );
      expectInvariants(outcome);
    },
    SCENARIO_MS,
  );

  it(
    'one broker of three SIGKILLed and restarted under load loses no event, repeats no effect, ends every saga',
    async () => {
      const outcome = await runner.run(
        'one broker of three killed and restarted',
        async ({ load, system }) => {
          const kafka = system.kafka('chaos-broker-fault');
          const broker = await busiestLeader(kafka, [
            'fanout.user.events',
            'fanout.order.events',
            'fanout.saga.replies',
          ]);
          const running = load({ rate: 20, durationMs: 15_000 });
          await sleep(4_000);
          const killedAt = Date.now();
          killBroker(broker, CHAOS_STACK);
          await sleep(6_000);
          await restartBroker(broker, { ...CHAOS_STACK, log: () => undefined });
          const down = ((Date.now() - killedAt) / 1000).toFixed(1);
          // Leadership (and the group coordinators of __consumer_offsets) returns to it now, as
          // Kafka's automatic leader rebalance would within 5 minutes: under this load, not in
          // the middle of a later scenario.
          const moved = await electPreferredLeaders(system.endpoints.kafkaBrokers.join(','));
          return {
            load: await running.done,
            notes: [
              `broker ${broker} (the busiest leader) SIGKILLed, back in the cluster after ${down} s; preferred leaders elected again: ${moved} partitions moved back to it`,
            ],
          };
        },
        { settleTimeoutMs: SETTLE_MS },
      );
      expectInvariants(outcome);
    },
    SCENARIO_MS,
  );

  it(
    'services started while the registry is unreachable wait without crash-looping, report it on /readyz, then catch up',
    async () => {
      const replaced = ['search-consumer', 'saga-coordinator', 'user-service'];
      const gate = new RegistryGate(Number(new URL(system.endpoints.schemaRegistryUrl).port));
      const own: OwnService[] = [];
      const observations: string[] = [];
      try {
        const gatedUrl = await gate.listen(system.endpoints.schemaRegistryUrl);
        const outcome = await runner.run(
          'registry unavailable at service start',
          async ({ load, system }) => {
            await system.stop(replaced);
            for (const name of replaced)
              own.push(
                new OwnService(
                  name,
                  chaosServiceEnv(name, system.endpoints, { SCHEMA_REGISTRY_URL: gatedUrl }),
                ),
              );
            await Promise.all(own.map((s) => s.start()));
            const [search, saga, users] = own as [OwnService, OwnService, OwnService];
            const running = load({ rate: 20, durationMs: 15_000 });

            // Gate closed for 12 s: sampled every second, each must be alive, the same process,
            // and say why it is not ready.
            const closedUntil = Date.now() + 12_000;
            let samples = 0;
            while (Date.now() < closedUntil) {
              for (const service of [search, saga]) {
                const r = await service.readiness();
                expect(
                  service.running,
                  `${service.name} ${service.exitStatus} while the registry was down`,
                ).toBe(true);
                expect(r.status, `${service.name} /readyz while the registry is down`).toBe(503);
                expect(
                  r.body.checks['schema-registry']?.ok,
                  `${service.name} names the registry`,
                ).toBe(false);
              }
              // A domain service keeps taking writes (they wait in its outbox): ready, registry reported.
              const u = await users.readiness();
              expect(
                users.running,
                `user-service ${users.exitStatus} while the registry was down`,
              ).toBe(true);
              expect(u.status, 'user-service /readyz while the registry is down').toBe(200);
              expect(u.body.checks['schema-registry']?.ok, 'user-service names the registry').toBe(
                false,
              );
              samples += 1;
              await sleep(1_000);
            }
            observations.push(
              `gate closed 12 s: ${samples} samples, search-consumer and saga-coordinator 503, user-service 200 with schema-registry not ok, ${gate.refused} registry connections refused`,
            );
            const opened = Date.now();
            gate.open();
            for (const service of own) {
              for (;;) {
                const r = await service.readiness().catch(() => undefined);
                if (r?.status === 200) break;
                if (Date.now() - opened > 90_000)
                  throw new Error(
                    `${service.name} not ready 90 s after the registry came back: ${JSON.stringify(r?.body)}`,
                  );
                await sleep(500);
              }
            }
            observations.push(
              `all three ready ${((Date.now() - opened) / 1000).toFixed(1)} s after the registry came back`,
            );
            for (const service of own)
              expect(
                service.pids,
                `${service.name} was started once and never restarted`,
              ).toHaveLength(1);
            return { load: await running.done, notes: observations };
          },
          { settleTimeoutMs: SETTLE_MS },
        );
        expectInvariants(outcome);
      } finally {
        await Promise.all(own.map((s) => s.stop()));
        await gate.dispose();
        await system.start(replaced);
      }
    },
    SCENARIO_MS,
  );

  it(
    'a sandbox outage and 429 storms lose no event and repeat no effect',
    async () => {
      const outcome = await runner.run(
        'sandbox outage and 429 storms',
        async ({ load }) => {
          const running = load({ rate: 20, durationMs: 15_000 });
          await sleep(2_000);
          await sandbox.patchFaults({
            email: { outage: { durationMs: 8_000, status: 503 } },
            payment: { outage: { durationMs: 6_000, status: 503, retryAfterSeconds: 1 } },
            crm: { rateLimit: { requestsPerSecond: 5, burst: 5 } },
            search: { rateLimit: { requestsPerSecond: 2, burst: 2, retryAfterSeconds: 1 } },
            shipping: { rateLimit: { requestsPerSecond: 3, retryAfterFormat: 'http-date' } },
          });
          await sleep(12_000);
          await sandbox.patchFaults({
            crm: { rateLimit: null },
            search: { rateLimit: null },
            shipping: { rateLimit: null },
          });
          return {
            load: await running.done,
            notes: [
              'email outage 8 s (503), payment outage 6 s (503, Retry-After 1); 429 storms for 12 s: crm 5/s, search 2/s, shipping 3/s (Retry-After as an HTTP date)',
            ],
          };
        },
        { settleTimeoutMs: SETTLE_MS },
      );
      expectInvariants(outcome);
    },
    SCENARIO_MS,
  );

  it(
    'poison records on the consumed topics end in the dead-letter topics, each once per consuming group, and nothing else does',
    async () => {
      const outcome = await runner.run(
        'poison messages',
        async ({ load, system }) => {
          const running = load({ rate: 20, durationMs: 10_000 });
          await sleep(3_000);
          const poison = await producePoison(
            system.kafka('chaos-poison'),
            system.endpoints.schemaRegistryUrl,
            'poison',
          );
          return {
            load: await running.done,
            poison,
            notes: [
              `${poison.length} poison records: ${poison.map((p) => `${p.kind} on ${p.topic}`).join('; ')}`,
            ],
          };
        },
        { settleTimeoutMs: SETTLE_MS },
      );
      expectInvariants(outcome);
    },
    SCENARIO_MS,
  );

  it(
    'records delivered twice (produced again, and a group rewound with its dedupe store off) repeat no effect',
    async () => {
      const topics = [
        'fanout.user.events',
        'fanout.order.events',
        'fanout.inventory.commands',
        'fanout.payment.commands',
        'fanout.shipping.commands',
        'fanout.saga.replies',
      ];
      const outcome = await runner.run(
        'duplicated deliveries',
        async ({ load, system }) => {
          const kafka = system.kafka('chaos-duplicates');
          const before = await topicEnds(kafka, topics);
          const running = load({ rate: 20, durationMs: 10_000 });
          const result = await running.done;
          // Let the outboxes and the sagas of this load reach Kafka, then copy what is there.
          await sleep(5_000);
          const copied = await produceAgain(kafka, before, await topicEnds(kafka, topics));
          // crm-consumer reads this scenario's events a second time, past its own dedupe store:
          // only the CRM API's Idempotency-Key stands between a redelivery and a second effect.
          const userAndOrder = new Map(
            [...before].filter(([t]) => t === 'fanout.user.events' || t === 'fanout.order.events'),
          );
          await system.stop(['crm-consumer']);
          await rewindGroup(kafka, 'crm-consumer', userAndOrder);
          await system.start(['crm-consumer'], { DEDUPE_ENABLED: 'false' });
          return {
            load: result,
            notes: [
              `produced again: ${Object.entries(copied)
                .map(([t, n]) => `${n} on ${t}`)
                .join(', ')}`,
              'crm-consumer rewound to the scenario start on fanout.user.events and fanout.order.events, restarted with DEDUPE_ENABLED=false',
            ],
          };
        },
        { settleTimeoutMs: SETTLE_MS },
      );
      expectInvariants(outcome);
    },
    SCENARIO_MS,
  );
});
