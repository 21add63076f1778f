import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { patchRunnerLifecycle } from './runner-lifecycle';

// kafkajs's own Runner, driven with a group whose join the test answers: the patch is about
// the Runner's state machine, not about a broker.
const load = createRequire(import.meta.url);
const Runner = load('kafkajs/src/consumer/runner') as new (options: object) => {
  start(): Promise<void>;
  stop(): Promise<void>;
  running: boolean;
};

function silentLogger(): object {
  const logger = {
    namespace: () => logger,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    debug: () => undefined,
  };
  return logger;
}

function runnerWithPendingJoin(
  joinOutcome: 'joins' | 'fails',
  membership: { cluster?: object; groupId?: string } = {},
) {
  let answerJoin!: () => void;
  const joined = new Promise<void>((resolve, reject) => {
    answerJoin = () => (joinOutcome === 'joins' ? resolve() : reject(new Error('join failed')));
  });
  const group = {
    groupId: membership.groupId ?? 'g',
    memberId: null as string | null,
    cluster: membership.cluster ?? {},
    joinedAs: [] as Array<string | null>,
    connect: vi.fn(async () => undefined),
    joinAndSync: vi.fn(() => {
      group.joinedAs.push(group.memberId);
      return joined.then(() => {
        group.memberId ??= `member-${Math.random()}`;
      });
    }),
    leave: vi.fn(async () => undefined),
    getNodeIds: () => [1],
  };
  const onCrash = vi.fn();
  const runner = new Runner({
    logger: silentLogger(),
    consumerGroup: group,
    instrumentationEmitter: { emit: () => undefined },
    heartbeatInterval: 3_000,
    retry: { retries: 0 },
    eachBatch: async () => undefined,
    onCrash,
    concurrency: 1,
  });
  const fetching = vi.spyOn(
    runner as unknown as { scheduleFetchManager(): void },
    'scheduleFetchManager',
  );
  fetching.mockImplementation(() => undefined);
  return { runner, group, onCrash, fetching, answerJoin };
}

describe('a kafkajs consumer stopped while it joins its group', () => {
  patchRunnerLifecycle();

  it('leaves the group when the join returns, instead of fetching as a member nobody can stop', async () => {
    const { runner, group, fetching, answerJoin } = runnerWithPendingJoin('joins');
    const started = runner.start();
    await vi.waitFor(() => expect(group.joinAndSync).toHaveBeenCalled());
    await runner.stop();
    answerJoin();
    await started;
    expect(fetching).not.toHaveBeenCalled();
    expect(runner.running).toBe(false);
    expect(group.leave).toHaveBeenCalledTimes(1);
  });

  it('does not report a join that fails after the stop as a crash (kafkajs would start another runner)', async () => {
    const { runner, group, onCrash, answerJoin } = runnerWithPendingJoin('fails');
    const started = runner.start();
    await vi.waitFor(() => expect(group.joinAndSync).toHaveBeenCalled());
    await runner.stop();
    answerJoin();
    await started;
    expect(onCrash).not.toHaveBeenCalled();
  });

  it('still fetches after a join nobody stopped, and still reports a failed join as a crash', async () => {
    const joins = runnerWithPendingJoin('joins');
    const started = joins.runner.start();
    joins.answerJoin();
    await started;
    expect(joins.fetching).toHaveBeenCalledTimes(1);
    expect(joins.runner.running).toBe(true);

    const fails = runnerWithPendingJoin('fails');
    const failed = fails.runner.start();
    fails.answerJoin();
    await failed;
    expect(fails.onCrash).toHaveBeenCalledTimes(1);
  });

  it('is never started again once stopped', async () => {
    const { runner, group } = runnerWithPendingJoin('joins');
    await runner.stop();
    await runner.start();
    expect(group.joinAndSync).not.toHaveBeenCalled();
  });
});

describe('a kafkajs consumer restarted after a crash', () => {
  patchRunnerLifecycle();

  async function crashedMember(cluster: object): Promise<string> {
    const first = runnerWithPendingJoin('joins', { cluster });
    const started = first.runner.start();
    first.answerJoin();
    await started;
    const memberId = first.group.memberId!;
    (first.runner as unknown as { onCrash(e: Error): void }).onCrash(new Error('coordinator lost'));
    expect(first.onCrash).toHaveBeenCalledTimes(1);
    return memberId;
  }

  it('rejoins with the member id it had, so the group does not wait a session timeout for it', async () => {
    const cluster = {};
    const memberId = await crashedMember(cluster);
    const restart = runnerWithPendingJoin('joins', { cluster });
    const started = restart.runner.start();
    restart.answerJoin();
    await started;
    expect(restart.group.joinedAs).toEqual([memberId]);
  });

  it('uses that id once, and never for another consumer or another group', async () => {
    const cluster = {};
    await crashedMember(cluster);
    const otherConsumer = runnerWithPendingJoin('joins', { cluster: {} });
    const otherGroup = runnerWithPendingJoin('joins', { cluster, groupId: 'other' });
    for (const r of [otherConsumer, otherGroup]) {
      const started = r.runner.start();
      r.answerJoin();
      await started;
      expect(r.group.joinedAs).toEqual([null]);
    }
    const later = runnerWithPendingJoin('joins', { cluster });
    const started = later.runner.start();
    later.answerJoin();
    await started;
    expect(later.group.joinedAs).toEqual([null]);
  });
});
