import { describe, expect, it } from 'vitest';
import type { TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { OffsetCommitter } from './offset-committer';
import { PartitionAssignment } from './partition-assignment';
import { RuntimeEvents } from './runtime-events';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(
  commitOffsets: (offsets: TopicPartitionOffsetAndMetadata[]) => Promise<void> = async () => {},
  beforeCommit?: () => Promise<void>,
) {
  const assignment = new PartitionAssignment(4);
  const events = new RuntimeEvents();
  const calls: TopicPartitionOffsetAndMetadata[][] = [];
  const committer = new OffsetCommitter({
    consumer: {
      commitOffsets: (offsets) => {
        calls.push(offsets);
        return commitOffsets(offsets);
      },
    },
    assignment,
    dedupe: null,
    beforeCommit,
    events,
  });
  return { assignment, events, calls, committer };
}

describe('OffsetCommitter', () => {
  it('commits one past the finished prefix of every partition in one request', async () => {
    const { assignment, calls, committer } = setup();
    const a = assignment.create('t', 0);
    const b = assignment.create('t', 1);
    for (const offset of [0, 1, 2]) a.tracker.begin(offset);
    a.tracker.complete(0);
    a.tracker.complete(2);
    b.tracker.begin(7);
    b.tracker.complete(7);
    expect(await committer.commit()).toBe(true);
    expect(calls).toEqual([
      [
        { topic: 't', partition: 0, offset: '1' },
        { topic: 't', partition: 1, offset: '8' },
      ],
    ]);
    expect(a.committed).toBe(1);
  });

  it('does not commit an offset again once it is committed', async () => {
    const { assignment, calls, committer } = setup();
    const state = assignment.create('t', 0);
    state.tracker.begin(0);
    state.tracker.complete(0);
    await committer.commit();
    await committer.commit();
    expect(calls).toHaveLength(1);
  });

  it('never commits the state of an older generation, and forgets it once idle', async () => {
    const { assignment, calls, committer } = setup();
    const old = assignment.create('t', 0);
    old.tracker.begin(0);
    old.tracker.complete(0);
    assignment.generation += 1;
    expect(await committer.commit()).toBe(true);
    expect(calls).toEqual([]);
    expect(assignment.states.size).toBe(0);
  });

  it('skips the commit when the before-commit hook fails', async () => {
    const { assignment, events, calls, committer } = setup(undefined, async () => {
      throw new Error('audit flush failed');
    });
    const warnings: string[] = [];
    events.on('warning', ({ where }) => warnings.push(where));
    const state = assignment.create('t', 0);
    state.tracker.begin(0);
    state.tracker.complete(0);
    expect(await committer.commit()).toBe(false);
    expect(calls).toEqual([]);
    expect(warnings).toEqual(['before commit']);
  });

  it('marks the group rebalancing when the broker refuses the commit for a rebalance', async () => {
    const { assignment, committer } = setup(async () => {
      throw Object.assign(new Error('rebalancing'), { type: 'REBALANCE_IN_PROGRESS' });
    });
    const state = assignment.create('t', 0);
    state.tracker.begin(0);
    state.tracker.complete(0);
    expect(await committer.commit()).toBe(false);
    expect(assignment.rebalancing).toBe(true);
    expect(state.committed).toBe(-1);
  });

  it('folds commit requests made during a commit into one more round', async () => {
    let release!: () => void;
    const { assignment, calls, committer } = setup(
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    const state = assignment.create('t', 0);
    state.tracker.begin(0);
    state.tracker.complete(0);
    const first = committer.commit();
    state.tracker.begin(1);
    state.tracker.complete(1);
    const second = committer.commit();
    const third = committer.commit();
    expect(second).toBe(first);
    expect(third).toBe(first);
    await settle();
    expect(calls).toHaveLength(1);
    release();
    await settle();
    expect(calls).toHaveLength(2);
    release();
    expect(await first).toBe(true);
    expect(calls.map((offsets) => offsets[0]!.offset)).toEqual(['1', '2']);
  });

  it('reports each committed offset', async () => {
    const { assignment, events, committer } = setup();
    const commits: string[] = [];
    events.on('commit', ({ offset }) => commits.push(offset));
    const state = assignment.create('t', 0);
    state.tracker.begin(4);
    state.tracker.complete(4);
    await committer.commit();
    expect(commits).toEqual(['5']);
  });
});
