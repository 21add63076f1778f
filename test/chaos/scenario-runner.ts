import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@fanout/local-platform';
import type { ChaosSystem, Log } from './chaos-system';
import type { PoisonRecord } from './dead-letters';
import { verifyInvariants } from './invariants';
import type { CheckResult, EvidenceSources, Figures } from './invariants';
import { startLoad } from './load';
import type { LoadOptions, LoadResult, RunningLoad } from './load';

/** What a scenario's body hands back: the load it ran, the poison it produced, what it saw. */
export interface ScenarioBodyResult {
  load: LoadResult;
  poison?: PoisonRecord[];
  /** Facts for the report, e.g. "killed broker 2 for 31 s". */
  notes?: string[];
}

export interface ScenarioOutcome {
  scenario: string;
  checks: CheckResult[];
  figures: Figures & {
    durationS: number;
    settleS: number;
    requestsSent: number;
    requestsRejected: number;
  };
  notes: string[];
}

export interface ScenarioContext {
  system: ChaosSystem;
  log: Log;
  /** The bounded load against this stack's user-service and order-service. */
  load(options: Omit<LoadOptions, 'userService' | 'orderService'>): RunningLoad;
}

const RESULTS_FILE = join(repoRoot, '.fanout', 'chaos', 'results.jsonl');

/**
 * Runs scenarios one after another against one chaos system, each followed by the four checks;
 * keeps the poison of every scenario (the dead-letter check covers all of it) and appends each
 * outcome to `.fanout/chaos/results.jsonl` (the figures of docs/reliability.md).
 */
export class ScenarioRunner {
  private readonly poisonSoFar: PoisonRecord[] = [];
  readonly outcomes: ScenarioOutcome[] = [];
  private readonly runId = new Date().toISOString();

  constructor(
    private readonly system: ChaosSystem,
    private readonly evidence: EvidenceSources,
    private readonly log: Log,
  ) {}

  async run(
    scenario: string,
    body: (ctx: ScenarioContext) => Promise<ScenarioBodyResult>,
    options: { settleTimeoutMs: number },
  ): Promise<ScenarioOutcome> {
    const started = Date.now();
    this.log(`▶ ${scenario}`);
    const ctx: ScenarioContext = {
      system: this.system,
      log: this.log,
      load: (loadOptions) =>
        startLoad({
          ...loadOptions,
          userService: this.system.url('user-service', ''),
          orderService: this.system.url('order-service', ''),
        }),
    };
    const result = await body(ctx);
    this.poisonSoFar.push(...(result.poison ?? []));
    const { load } = result;
    const rejected = Object.values(load.rejected).reduce((a, b) => a + b, 0);
    this.log(
      `  load: ${load.sent} sent in ${(load.durationMs / 1000).toFixed(1)} s, ${load.users.length} users and ${load.orders.length} orders accepted, ${rejected} rejected ${JSON.stringify(load.rejected)}, ${load.skipped} skipped`,
    );
    const evaluation = await verifyInvariants(
      {
        users: load.users,
        orders: load.orders,
        poison: result.poison ?? [],
        poisonSoFar: [...this.poisonSoFar],
      },
      this.evidence,
      { settleTimeoutMs: options.settleTimeoutMs, log: this.log },
    );
    const outcome: ScenarioOutcome = {
      scenario,
      checks: evaluation.checks,
      figures: {
        ...evaluation.figures,
        durationS: Math.round((Date.now() - started) / 100) / 10,
        settleS: Math.round(evaluation.settledMs / 100) / 10,
        requestsSent: load.sent,
        requestsRejected: rejected,
      },
      notes: result.notes ?? [],
    };
    this.outcomes.push(outcome);
    const f = outcome.figures;
    this.log(
      `  ${evaluation.checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.name}`).join(' · ')}\n` +
        `  accepted ${f.usersAccepted} users + ${f.ordersAccepted} orders; effects ${f.effectsPresent}/${f.effectsExpected}; duplicate keys ${f.duplicateKeys}; sagas terminal ${f.sagasTerminal}/${f.ordersAccepted} (${f.confirmed} confirmed, ${f.cancelled} cancelled: ${JSON.stringify(f.cancelReasons)}); dead letters ${f.deadLettersFound}/${f.deadLettersExpected}; ${f.durationS} s (settled in ${f.settleS} s)${outcome.notes.length ? `\n  ${outcome.notes.join('; ')}` : ''}`,
    );
    mkdirSync(join(repoRoot, '.fanout', 'chaos'), { recursive: true });
    if (evaluation.checks.some((c) => !c.ok)) {
      // What the sandbox saw, for the post-mortem: every effect and the recent requests.
      const file = join(
        repoRoot,
        '.fanout',
        'chaos',
        `failed-${scenario.replace(/\W+/g, '-')}-${Date.now()}.json`,
      );
      const sandbox = this.system.url('sandbox-apis', '');
      const [effects, requests] = await Promise.all(
        ['/_admin/effects?limit=100000', '/_admin/requests?limit=100000'].map((path) =>
          fetch(`${sandbox}${path}`).then(
            (r) => r.json() as Promise<unknown>,
            () => null,
          ),
        ),
      );
      writeFileSync(
        file,
        JSON.stringify({ ledger: { users: load.users, orders: load.orders }, effects, requests }),
      );
      this.log(`  sandbox effects and requests saved to ${file}`);
    }
    appendFileSync(
      RESULTS_FILE,
      `${JSON.stringify({ run: this.runId, ...outcome, checks: outcome.checks.map((c) => ({ name: c.name, ok: c.ok, violations: c.violations.slice(0, 20) })) })}\n`,
    );
    return outcome;
  }
}
